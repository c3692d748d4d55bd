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
