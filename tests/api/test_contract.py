"""The API contract as a CRM integrator meets it: request bodies, parameter formats, documented behaviour."""

from __future__ import annotations

import pytest

from nlp.topics import load_taxonomy

MATCH_BODY = '{"description": "産後ケアの予約", "limit": 1}'


@pytest.mark.parametrize(("headers", "message"), [
    # `curl -d` without -H sends form encoding; the body is then not read as JSON at all.
    ({"content-type": "application/x-www-form-urlencoded"},
     "body: must be a JSON object sent with Content-Type: application/json "
     "(Content-Type was application/x-www-form-urlencoded)"),
    ({"content-type": "text/plain"},
     "body: must be a JSON object sent with Content-Type: application/json (Content-Type was text/plain)"),
    ({}, "body: must be a JSON object sent with Content-Type: application/json (Content-Type was none)"),
])
def test_match_with_the_wrong_content_type_says_so(client, headers, message):
    r = client.post("/v1/match", content=MATCH_BODY.encode(), headers=headers)
    assert r.status_code == 422
    assert r.json() == {"ok": False, "status": 422, "error": message}
    # The same bytes as JSON work.
    ok = client.post("/v1/match", content=MATCH_BODY.encode(), headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["count"] == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"", "body: required; must be a JSON object sent with Content-Type: application/json"),
    ('["保育"]'.encode(), "body: not an object; must be a JSON object sent with Content-Type: application/json"),
    (b"null", "body: not an object; must be a JSON object sent with Content-Type: application/json"),
])
@pytest.mark.parametrize("path", ["/v1/match", "/v1/saved-searches"])
def test_a_json_body_that_is_not_an_object(client, path, content, message):
    r = client.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json() == {"ok": False, "status": 422, "error": message}


@pytest.mark.parametrize("code", ["13000１", "１３０００１", "١٣٠٠٠١"])  # full-width and Arabic-Indic digits
def test_non_ascii_digits_are_not_a_dantai_code(client, code):
    """`\\d` matched any Unicode digit: a full-width code passed validation and silently found nothing."""
    for path in ("/v1/members/search", "/v1/statements/search", "/v1/members/search.csv"):
        r = client.get(path, params={"q": "保育", "assembly": code})
        assert r.status_code == 422, (path, r.text)
        assert r.json()["error"] == f"assembly: {code!r} is not a 6-digit 団体コード"
    r = client.get("/v1/topics/childcare/members", params={"assembly": code})
    assert r.status_code == 422
    r = client.post("/v1/match", json={"description": "保育", "assemblies": [code]})
    assert r.status_code == 422 and r.json()["error"] == f"assemblies.0: {code!r} is not a 6-digit 団体コード"
    # The ASCII code still works.
    ok = client.get("/v1/members/search", params={"q": "保育", "assembly": "130001"}).json()
    assert ok["count"] == 10 and {m["assembly_code"] for m in ok["data"]} == {"130001"}


def test_saved_search_rejects_non_ascii_dantai_code(make_client):
    r = make_client().post("/v1/saved-searches", json={
        "query": "防災", "assemblies": ["13000１"], "callback_url": "https://crm.example.com/h"})
    assert r.status_code == 422 and r.json()["error"] == "assemblies: '13000１' is not a 6-digit 団体コード"


def test_match_assembly_code_error_names_the_problem(client):
    """Any schema pattern mismatch used to read "must contain at least one visible character"."""
    r = client.post("/v1/match", json={"description": "保育", "assemblies": ["130001", "tokyo"]})
    assert r.status_code == 422
    assert r.json() == {"ok": False, "status": 422, "error": "assemblies.1: 'tokyo' is not a 6-digit 団体コード"}
    blank = client.post("/v1/match", json={"description": "\x00\x01"})
    assert blank.json()["error"] == "description: must contain at least one visible character"


def test_openapi_documents_conditional_get_and_it_behaves_as_documented(client):
    doc = client.get("/openapi.json").json()
    documented = []
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if op is None or not path.startswith("/v1/"):
            continue
        names = {p["name"] for p in op.get("parameters", [])}
        if path.startswith("/v1/saved-searches"):  # state, not the index: no ETag
            assert "304" not in op["responses"] and "If-None-Match" not in names
            continue
        assert "304" in op["responses"] and "If-None-Match" in names, path
        assert "ETag" in op["responses"]["200"]["headers"], path
        documented.append(path)
    assert "/v1/members/search" in documented and "/v1/members/search.{fmt}" in documented
    # As documented: the ETag comes back as a 304 without a body.
    first = client.get("/v1/topics")
    again = client.get("/v1/topics", headers={"If-None-Match": first.headers["etag"]})
    assert first.status_code == 200 and first.json()["count"] == len(load_taxonomy().topics) == 93
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]


def test_member_hit_dates_are_the_members_and_documented_so(client):
    """first_date/last_date in a search hit are the member's overall dates, not those of the matches."""
    hits = client.get("/v1/members/search", params={"q": "新型コロナウイルス", "since": "2020-06-01", "limit": 20}).json()["data"]
    assert hits
    for hit in hits:
        member = client.get(f"/v1/members/{hit['member_id']}").json()
        assert (hit["first_date"], hit["last_date"]) == (member["first_date"], member["last_date"])
    # Outside the searched period: the member's dates, as documented.
    assert any(hit["first_date"] < "2020-06-01" for hit in hits)
    props = client.get("/openapi.json").json()["components"]["schemas"]["MemberHit"]["properties"]
    assert "最初の発言日" in props["first_date"]["description"] and "議員全体" in props["last_date"]["description"]


def test_member_statements_total_counts_what_q_finds(client):
    mid = client.get("/v1/members/search", params={"q": "待機児童"}).json()["data"][0]["member_id"]
    everything = client.get(f"/v1/members/{mid}/statements", params={"limit": 100}).json()
    matching = client.get(f"/v1/members/{mid}/statements", params={"q": "感染", "limit": 100}).json()
    assert everything["total"] == len(everything["data"]) > matching["total"] == len(matching["data"]) > 0
    assert (everything["total"], matching["total"]) == (55, 34)  # the top 待機児童 member of the 2020 minutes
    assert all("感染" in s["text"] or "感染" in (s["heading"] or "") for s in matching["data"])
    # Pages of a q search end where its matches end (the cursor used to promise empty pages).
    first = client.get(f"/v1/members/{mid}/statements", params={"q": "感染", "limit": 1}).json()
    assert first["total"] == matching["total"] and (first["next_cursor"] is None) == (matching["total"] == 1)
    last = client.get(f"/v1/members/{mid}/statements",
                      params={"q": "感染", "limit": 1, "offset": matching["total"] - 1}).json()
    assert len(last["data"]) == 1 and last["next_cursor"] is None
    later = client.get(f"/v1/members/{mid}/statements", params={"until": "2020-05-31", "limit": 100}).json()
    assert later["total"] == len(later["data"]) < everything["total"]
    props = client.get("/openapi.json").json()["components"]["schemas"]["MemberStatements"]["properties"]
    assert "q があるときは q に一致する段落の数" in props["total"]["description"]


def test_saved_search_schema_says_what_the_server_checks(make_client):
    c = make_client()
    props = c.get("/openapi.json").json()["components"]["schemas"]["SavedSearchCreate"]["properties"]
    assert (props["query"]["minLength"], props["query"]["maxLength"]) == (1, 1000)
    r = c.post("/v1/saved-searches", json={"query": "", "callback_url": "https://crm.example.com/h"})
    assert r.status_code == 422 and r.json()["error"] == "query: must not be empty"
