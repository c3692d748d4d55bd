from datetime import date

from index.evaluate import evaluate_members, load_queries, ndcg_at_k
from index.search import Filters
from tests.conftest import ROOT


def test_members_for_taiki_jido_have_evidence_with_the_words(searcher):
    results = searcher.search_members("待機児童", limit=5)
    names = [m.name for m in results]
    # The top three exactly, the rest of the top five as a set (robust to near-ties, not to breakage).
    assert names[:3] == ["荒木ちはる", "和泉なおみ", "増子ひろき"]
    assert set(names) == {"荒木ちはる", "和泉なおみ", "増子ひろき", "曽根はじめ", "藤井とものり"}
    for m in results:
        assert m.evidence, m.name
        assert any("待機児童" in (e.heading or "") + e.text for e in m.evidence)
        assert all(e.url.startswith("https://www.gikai.metro.tokyo.jp/record/") for e in m.evidence)
        assert set(m.parts) == {"focus", "answers", "breadth", "posts", "speech", "topic", "recency", "relative"}
        assert m.score == max(m.score, 0) and m.parts["focus"] > 0
    assert [m.score for m in results] == sorted((m.score for m in results), reverse=True)


def test_speech_part_needs_a_strong_passage_of_the_member(searcher, monkeypatch):
    """中山信行's 2020-06-02 speech says 自宅待機 and 児童生徒, never 待機児童: his whole-speech part
    shrinks with his best passage; members who asked about 待機児童 keep theirs."""
    import index.members as members

    def speech_parts() -> dict[str, float]:
        return {m.name: m.parts["speech"] for m in searcher.search_members("待機児童", limit=10, evidence=0)}

    gated = speech_parts()
    monkeypatch.setattr(members, "SPEECH_GATE", 0.0)
    ungated = speech_parts()
    # (川松真一朗 names 待機児童ゼロ once among the governor's seven pledges, ゼロ after ゼロ: at 0.498 of the best
    # passage he sits on the gate.)
    for name in ("荒木ちはる", "和泉なおみ", "増子ひろき", "曽根はじめ", "藤井とものり"):
        assert gated[name] == ungated[name] > 1.5, name
    assert 0 < gated["中山信行"] < 0.6 * ungated["中山信行"]


def test_executives_never_ranked(searcher):
    names = {m.name for m in searcher.search_members("新型コロナウイルス", limit=50)}
    assert "小池百合子" not in names and "内藤淳" not in names and "石川良一" not in names


def test_date_filter_restricts_members_to_that_day(searcher):
    day = date(2020, 2, 26)
    results = searcher.search_members("子育て支援", limit=10, filters=Filters(since=day, until=day))
    assert results[0].name == "増子ひろき"
    assert all(e.date == day for m in results for e in m.evidence)


def test_no_match_gives_empty_list(searcher):
    assert searcher.search_members("😀😀") == []
    assert searcher.search_members("ｘｙｚｚｙ") == []


def test_ndcg():
    assert ndcg_at_k(["a", "b"], {"a": 2, "b": 1}, 10) == 1.0
    assert ndcg_at_k(["b", "a"], {"a": 2}, 10) < 1.0
    assert ndcg_at_k([], {"a": 1}, 10) == 0.0


def test_dev_queries_keep_their_measured_quality(searcher):
    queries = load_queries(ROOT / "data/eval/member-queries-dev.jsonl")
    around = evaluate_members(searcher, queries)
    assert around["n"] == {"summary": 131, "topic": 91} and around["dates"] == "around"
    # This fixture holds the 2020 plenary minutes only. By default each query's date is its session
    # day (index.session_day: who raised it that day lead, then ±7 days): 0.925 / 0.954 here; the
    # naive reference measured the same way 0.918 / 0.935 (tests/index/test_member_reference.py).
    assert around["ndcg@10"]["topic"] > 0.92 and around["ndcg@10"]["summary"] > 0.95
    # Only that day: 0.919 / 0.924 here; the labels cap summary at 0.937 (graded members who asked on
    # another day of the session cannot be found).
    day = evaluate_members(searcher, queries, dates="day")
    assert day["ndcg@10"]["topic"] > 0.91 and 0.92 < day["ndcg@10"]["summary"] < 0.937
    # Over all of 2020, as the reference was (topic 0.759, summary 0.861; re-measured here
    # 0.737 / 0.854): 0.819 / 0.898 here.
    anywhen = evaluate_members(searcher, queries, dates="none")
    assert anywhen["ndcg@10"]["topic"] > 0.80 and anywhen["ndcg@10"]["summary"] > 0.88


def test_another_session_ranks_as_well_as_the_dev_days(searcher):
    # June 2020 (代表質問 and 一般質問), labelled for this repository and never tuned on
    # (data/eval/SOURCE.md): 0.957 / 0.948 here, as close to the dev days' 0.925 / 0.954 as the labels allow.
    queries = load_queries(ROOT / "data/eval/member-queries-june-pseudo.jsonl")
    around = evaluate_members(searcher, queries)
    assert around["n"] == {"summary": 155, "topic": 61}
    assert around["ndcg@10"]["topic"] > 0.95 and around["ndcg@10"]["summary"] > 0.94
    # The member who asked a summary question comes first for 92.9 % of them (dev days: 97.7 % here).
    assert around["first_is_highest_graded"]["summary"] > 0.92
    # Over all of 2020 without the date: 0.797 / 0.870 here.
    anywhen = evaluate_members(searcher, queries, dates="none")
    assert anywhen["ndcg@10"]["topic"] > 0.78 and anywhen["ndcg@10"]["summary"] > 0.86
