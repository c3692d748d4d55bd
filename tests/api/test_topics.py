def test_topics_list_has_hierarchy_and_counts(client):
    body = client.get("/v1/topics").json()
    assert body["count"] >= 60
    by_id = {t["topic_id"]: t for t in body["data"]}
    children = [t for t in body["data"] if t["parent"]]
    assert children and all(t["parent"] in by_id for t in children)
    sango = next(t for t in body["data"] if t["label"] == "産後ケア")
    # In the 2020 demo minutes six members raise 産後ケア; 山内れい子 in two questions (産前鬱, then 産婦健康診査).
    assert (sango["member_passages"], sango["members"]) == (7, 6)


def test_topic_members_ranked_with_engagement(client):
    topics = client.get("/v1/topics").json()["data"]
    taiki = next(t for t in topics if t["label"] == "待機児童")
    r = client.get(f"/v1/topics/{taiki['topic_id']}/members", params={"limit": 5})
    assert r.status_code == 200
    data = r.json()["data"]
    # Only four members have engaged passages on 待機児童 in the demo minutes.
    assert [(m["name"], m["passages"], m["party"]) for m in data] == [
        ("和泉なおみ", 2, "日本共産党都議団"), ("増子ひろき", 2, "都民ファーストの会東京都議団"),
        ("荒木ちはる", 1, "都民ファーストの会東京都議団"), ("曽根はじめ", 1, "日本共産党都議団")]
    assert r.json()["count"] == 4 and r.json()["next_cursor"] is None
    assert [m["score"] for m in data] == sorted((m["score"] for m in data), reverse=True)
    assert client.get("/v1/topics/no.such.topic/members").status_code == 404
    # One 会派: the same members in the same order, only that group's; a blank party is a 422 naming it.
    mine = client.get(f"/v1/topics/{taiki['topic_id']}/members", params={"party": "都民ファースト"}).json()["data"]
    assert [(m["name"], m["score"]) for m in mine] == [
        (m["name"], m["score"]) for m in data if m["party"] == "都民ファーストの会東京都議団"] == [
        ("増子ひろき", data[1]["score"]), ("荒木ちはる", data[2]["score"])]
    blank = client.get(f"/v1/topics/{taiki['topic_id']}/members", params={"party": " "})
    assert blank.status_code == 422 and blank.json()["error"] == "party: must not be empty"


def test_member_topic_profile_by_year(client):
    top = client.get("/v1/members/search", params={"q": "産後ケア"}).json()["data"][0]
    assert (top["name"], top["member_id"]) == ("森澤恭子", "130001-53df1e713ea1")
    r = client.get(f"/v1/members/{top['member_id']}/topics")
    assert r.status_code == 200
    rows = r.json()["data"]
    assert len(rows) == 32
    assert all(0 < row["share"] <= 1 and row["year"] == 2020 for row in rows)
    assert client.get("/v1/members/130001-000000000000/topics").status_code == 404
