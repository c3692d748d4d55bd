def test_statement_search_finds_question_and_answers(client):
    r = client.get("/v1/statements/search", params={"q": "産後ケア", "limit": 10})
    assert r.status_code == 200
    data = r.json()["data"]
    assert data and all("産後" in d["text"] or "産後" in (d["heading"] or "") for d in data[:3])
    assert {d["role_kind"] for d in data} <= {"member", "executive", "witness"}
    assert all(d["source_url"].startswith("https://www.gikai.metro.tokyo.jp/") for d in data)


def test_pagination_is_consistent(client):
    full = client.get("/v1/statements/search", params={"q": "防災", "limit": 6}).json()["data"]
    page2 = client.get("/v1/statements/search", params={"q": "防災", "limit": 3, "offset": 3}).json()["data"]
    assert [d["statement_id"] for d in full[3:]] == [d["statement_id"] for d in page2]


def test_assemblies_and_health(client):
    a = client.get("/v1/assemblies").json()
    # 11 meeting records, one of them PoliInfo's list page of the 1st extraordinary session (no speech, no date).
    assert a["count"] == 1 and a["data"][0]["assembly_code"] == "130001" and a["data"][0]["meetings"] == 10
    assert (a["data"][0]["first_date"], a["data"][0]["last_date"]) == ("2020-02-19", "2020-06-03")
    h = client.get("/healthz").json()
    assert h["ok"] is True and h["index"]["k1"] == "1.5"
    assert client.get("/openapi.json").json()["info"]["title"].startswith("議員サーチ")


def test_healthz_answers_head_for_monitors(client):
    r = client.head("/healthz")
    assert r.status_code == 200 and r.content == b""
    assert list(client.get("/openapi.json").json()["paths"]["/healthz"]) == ["get"]


def test_searches_say_which_words_to_mark_in_their_evidence(client):
    """`terms`: the words search matched, as the query wrote them and as normalized (子ども → 子供)."""
    q = "子どもの居場所"
    statements = client.get("/v1/statements/search", params={"q": q, "limit": 10}).json()
    members = client.get("/v1/members/search", params={"q": q, "limit": 3}).json()
    match = client.post("/v1/match", json={"description": q, "limit": 3}).json()
    assert statements["terms"] == members["terms"] == match["terms"]
    assert {"子ども", "子供", "居場所"} <= set(statements["terms"])
    # The minutes write 子供; the query's 子ども alone would mark none of it.
    texts = [(d["heading"] or "") + d["text"] for d in statements["data"]]
    assert any("子供" in t and "子ども" not in t for t in texts)
    assert all(any(term in t for term in statements["terms"]) for t in texts)
    evidence = [(e["heading"] or "") + e["text"] for m in members["data"] for e in m["evidence"]]
    assert evidence and all(any(term in t for term in members["terms"]) for t in evidence)


def test_terms_of_a_hiragana_word_and_of_latin_inside_katakana(client):
    body = client.post("/v1/match", json={"description": "ごみ出しをIoTセンサーで知らせる", "limit": 1}).json()
    # ごみ出し is one word (searched as 塵出し); 知ら of 知らせる is a verb stem that would mark 知らない.
    assert {"ごみ出し", "IoT", "センサー"} <= set(body["terms"]) and "知ら" not in body["terms"]
    assert client.get("/v1/statements/search", params={"q": "🙂"}).json()["terms"] == []
