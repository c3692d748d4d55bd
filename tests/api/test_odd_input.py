"""Odd query input on every endpoint that takes text: a 422 in the one error shape, or a correct result; never a 5xx.

Covered: the two searches, their CSV/JSONL exports, a member's statements with ``q``, ``POST /v1/match``,
``POST /v1/saved-searches``, and ``gikai search`` / ``gikai match``. Inputs: empty, blank, over-long
(1,001 and 10,000 characters), emoji only, control characters, zero-width and right-to-left marks,
SQL-looking text, invalid percent-encoded UTF-8 and lone surrogates, NFKC variants (full-width Latin,
half-width kana), one very long token. Also: the server opens the DuckDB file read-only.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from nlp.highlight import query_terms

SEARCHES = ["/v1/statements/search", "/v1/members/search"]
EXPORTS = [f"/v1/{kind}/search.{fmt}" for kind in ("statements", "members") for fmt in ("csv", "jsonl")]
MEMBER_STATEMENTS = "/v1/members/{mid}/statements"
Q_ENDPOINTS = [*SEARCHES, *EXPORTS, MEMBER_STATEMENTS]
TABLES = {"assemblies", "meetings", "members", "passages", "postings", "speeches", "terms"}
SQL_LOOKING = ["'; DROP TABLE passages; --", "%' OR 1=1 --", "1; DELETE FROM members WHERE ''=''", "\" OR \"\"=\""]


@pytest.fixture(scope="module")
def mid(client) -> str:
    return client.get("/v1/members/search", params={"q": "待機児童"}).json()["data"][0]["member_id"]


def _get(client, endpoint: str, mid: str, q: str | None = None, raw_q: str | None = None):
    path = endpoint.format(mid=mid)
    if raw_q is not None:  # sent as is: percent-escapes that are not UTF-8
        return client.get(f"{path}?q={raw_q}")
    return client.get(path, params={"q": q})


def _error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"ok": False, "status": status, "error": message}


def _assert_empty(client, endpoint: str, mid: str, response, echoed: str) -> None:
    """200 and no results, in each endpoint's own shape."""
    assert response.status_code == 200, response.text
    if endpoint.endswith(".csv"):
        lines = response.content.decode("utf-8-sig").splitlines()
        assert len(lines) == 1 and lines[0].startswith("順位,")  # the header only
    elif endpoint.endswith(".jsonl"):
        assert response.content == b""
        assert "x-next-cursor" not in response.headers
    elif endpoint == MEMBER_STATEMENTS:
        # With q, total counts the member's statements that q finds: none.
        assert response.json() == {"member_id": mid, "total": 0, "terms": query_terms(echoed), "offset": 0, "data": [],
                                   "next_cursor": None}
    else:
        assert response.json() == {"query": echoed, "terms": query_terms(echoed), "count": 0, "offset": 0, "data": [],
                                   "next_cursor": None}


def _same(a, b) -> None:
    """The same response, but for next_cursor: a cursor is bound to the exact parameters sent."""
    a, b = a.json(), b.json()
    assert (a.pop("next_cursor") is None) == (b.pop("next_cursor") is None)
    # Words to mark keep the query's own spelling (ｺﾛﾅ beside コロナ): the plain text's are among them.
    assert set(b.pop("terms")) <= set(a.pop("terms"))
    assert a == b


def _ids(response) -> list[str]:
    body = response.json()
    return [r.get("statement_id") or r["member_id"] for r in body["data"]]


# -- rejected: 422 in the error shape, naming the parameter ----------------------------------


@pytest.mark.parametrize("endpoint", Q_ENDPOINTS)
@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("", "q: must not be empty"),
        ("   ", "q: must not be empty"),
        ("\u3000\t\n ", "q: must not be empty"),  # ideographic space, tab, newline
        ("あ" * 1001, "q: 1001 characters; at most 1000 are accepted"),
        ("a" * 10_000, "q: 10000 characters; at most 1000 are accepted"),
        ("保育" * 1500, "q: 3000 characters; at most 1000 are accepted"),  # 27 kB once percent-encoded
    ],
)
def test_empty_and_over_long_q_is_422(client, mid, endpoint, q, message):
    _error(_get(client, endpoint, mid, q), 422, message)


@pytest.mark.parametrize("endpoint", Q_ENDPOINTS)
@pytest.mark.parametrize("q", ["\x00\x01\x1b", "%00%07"])
def test_control_characters_only_is_422(client, mid, endpoint, q):
    response = _get(client, endpoint, mid, q) if "%" not in q else _get(client, endpoint, mid, raw_q=q)
    # Every endpoint that takes q checks the same schema (length 1-1,000, a visible character) first.
    _error(response, 422, "q: must contain at least one visible character")


def test_q_limit_is_1000_characters_after_control_characters_are_dropped(client, mid):
    assert client.get("/v1/statements/search", params={"q": "あ" * 1000}).status_code == 200
    # A member's statements take the same q as the searches: the schema said 20,000 characters while
    # the server refused more than 1,000 (20,000 -> "at most 1000", 20,001 -> "at most 20000").
    for n in (1001, 20_000, 20_001):
        _error(client.get(MEMBER_STATEMENTS.format(mid=mid), params={"q": "a" * n}), 422,
               f"q: {n} characters; at most 1000 are accepted")
    assert client.get(MEMBER_STATEMENTS.format(mid=mid), params={"q": "保育" * 500}).status_code == 200
    param = next(p for p in client.get("/openapi.json").json()["paths"]["/v1/members/{member_id}/statements"]["get"]
                 ["parameters"] if p["name"] == "q")
    schema = next(s for s in param["schema"]["anyOf"] if s.get("type") == "string")
    assert (schema["minLength"], schema["maxLength"]) == (1, 1000)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"description": ""}, "description: must not be empty"),
        ({"description": " \u3000\n"}, "description: must not be empty"),
        ({"description": "\x00\x01\x1b"}, "description: must contain at least one visible character"),
        ({"description": "あ" * 2001}, "description: 2001 characters; at most 2000 are accepted"),
        ({"description": "a" * 10_000}, "description: 10000 characters; at most 2000 are accepted"),
    ],
)
def test_match_empty_and_over_long_is_422(client, body, message):
    _error(client.post("/v1/match", json=body), 422, message)


def test_match_lone_surrogate_and_invalid_utf8_body_are_4xx(client):
    json_header = {"content-type": "application/json"}
    # JSON may spell a lone surrogate; it is not text.
    _error(client.post("/v1/match", content=b'{"description": "\\ud800"}', headers=json_header), 422,
           "description: Input should be a valid string, unable to parse raw data as a unicode string")
    _error(client.post("/v1/match", content=b'{"description": "\xff\xfe"}', headers=json_header), 400,
           "There was an error parsing the body")


# -- accepted: 200 and a correct, here empty, result -----------------------------------------


@pytest.mark.parametrize("endpoint", Q_ENDPOINTS)
@pytest.mark.parametrize(
    ("q", "echoed"),
    [
        ("🙂🙂🙂", "🙂🙂🙂"),
        ("\x00\x01\x1b[31m", "[31m"),  # control characters are dropped, the rest is searched
        ("\u200b", "\u200b"),  # zero-width space: not blank to Unicode, and matches nothing
        ("\u202e\u200f", "\u202e\u200f"),  # right-to-left override and mark
        ("\ufeff", "\ufeff"),
        ("x" * 1000, "x" * 1000),  # one very long token
        ("ﾀﾞ", "ﾀﾞ"),
        ("%' OR 1=1 --", "%' OR 1=1 --"),
        ("%%%", "%%%"),
        ("\\u0000", "\\u0000"),  # a backslash escape, as text
    ],
)
def test_odd_text_finds_nothing(client, mid, endpoint, q, echoed):
    _assert_empty(client, endpoint, mid, _get(client, endpoint, mid, q), echoed)


@pytest.mark.parametrize("endpoint", Q_ENDPOINTS)
@pytest.mark.parametrize(
    ("raw", "echoed"),
    [
        ("%ff%fe", "\ufffd\ufffd"),  # not UTF-8
        ("%ED%A0%80", "\ufffd\ufffd\ufffd"),  # a UTF-8-encoded lone surrogate (U+D800)
        ("%C0%80", "\ufffd\ufffd"),  # overlong NUL
        ("%E3%81", "\ufffd"),  # truncated sequence
    ],
)
def test_invalid_utf8_in_the_url_is_read_leniently_and_finds_nothing(client, mid, endpoint, raw, echoed):
    _assert_empty(client, endpoint, mid, _get(client, endpoint, mid, raw_q=raw), echoed)


@pytest.mark.parametrize(
    "description", ["🙂🙂🙂", "\u200b", "\u202e\u200f", "%' OR 1=1 --", "ﾀﾞ", "x" * 1000]
)
def test_match_odd_text_finds_nothing(client, description):
    r = client.post("/v1/match", json={"description": description})
    assert r.status_code == 200, r.text
    assert r.json() == {"description": description, "topics": [], "terms": query_terms(description), "count": 0,
                        "offset": 0, "data": [], "next_cursor": None}
    assert all(any(c.isalnum() for c in t) for t in r.json()["terms"])  # no invisible marks (bidi controls)


def test_match_drops_control_characters(client):
    r = client.post("/v1/match", json={"description": "\x00\x01\x1b[31m"})
    assert r.status_code == 200
    assert r.json() == {"description": "[31m", "topics": [], "terms": [], "count": 0, "offset": 0, "data": [],
                        "next_cursor": None}


# -- accepted: 200 and the same result as the plain text -------------------------------------


@pytest.mark.parametrize("endpoint", [*SEARCHES, MEMBER_STATEMENTS])
@pytest.mark.parametrize(
    ("odd", "plain"),
    [
        ("\x00\x01保育\x7f", "保育"),  # control characters dropped before anything else
        ("\x1b[31m待機児童\x1b[0m", "[31m待機児童[0m"),
    ],
)
def test_control_characters_are_dropped(client, mid, endpoint, odd, plain):
    a, b = _get(client, endpoint, mid, odd), _get(client, endpoint, mid, plain)
    assert a.status_code == b.status_code == 200
    _same(a, b)
    if endpoint != MEMBER_STATEMENTS:
        assert a.json()["query"] == plain and a.json()["count"] > 0


@pytest.mark.parametrize(
    ("odd", "plain"),
    [
        ("ｺﾛﾅ", "コロナ"),  # half-width kana
        ("ＰＣＲ検査", "PCR検査"),  # full-width Latin
        ("'; DROP TABLE passages; --", "DROP TABLE passages"),  # SQL syntax is only punctuation to the tokenizer
    ],
)
def test_nfkc_variants_and_sql_punctuation_search_the_same_words(client, mid, odd, plain):
    # Member statements rank on words alone (BM25): the same words give the same page.
    path = MEMBER_STATEMENTS.format(mid=mid)
    _same(client.get(path, params={"q": odd}), client.get(path, params={"q": plain}))
    for endpoint in SEARCHES:
        a, b = client.get(endpoint, params={"q": odd}), client.get(endpoint, params={"q": plain})
        assert a.status_code == b.status_code == 200
        assert a.json()["query"] == odd
        # The same candidates by their words; the embedding of the raw text may only re-order them.
        assert a.json()["count"] == b.json()["count"]
        assert sorted(_ids(a)) == sorted(_ids(b))


def test_sql_looking_input_is_only_text_and_the_index_is_intact(client, mid):
    before = client.get("/v1/statements/search", params={"q": "待機児童"}).json()
    assert before["count"] > 0
    for q in SQL_LOOKING:
        for endpoint in Q_ENDPOINTS:
            r = _get(client, endpoint, mid, q)
            assert r.status_code == 200, (endpoint, q, r.text)
            if endpoint in SEARCHES:
                assert r.json()["query"] == q
        r = client.post("/v1/match", json={"description": q})
        assert r.status_code == 200 and r.json()["description"] == q
    assert client.get("/v1/statements/search", params={"q": "待機児童"}).json() == before
    cur = client.app.state.searcher.cursor()
    try:
        tables = {t for (t,) in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert TABLES <= tables
        assert cur.execute("SELECT count(*) FROM members").fetchall()[0][0] > 0
    finally:
        cur.close()


# -- saved searches (their query is search text too) -----------------------------------------


def test_saved_search_query_odd_input(make_client):
    c = make_client()
    hook = "https://crm.example.com/hooks/gikai"
    _error(c.post("/v1/saved-searches", json={"query": "", "callback_url": hook}), 422, "query: must not be empty")
    _error(c.post("/v1/saved-searches", json={"query": "\x00 \x1b", "callback_url": hook}), 422,
           "query: must not be empty")
    _error(c.post("/v1/saved-searches", json={"query": "a" * 10_000, "callback_url": hook}), 422,
           "query: 10000 characters; at most 1000 are accepted")
    _error(c.post("/v1/saved-searches", content=b'{"query": "\\udfff", "callback_url": "https://x.example"}',
                  headers={"content-type": "application/json"}), 422,
           "query: Input should be a valid string, unable to parse raw data as a unicode string")
    for q in ["'; DROP TABLE saved_searches; --", "🙂🙂🙂"]:
        r = c.post("/v1/saved-searches", json={"query": q, "callback_url": hook})
        assert r.status_code == 201, r.text
        assert r.json()["query"] == q
    assert [s["query"] for s in c.get("/v1/saved-searches").json()["data"]] == ["'; DROP TABLE saved_searches; --",
                                                                                 "🙂🙂🙂"]


# -- the command line ------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", ""], "query: must not be empty"),
        (["search", "\x00\x1b "], "query: must not be empty"),
        (["search", "a" * 10_000], "query: 10000 characters; at most 1000 are accepted"),
        # Invalid UTF-8 in argv arrives as lone surrogates (surrogateescape).
        (["search", "保育\udcff"], "query: malformed Unicode (unpaired surrogate)"),
        (["match", "a" * 10_000], "description: 10000 characters; at most 2000 are accepted"),
        (["match", "\udcff"], "description: malformed Unicode (unpaired surrogate)"),
    ],
)
def test_cli_rejects_empty_over_long_and_malformed(demo_db, args, message):
    result = runner.invoke(cli, [*args, "--db", str(demo_db)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize("q", ["🙂🙂🙂", "%' OR 1=1 --", "\u200b", "\u202e\u200f"])
def test_cli_search_odd_text_finds_nothing(demo_db, q):
    for extra in ([], ["--statements"]):
        result = runner.invoke(cli, ["search", q, "--json", *extra, "--db", str(demo_db)])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == {"query": q, "terms": query_terms(q), "data": []}


def test_cli_search_sql_looking_text_is_only_words(demo_db):
    def run(q: str) -> dict:
        result = runner.invoke(cli, ["search", q, "--json", "--statements", "--db", str(demo_db)])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    odd, plain = run("'; DROP TABLE passages; --"), run("DROP TABLE passages")
    assert odd["query"] == "'; DROP TABLE passages; --"
    assert sorted(h["statement_id"] for h in odd["data"]) == sorted(h["statement_id"] for h in plain["data"])
    assert run("待機児童")["data"]


# -- the index is opened read-only -------------------------------------------------------------


@pytest.mark.parametrize(
    "sql", ["CREATE TABLE pwned (a INTEGER)", "DROP TABLE passages", "DELETE FROM members", "UPDATE members SET name = 'x'"]
)
def test_server_opens_the_index_read_only(client, sql):
    cur = client.app.state.searcher.cursor()
    try:
        with pytest.raises(duckdb.Error, match="read-only mode"):
            cur.execute(sql)
    finally:
        cur.close()
    assert client.get("/v1/statements/search", params={"q": "待機児童"}).json()["count"] > 0
