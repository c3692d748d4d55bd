import duckdb
import pytest

SANGO = "産後ケアの予約と空き状況をオンラインで確認できるサービス。出産後の母親の孤立を防ぐ"
LONG_SICK_CHILD = ("当社は自治体向けに、子育て世帯が病児保育や一時預かりの空き状況をスマートフォンで確認し、そのまま予約できる"
                   "クラウドサービスを提供しています。保護者は仕事を休まずに済み、自治体は電話対応の負担を減らせます。"
                   "導入自治体では予約の9割がオンラインになりました。")


def test_match_sango_care_returns_members_with_sango_evidence(client):
    r = client.post("/v1/match", json={"description": SANGO, "limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "maternal.postpartum_care" in {t["topic_id"] for t in body["topics"]} or any(
        t["label"] == "産後ケア" for t in body["topics"])
    first = body["data"][0]
    assert any("産後" in (e["heading"] or "") + e["text"] for e in first["evidence"])
    assert any(t["label"] == "産後ケア" for t in first["matched_topics"])
    assert first["reason"].startswith("産後ケア") and first["reason"].endswith("。")
    assert all(e["source_url"].startswith("https://www.gikai.metro.tokyo.jp/") for e in first["evidence"])


def test_match_respects_filters(client):
    r = client.post("/v1/match", json={"description": SANGO, "since": "2020-02-27", "until": "2020-02-28"})
    assert r.status_code == 200
    for m in r.json()["data"]:
        assert all("2020-02-27" <= e["date"] <= "2020-02-28" for e in m["evidence"])


def test_match_on_a_session_day_puts_that_days_members_first(client):
    r = client.post("/v1/match", json={"description": "子育て支援", "on": "2020-02-26", "limit": 5})
    assert r.status_code == 200
    data = r.json()["data"]
    # The match weighs the description's topic (子育て), so 鈴木章浩's 3.4 is over half the day's best here.
    assert [(m["name"], m["led_on"]) for m in data[:4]] == [
        ("増子ひろき", "2020-02-26"), ("東村邦浩", "2020-02-26"), ("鈴木章浩", "2020-02-26"), ("森澤恭子", None)]
    assert all(e["date"] == "2020-02-26" for m in data[:3] for e in m["evidence"])
    assert all("2020-02-19" <= e["date"] <= "2020-03-04" for m in data for e in m["evidence"])
    assert any(e["date"] != "2020-02-26" for m in data[2:] for e in m["evidence"])


def test_match_with_a_party_and_a_session_day_keeps_that_groups_members_in_the_same_order(client):
    """party narrows the session-day ranking to one 会派; who leads and the scores stay as without it."""
    everyone = client.post("/v1/match", json={"description": "子育て支援", "on": "2020-02-26", "limit": 100}).json()["data"]
    r = client.post("/v1/match", json={"description": "子育て支援", "on": "2020-02-26", "party": "都民ファースト",
                                       "limit": 100})
    assert r.status_code == 200, r.text
    found = r.json()["data"]
    assert [(m["name"], m["led_on"], m["score"]) for m in found] == [
        (m["name"], m["led_on"], m["score"]) for m in everyone if "都民ファースト" in (m["party"] or "")]
    assert found[0]["name"] == "増子ひろき" and found[0]["led_on"] == "2020-02-26"
    assert {m["party"] for m in found} == {"都民ファーストの会東京都議団"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"description": "保育", "party": " "}, "party"),
        ({"description": "保育", "party": "あ" * 101}, "party"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description: must not be empty"),
        ({"description": "あ" * 2001}, "description"),
        ({"description": "保育", "assemblies": ["13"]}, "assemblies"),
        ({"description": "保育", "since": "2020-03-01", "until": "2020-02-01"}, "is after until"),
        ({"description": "保育", "limit": 0}, "limit"),
        ({}, "description"),
        ({"description": "保育", "on": "2020-02-26", "since": "2020-02-01"}, "on: cannot be combined with since/until"),
        ({"description": "保育", "around": 3}, "around: needs on"),
        ({"description": "保育", "on": "2020-02-26", "around": 91}, "around"),
    ],
)
def test_match_bad_input_is_422(client, body, message):
    r = client.post("/v1/match", json=body)
    assert r.status_code == 422, r.text
    assert message in r.json()["error"]


def test_match_malformed_json_is_422(client):
    r = client.post("/v1/match", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"] == "body: not valid JSON (Expecting property name enclosed in double quotes at character 1)"


SICK_CHILD = "病児保育のオンライン予約システム。空き状況を確認でき、LINEから予約できる"


def _tagged(demo_db, topic_ids: list[str], member_id: str | None = None) -> tuple[int, int]:
    """Members' passages tagged with any of the topics (score ≥ 0.3), and their meetings, counted in SQL."""
    import duckdb

    with duckdb.connect(str(demo_db), read_only=True) as con:
        return con.execute(
            """SELECT count(DISTINCT p.passage_id), count(DISTINCT p.meeting_id)
               FROM passage_topics t JOIN passages p USING (passage_id)
               WHERE t.topic_id IN (SELECT unnest($topics)) AND t.score >= 0.3 AND p.role_kind = 'member'
                 AND ($member IS NULL OR p.member_id = $member)""",
            {"topics": topic_ids, "member": member_id}).fetchall()[0]


def demo_db_topics(db, statement_id: str) -> set[str]:
    """Topics the tagger gave a passage at the match's threshold."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.execute(
            """SELECT t.topic_id FROM passage_topics t JOIN passages p USING (passage_id)
               WHERE p.statement_id = ? AND t.score >= 0.3""", [statement_id]).fetchall()}


def test_match_says_how_much_the_minutes_hold_on_each_topic(client, demo_db):
    body = client.post("/v1/match", json={"description": SICK_CHILD, "limit": 5}).json()
    counts = {t["topic_id"]: t["passages"] for t in body["topics"]}
    assert set(counts) == {"dx.online_booking", "childcare.sick_child", "dx.line", "childcare"}
    assert counts["childcare.sick_child"] == 0  # the 2020 plenary minutes never take up 病児保育
    for topic_id, n in counts.items():
        assert n == _tagged(demo_db, [topic_id])[0], topic_id
    assert counts["dx.line"] > 10
    # ... so its parent 子育て is searched in its place, at half its confidence, and says so.
    by_id = {t["topic_id"]: t for t in body["topics"]}
    assert by_id["childcare"]["fallback_for"] == "childcare.sick_child" and by_id["childcare"]["label"] == "子育て"
    assert by_id["childcare"]["score"] == round(by_id["childcare.sick_child"]["score"] * 0.5, 3)
    assert all(t["fallback_for"] is None for t in body["topics"] if t["topic_id"] != "childcare")


def test_a_topic_the_minutes_lack_is_searched_through_its_parent(client):
    """病児保育 is never said in the demo minutes: the members shown work on 子育て, with 子育て evidence,
    instead of members whose passages share only the description's general words."""
    body = client.post("/v1/match", json={"description": LONG_SICK_CHILD, "limit": 5}).json()
    assert [t["topic_id"] for t in body["topics"] if t["fallback_for"]] == ["childcare"]
    on_childcare = [m for m in body["data"] if "childcare" in {t["topic_id"] for t in m["matched_topics"]}]
    assert len(on_childcare) >= 4 and on_childcare[0] is body["data"][0]
    for m in on_childcare:
        assert m["reason"].startswith("子育てについて")
        first = m["evidence"][0]
        assert any(w in (first["heading"] or "") + first["text"] for w in ("保育", "子育て", "子供", "出産", "待機児童"))
    # Not where the minutes take the topic up, nor for a parent the description names itself.
    sango = client.post("/v1/match", json={"description": "産後ケアの予約", "limit": 1}).json()
    assert all(t["fallback_for"] is None for t in sango["topics"])
    later = client.post("/v1/match", json={"description": LONG_SICK_CHILD, "limit": 1, "since": "2030-01-01"}).json()
    assert later["data"] == [] and all(t["fallback_for"] is None for t in later["topics"])  # no parent passages


def test_long_descriptions_do_not_rank_on_the_length_of_speeches(client):
    """A whole speech (a 30,000-character 代表質問) covers most words of a 150-character description by its
    breadth alone: its part of the score shrinks with the number of words (index.members.speech_weight)."""
    from index.match import description_tokens
    from index.members import W_SPEECH, speech_weight

    n = len(set(description_tokens(LONG_SICK_CHILD)))
    assert n > 25 and speech_weight(n) == W_SPEECH * 12 / n and speech_weight(5) == speech_weight(12) == W_SPEECH
    body = client.post("/v1/match", json={"description": LONG_SICK_CHILD, "limit": 10}).json()
    assert max(m["parts"]["speech"] for m in body["data"]) <= round(speech_weight(n), 4)
    assert all(m["parts"]["speech"] < m["score"] / 2 for m in body["data"])


def test_match_reason_counts_only_the_members_passages_on_the_named_topics(client, demo_db):
    body = client.post("/v1/match", json={"description": SICK_CHILD, "limit": 5}).json()
    checked = 0
    for m in body["data"]:
        if not m["matched_topics"]:
            assert m["reason"].startswith("説明に近い内容について")
            continue
        ids = [t["topic_id"] for t in m["matched_topics"]]
        passages, meetings = _tagged(demo_db, ids, m["member_id"])
        labels = "、".join(t["label"] for t in m["matched_topics"])
        assert m["reason"].startswith(f"{labels}について{meetings}回の会議で{passages}件の発言"), m["reason"]
        for t in m["matched_topics"]:
            assert t["passages"] == _tagged(demo_db, [t["topic_id"]], m["member_id"])[0] >= 1
        checked += 1
    assert checked >= 3


def test_match_ranks_the_dev_queries_as_well_as_member_search(searcher):
    """The dev member queries sent as descriptions: match must not lose what member search finds
    (it did when it added each topic's seed terms to the query: 0.876 / 0.880 date-filtered)."""
    from pathlib import Path

    from index.evaluate import evaluate_members, load_queries

    queries = load_queries(Path(__file__).resolve().parents[2] / "data/eval/member-queries-dev.jsonl")
    via_match = evaluate_members(searcher, queries, via="match")
    via_search = evaluate_members(searcher, queries)
    assert via_match["via"] == "match" and via_match["n"] == via_search["n"]
    for kind in ("topic", "summary"):
        assert via_match["ndcg@10"][kind] >= via_search["ndcg@10"][kind] - 0.01, kind
    assert via_match["ndcg@10"]["topic"] > 0.90 and via_match["ndcg@10"]["summary"] > 0.91


def test_company_descriptions_get_evidence_on_their_topics(searcher):
    """`gikai eval match`: the ten bundled company descriptions, judged by the tagger (no human labels)."""
    from pathlib import Path

    from index.evaluate import evaluate_descriptions, load_jsonl

    descriptions = load_jsonl(Path(__file__).resolve().parents[2] / "data/eval/match-descriptions.jsonl",
                              ("id", "description"))
    result = evaluate_descriptions(searcher, descriptions)
    assert (result["n"], result["k"], result["descriptions_without_topic"]) == (10, 5, 0)
    first = result["per_description"][0]
    assert first["topics"][:2] == ["産後ケア", "妊娠・出産支援"]
    assert first["evidence"] == first["evidence_on_topic"] == 9  # every 産後ケア evidence passage is on topic
    # 高齢者の見守り reads as 地域包括ケア (見/守り in a sentence is the compound 見守り), not only 福祉・介護.
    assert result["per_description"][4]["topics"] == ["地域包括ケア"]
    # On the 2020 minutes of the test index (`make eval` on the whole demo index: 0.9205 and 0.94). A member
    # with a matched topic shows only evidence on it, so the share is below 1 only for members without one.
    # Before: 0.9326 here while 医療 of 医療的ケア児 still read as 医療・保健 (a topic nearly any evidence is
    # on; demo 0.9368 / 0.96), 0.9318 / 0.96 before the topic part (members.W_TOPIC; demo 0.9149 / 0.94),
    # 0.8367 / 0.96 with off-topic evidence still shown, 0.7835 / 0.94 before 病児保育 was searched through
    # 子育て, 0.74 / 0.9 before members.SPEECH_GATE.
    assert (result["evidence_on_topic"], result["members_with_matched_topic"]) == (0.9286, 0.96)


def test_long_company_descriptions_get_evidence_on_their_topics(searcher):
    """The same needs in a company's own words (data/eval/match-descriptions-long.jsonl, 127-178 characters)."""
    from pathlib import Path

    from index.evaluate import evaluate_descriptions, load_jsonl

    data = Path(__file__).resolve().parents[2] / "data/eval"
    descriptions = load_jsonl(data / "match-descriptions-long.jsonl", ("id", "description"))
    cores = load_jsonl(data / "match-descriptions.jsonl", ("id", "description"))
    result = evaluate_descriptions(searcher, descriptions, cores=cores)
    assert (result["n"], result["descriptions_without_topic"]) == (10, 0)
    # The share of the short description's top five that the long one returns too, per need.
    per = {p["id"]: p["agreement_with_core"] for p in result["per_description"]}
    assert set(per) == {f"long-{i:02d}" for i in range(1, 11)} and all(0 <= a <= 1 for a in per.values())
    assert result["agreement_with_core"] == round(sum(per.values()) / 10, 4) == 0.7  # 0.70 on the whole demo too
    assert "agreement_with_core" not in evaluate_descriptions(searcher, descriptions)  # without cores
    # Before the parent fallback and the speech weight falling with the description's length: 0.8049 / 0.88
    # here, then 0.8819 / 0.98 while off-topic evidence was still shown (`make eval`, whole demo index:
    # 0.792 / 0.88 → 0.9062 / 1.0 → 1.0 / 1.0).
    # With the topic part (members.W_TOPIC) a member with a matched topic outranks one sharing only words:
    # 0.9739 / 0.98 here before it.
    assert result["evidence_on_topic"] == 1.0 and result["members_with_matched_topic"] == 1.0


def test_a_member_with_a_matched_topic_shows_only_evidence_on_it(client, demo_db):
    """The reason line names the shared topics; evidence that shares only the description's general words
    (自治体, 負担 in a company's text) would not support it."""
    body = client.post("/v1/match", json={"description": LONG_SICK_CHILD, "limit": 10}).json()
    checked = 0
    for m in body["data"]:
        ids = [t["topic_id"] for t in m["matched_topics"]]
        if not ids:
            continue
        for e in m["evidence"]:
            tagged = demo_db_topics(demo_db, e["statement_id"])
            assert tagged & set(ids), (m["name"], e["statement_id"], tagged)
        checked += 1
    assert checked >= 8


def test_evidence_on_the_shared_topics_comes_first(client, demo_db):
    """The reason line names the shared topics; the first evidence passage shown takes one of them up."""
    import duckdb

    body = client.post("/v1/match", json={"description": SICK_CHILD, "limit": 10}).json()
    checked = 0
    with duckdb.connect(str(demo_db), read_only=True) as con:
        for m in body["data"]:
            if not m["matched_topics"] or len(m["evidence"]) < 2:
                continue
            ids = [t["topic_id"] for t in m["matched_topics"]]
            tagged = [bool(con.execute(
                """SELECT count(*) FROM passage_topics t JOIN passages p USING (passage_id)
                   WHERE p.statement_id = $s AND t.topic_id IN (SELECT unnest($ids)) AND t.score >= 0.3""",
                {"s": e["statement_id"], "ids": ids}).fetchall()[0][0]) for e in m["evidence"]]
            assert tagged[0], (m["name"], tagged)
            assert tagged == sorted(tagged, reverse=True), (m["name"], tagged)  # on-topic first, then the rest
            checked += 1
    assert checked >= 3


# -- paging: next_cursor / cursor, as on the GET listings (api.pagination) ---------------------


def test_match_pages_with_next_cursor_like_the_get_listings(client):
    first = client.post("/v1/match", json={"description": SANGO, "limit": 3}).json()
    assert first["count"] == 3 and first["offset"] == 0 and first["next_cursor"]
    second = client.post("/v1/match", json={"description": SANGO, "limit": 3, "cursor": first["next_cursor"]})
    assert second.status_code == 200, second.text
    second = second.json()
    by_offset = client.post("/v1/match", json={"description": SANGO, "limit": 3, "offset": 3}).json()
    ids = [m["member_id"] for m in second["data"]]
    assert second["offset"] == 3 and ids == [m["member_id"] for m in by_offset["data"]]
    assert second["next_cursor"] == by_offset["next_cursor"]  # the same body, so the same following page
    assert ids and not set(ids) & {m["member_id"] for m in first["data"]}
    # An offset beside a cursor is ignored, and the page size may change between pages.
    ignored = client.post("/v1/match", json={"description": SANGO, "limit": 3, "offset": 50,
                                             "cursor": first["next_cursor"]}).json()
    assert [m["member_id"] for m in ignored["data"]] == ids
    bigger = client.post("/v1/match", json={"description": SANGO, "limit": 5, "cursor": first["next_cursor"]}).json()
    assert [m["member_id"] for m in bigger["data"]][:3] == ids


def test_match_cursor_walk_ends_with_null_and_equals_one_big_page(client):
    body = {"description": SANGO, "assemblies": ["130001"], "since": "2020-01-01", "until": "2020-12-31"}
    everything = client.post("/v1/match", json={**body, "limit": 100}).json()
    assert everything["next_cursor"] is None and 7 < everything["count"] < 100
    walked, cursor, pages = [], None, 0
    while True:
        r = client.post("/v1/match", json={**body, "limit": 7, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["offset"] == len(walked)
        walked += [m["member_id"] for m in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["data"]) == 7 and pages < 20
    assert walked == [m["member_id"] for m in everything["data"]] and len(set(walked)) == len(walked)
    assert len(page["data"]) <= 7  # the last page: no next_cursor


@pytest.mark.parametrize("changed", [
    {"description": SANGO + "。訪問型も"},
    {"assemblies": ["130001"]},
    {"since": "2020-02-27"},
    {"until": "2020-02-28"},
])
def test_match_cursor_with_another_body_is_422(client, changed):
    cursor = client.post("/v1/match", json={"description": SANGO, "limit": 3}).json()["next_cursor"]
    assert cursor
    r = client.post("/v1/match", json={"description": SANGO, "limit": 3, **changed, "cursor": cursor})
    assert r.status_code == 422, r.text
    assert r.json() == {"ok": False, "status": 422, "error": (
        "cursor: was issued for another request body; send the same fields (all but cursor, offset and limit) "
        "or start again without cursor")}
    # A cursor of a GET listing does not fit match either, nor the other way round.
    listing = client.get("/v1/members/search", params={"q": SANGO, "limit": 3}).json()["next_cursor"]
    assert client.post("/v1/match", json={"description": SANGO, "cursor": listing}).status_code == 422
    assert client.get("/v1/members/search", params={"q": SANGO, "cursor": cursor}).status_code == 422


def test_match_cursor_ignores_fields_left_at_their_default(client):
    cursor = client.post("/v1/match", json={"description": SANGO, "limit": 3}).json()["next_cursor"]
    r = client.post("/v1/match", json={"description": SANGO, "assemblies": None, "since": None, "cursor": cursor})
    assert r.status_code == 200 and r.json()["offset"] == 3


@pytest.mark.parametrize("cursor", ["", "xyz", "!!!", "bm90IGEgY3Vyc29y"])
def test_match_malformed_cursor_is_422(client, cursor):
    r = client.post("/v1/match", json={"description": SANGO, "cursor": cursor})
    assert r.status_code == 422 and r.json()["error"].startswith("cursor: malformed")


def test_match_cursor_is_documented(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    request, result = schemas["MatchRequest"]["properties"], schemas["MatchResult"]["properties"]
    assert "next_cursor" in request["cursor"]["description"] and request["cursor"]["examples"]
    assert "cursor があれば無視" in request["offset"]["description"]
    assert "最後のページでは null" in result["next_cursor"]["description"]


VACANT_HOUSES = "空き家の所有者と活用希望者をつなぐマッチングサイト"


def test_members_whose_questions_take_up_the_topic_get_the_topic_part(client):
    """空き家 is rare in the 2020 minutes: members who asked about vacant houses get the topic part
    (members.W_TOPIC) over members who only share the description's general words (活用, つなぐ, 希望)."""
    body = client.post("/v1/match", json={"description": VACANT_HOUSES, "limit": 10}).json()
    assert [t["label"] for t in body["topics"]] == ["空き家"]
    members = body["data"]
    for m in members:
        p = m["parts"]
        # The part is there exactly for the members whose evidence takes the topic up, and it adds up.
        assert p["topic"] == (1.0 if m["matched_topics"] else 0.0), m["name"]
        total = p["focus"] + p["answers"] + p["breadth"] + p["speech"] + p["posts"] + p["topic"]
        assert abs(total - m["score"]) < 1e-3, m["name"]
    on_topic = {m["name"]: m for m in members if m["parts"]["topic"]}
    assert members[0]["name"] == "長橋桂一" and {"長橋桂一", "東村邦浩", "大場やすのぶ"} <= set(on_topic)
    # Their evidence is the passage that earned the part (長橋: 空き家の発生抑制と利活用について).
    assert "空き家" in members[0]["evidence"][0]["text"] and "空き家" in on_topic["東村邦浩"]["evidence"][0]["text"]
    # Member search has no description topics: the part is always 0.
    search = client.get("/v1/members/search", params={"q": "空き家", "limit": 10}).json()["data"]
    assert search and all(m["parts"]["topic"] == 0.0 for m in search)


def test_the_sales_words_of_a_description_are_neither_searched_nor_marked(client):
    body = client.post("/v1/match", json={"description": LONG_SICK_CHILD, "limit": 3}).json()
    assert {"予約", "保護者", "病児保育"} <= set(body["terms"])
    assert not {"自治体", "当社", "導入", "提供"} & set(body["terms"])
