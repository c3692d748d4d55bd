"""CSV (UTF-8 BOM, Japanese headers, evidence URLs) and JSONL exports of the member and statement searches."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import unquote

import pytest

from api.export import MEMBER_COLUMNS, STATEMENT_COLUMNS, _cell

TOKYO = "https://www.gikai.metro.tokyo.jp/record/proceedings/"


def _csv(response) -> list[dict]:
    assert response.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_members_csv(client):
    params = {"q": "待機児童", "limit": 5}
    r = client.get("/v1/members/search.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="gikai-members.csv"; filename*=UTF-8\'\'')
    assert unquote(disposition.split("''", 1)[1]) == "gikai-members-待機児童.csv"
    header = r.content.decode("utf-8-sig").splitlines()[0]
    assert header == ",".join(name for name, _ in MEMBER_COLUMNS)
    assert header.startswith("順位,議員ID,氏名,団体コード,議会,スコア")
    rows = _csv(r)
    api = client.get("/v1/members/search", params=params).json()["data"]
    assert [row["議員ID"] for row in rows] == [m["member_id"] for m in api]
    assert [row["順位"] for row in rows] == ["1", "2", "3", "4", "5"]
    first = rows[0]
    assert first["氏名"] == api[0]["name"] and first["議会"] == "東京都議会"
    assert float(first["スコア"]) == api[0]["score"]
    assert first["根拠の発言ID"].split() == [e["statement_id"] for e in api[0]["evidence"]]
    urls = first["根拠の出典URL"].split()
    assert urls and all(u.startswith(TOKYO) for u in urls)
    assert "待機児童" in first["根拠の抜粋"] and "\n" not in first["根拠の抜粋"]
    # Cut around the query's words: 曽根はじめ's best passage says 待機児童 first at character 463.
    assert all("待機児童" in row["根拠の抜粋"] for row in rows)
    assert all(len(row["根拠の抜粋"].split(": ", 1)[1]) <= 202 for row in rows)  # 200 and an ellipsis at each end


def test_members_csv_on_a_session_day_as_the_api(client):
    params = {"q": "子育て支援", "on": "2020-02-26", "limit": 4}
    rows = _csv(client.get("/v1/members/search.csv", params=params))
    api = client.get("/v1/members/search", params=params).json()["data"]
    assert [row["議員ID"] for row in rows] == [m["member_id"] for m in api]
    assert [row["指定日に発言"] for row in rows] == ["2020-02-26", "2020-02-26", "", ""]
    assert [json.loads(line)["led_on"] for line in client.get("/v1/members/search.jsonl", params=params).text
            .splitlines()] == ["2020-02-26", "2020-02-26", None, None]
    bad = client.get("/v1/members/search.csv", params={**params, "since": "2020-01-01"})
    assert bad.status_code == 422 and "on: cannot be combined with since/until" in bad.json()["error"]


def test_members_jsonl_carries_the_api_objects(client):
    params = {"q": "学童クラブ", "limit": 4, "evidence": 2}
    r = client.get("/v1/members/search.jsonl", params=params)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson; charset=utf-8"
    assert 'filename="gikai-members.jsonl"' in r.headers["content-disposition"]
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert lines == client.get("/v1/members/search", params=params).json()["data"]
    assert all(len(m["evidence"]) <= 2 for m in lines)


def test_statements_csv_and_jsonl(client):
    params = {"q": "産後ケア", "limit": 8}
    api = client.get("/v1/statements/search", params=params).json()["data"]
    rows = _csv(client.get("/v1/statements/search.csv", params=params))
    assert list(rows[0]) == [name for name, _ in STATEMENT_COLUMNS]
    assert [row["発言ID"] for row in rows] == [s["statement_id"] for s in api]
    assert rows[0]["発言"] == api[0]["text"] and rows[0]["出典URL"] == api[0]["source_url"]
    assert all(row["出典URL"].startswith(TOKYO) for row in rows)
    assert rows[0]["日付"] == api[0]["date"] and rows[0]["発言区分"] == api[0]["role_kind"]
    lines = client.get("/v1/statements/search.jsonl", params=params).text.splitlines()
    assert [json.loads(line) for line in lines] == api


def test_a_search_without_results_is_a_header_only_csv(client):
    r = client.get("/v1/statements/search.csv", params={"q": "ズンドコベロンチョ"})
    assert r.status_code == 200
    assert r.content.decode("utf-8-sig").splitlines() == [",".join(n for n, _ in STATEMENT_COLUMNS)]
    assert client.get("/v1/members/search.jsonl", params={"q": "ズンドコベロンチョ"}).text == ""


def test_limit_up_to_1000(client):
    r = client.get("/v1/statements/search.jsonl", params={"q": "子供 支援 東京 対策", "limit": 1000})
    assert r.status_code == 200 and len(r.text.splitlines()) == 1000
    too_many = client.get("/v1/statements/search.csv", params={"q": "子供", "limit": 1001})
    assert too_many.status_code == 422 and "limit" in too_many.json()["error"]


@pytest.mark.parametrize(("path", "params", "message"), [
    ("/v1/members/search.csv", {"q": ""}, "q: must not be empty"),
    ("/v1/members/search.xlsx", {"q": "保育"}, "fmt"),
    ("/v1/statements/search.jsonl", {"q": "保育", "assembly": "13"}, "assembly"),
])
def test_bad_export_requests_are_422(client, path, params, message):
    r = client.get(path, params=params)
    assert r.status_code == 422 and message in r.json()["error"]


def test_member_routes_are_not_shadowed(client):
    mid = client.get("/v1/members/search", params={"q": "待機児童", "limit": 1}).json()["data"][0]["member_id"]
    assert client.get(f"/v1/members/{mid}").json()["member_id"] == mid


@pytest.mark.parametrize(("value", "cell"), [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("@x", "'@x"),
                                             ("-2", "'-2"), ("待機児童", "待機児童"), (None, ""), (1.5, 1.5)])
def test_spreadsheet_formulas_are_defused(value, cell):
    assert _cell(value) == cell


def test_openapi_documents_exports_in_japanese(client):
    paths = client.get("/openapi.json").json()["paths"]
    op = paths["/v1/members/search.{fmt}"]["get"]
    assert op["tags"] == ["export"] and "CSV" in op["summary"] and "text/csv" in op["responses"]["200"]["content"]
    assert "/v1/statements/search.{fmt}" in paths


SCORE_PARTS = ["質問の一致度", "答弁の一致度", "会議の広がり", "発言全体の一致度", "投稿の一致度"]


def test_members_csv_score_parts_add_up_to_the_score(client):
    rows = _csv(client.get("/v1/members/search.csv", params={"q": "待機児童", "limit": 20}))
    assert len(rows) == 20
    for row in rows:
        assert sum(float(row[p]) for p in SCORE_PARTS) == pytest.approx(float(row["スコア"]), abs=1e-3)


@pytest.mark.slow
def test_members_csv_carries_the_blog_part_and_post_urls(crawled_members_index, tmp_path):
    """Over the crawled roster + blog index: 森澤恭子's blog post counts in her score (parts.posts);
    the CSV had no column for it, so its parts did not add up to スコア and the post had no URL."""
    from fastapi.testclient import TestClient

    from api.deps import current_settings
    from api.main import create_app
    from api.settings import Settings

    app = create_app(crawled_members_index[0])
    app.dependency_overrides[current_settings] = lambda: Settings(state_path=tmp_path / "state.sqlite3")
    params = {"q": "保育士の確保と保育園の待機児童対策", "limit": 20}
    with TestClient(app) as c:
        api = {m["member_id"]: m for m in c.get("/v1/members/search", params=params).json()["data"]}
        rows = _csv(c.get("/v1/members/search.csv", params=params))
    blogged = [row for row in rows if float(row["投稿の一致度"]) > 0]
    assert [row["氏名"] for row in blogged] == ["森澤恭子"]
    [row] = blogged
    member = api[row["議員ID"]]
    assert float(row["投稿の一致度"]) == member["parts"]["posts"] > 0
    assert row["投稿の出典URL"].split() == list(dict.fromkeys(p["source_url"] for p in member["posts"]))
    assert sum(float(row[p]) for p in SCORE_PARTS) == pytest.approx(float(row["スコア"]), abs=1e-3)
