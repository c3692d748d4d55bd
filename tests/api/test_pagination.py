"""Cursor pagination: opaque cursors bound to the query, next_cursor null at the end, offset still works."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from api.deps import current_settings
from api.main import create_app
from api.pagination import decode_cursor, encode_cursor
from api.settings import Settings


def test_cursor_round_trip_and_is_url_safe():
    c = encode_cursor(30, "0123456789abcdef")
    assert decode_cursor(c) == (30, "0123456789abcdef")
    assert set(c) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("bad", ["", "!!!", "bm90IGEgY3Vyc29y", base64.urlsafe_b64encode(b"-1.0123456789abcdef").decode()])
def test_malformed_cursor_is_422(bad):
    with pytest.raises(HTTPException) as exc:
        decode_cursor(bad)
    assert exc.value.status_code == 422 and exc.value.detail.startswith("cursor: malformed")


def _walk(client, path, params, page_size, key="data"):
    """Follow next_cursor to the end; returns the pages."""
    pages, cursor = [], None
    while True:
        r = client.get(path, params={**params, "limit": page_size, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body[key])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def _paginated(client, path) -> bool:
    params = client.get("/openapi.json").json()["paths"][path]["get"].get("parameters", [])
    return any(p["name"] == "cursor" for p in params)


@pytest.mark.parametrize(("path", "params", "id_of"), [
    ("/v1/statements/search", {"q": "産後ケア", "since": "2020-02-28", "until": "2020-02-28"},
     lambda d: d["statement_id"]),
    ("/v1/members/search", {"q": "待機児童", "evidence": 0}, lambda d: d["member_id"]),
])
def test_cursor_pages_equal_one_big_page(client, path, params, id_of):
    assert _paginated(client, path), f"{path} does not take `cursor` (route to use api.pagination.paginate)"
    everything = client.get(path, params={**params, "limit": 100}).json()
    assert everything["next_cursor"] is None or len(everything["data"]) == 100
    pages = _walk(client, path, params, 7)
    walked = [id_of(d) for page in pages for d in page]
    assert walked == [id_of(d) for d in everything["data"]][:len(walked)]
    assert len(set(walked)) == len(walked) and all(len(p) == 7 for p in pages[:-1])
    # Offset keeps working, and agrees with the cursor.
    second = client.get(path, params={**params, "limit": 7, "offset": 7}).json()["data"]
    assert [id_of(d) for d in second] == walked[7:14]


def test_cursor_pages_of_the_statement_export(client):
    """The same cursor mechanism, on the JSONL export (X-Next-Cursor header)."""
    full = client.get("/v1/statements/search.jsonl", params={"q": "防災", "limit": 12}).text.splitlines()
    ids, cursor = [], None
    for _ in range(3):
        r = client.get("/v1/statements/search.jsonl",
                       params={"q": "防災", "limit": 4, **({"cursor": cursor} if cursor else {})})
        ids += [json.loads(line)["statement_id"] for line in r.text.splitlines()]
        cursor = r.headers["x-next-cursor"]
        assert r.headers["link"].endswith('rel="next"') and f"cursor={cursor}" in r.headers["link"]
    assert ids == [json.loads(line)["statement_id"] for line in full]


@pytest.mark.parametrize(("changed", "message"), [
    ({"q": "防災対策"}, "cursor: was issued for other query parameters"),
    ({"q": "防災", "since": "2020-03-01"}, "cursor: was issued for other query parameters"),
])
def test_cursor_with_other_parameters_is_422(client, changed, message):
    cursor = client.get("/v1/statements/search.jsonl", params={"q": "防災", "limit": 4}).headers["x-next-cursor"]
    r = client.get("/v1/statements/search.jsonl", params={**changed, "limit": 4, "cursor": cursor})
    assert r.status_code == 422
    assert r.json()["ok"] is False and r.json()["error"].startswith(message)
    # A cursor from one endpoint does not fit another.
    assert client.get("/v1/members/search.jsonl", params={"q": "防災", "cursor": cursor}).status_code == 422


def test_garbage_cursor_is_422_in_the_error_shape(client):
    r = client.get("/v1/statements/search.csv", params={"q": "防災", "cursor": "xyz"})
    assert r.status_code == 422 and r.json()["status"] == 422 and r.json()["error"].startswith("cursor: malformed")


def test_last_page_has_no_next_cursor(client):
    r = client.get("/v1/statements/search.jsonl", params={"q": "産後ケア", "limit": 1000})
    assert r.status_code == 200 and "x-next-cursor" not in r.headers and "link" not in r.headers


def test_saved_search_list_pages(demo_db, tmp_path):
    settings = Settings(state_path=tmp_path / "state.sqlite3")
    app = create_app(demo_db)
    app.dependency_overrides[current_settings] = lambda: settings
    with contextlib.ExitStack() as stack:
        c = stack.enter_context(TestClient(app))
        made = [c.post("/v1/saved-searches", json={"query": f"防災{i}", "callback_url": "https://example.com/h"}
                       ).json()["id"] for i in range(5)]
        pages = _walk(c, "/v1/saved-searches", {}, 2)
        assert [s["id"] for p in pages for s in p] == made and [len(p) for p in pages] == [2, 2, 1]
