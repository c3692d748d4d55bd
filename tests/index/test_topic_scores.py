"""Topic evidence in search: passage topic scores held in memory and fused into statement ranking."""

import numpy as np
import pytest

from index.search import Searcher
from index.topic_scores import PassageTopics


@pytest.fixture(scope="module")
def topics(searcher: Searcher) -> PassageTopics:
    cur = searcher.cursor()
    try:
        return PassageTopics.load(cur)
    finally:
        cur.close()


def test_in_memory_scores_equal_the_table(searcher: Searcher, topics: PassageTopics):
    cur = searcher.cursor()
    try:
        rows = cur.execute("SELECT passage_id, score FROM passage_topics WHERE topic_id = 'childcare.waiting_list' "
                           "ORDER BY passage_id").fetchall()
        (n_topics,) = cur.execute("SELECT count(DISTINCT topic_id) FROM passage_topics").fetchall()[0]
    finally:
        cur.close()
    assert len(rows) >= 10 and len(topics) == n_topics
    pids, scores = topics.by_topic["childcare.waiting_list"]
    assert pids.tolist() == [p for p, _ in rows]
    np.testing.assert_allclose(scores, [s for _, s in rows], rtol=1e-6)


def test_evidence_is_the_best_topic_score_times_query_confidence(topics: PassageTopics):
    wait_pids, wait_scores = topics.by_topic["childcare.waiting_list"]
    parent_pids, parent_scores = topics.by_topic["childcare"]
    both = np.intersect1d(wait_pids, parent_pids)
    only_wait = np.setdiff1d(wait_pids, parent_pids)[:3]
    nowhere = np.setdiff1d(np.arange(1000, dtype=np.int32), np.union1d(wait_pids, parent_pids))[:2]
    pids = np.concatenate([only_wait, both[:2], nowhere]).astype(np.int32)
    got = topics.evidence(pids, [("childcare.waiting_list", 0.6), ("childcare", 0.84), ("no.such", 1.0)])
    wait = dict(zip(wait_pids.tolist(), wait_scores.tolist(), strict=True))
    parent = dict(zip(parent_pids.tolist(), parent_scores.tolist(), strict=True))
    expected = [max(wait.get(p, 0.0) * 0.6, parent.get(p, 0.0) * 0.84) for p in pids.tolist()]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    n_found = len(pids) - len(nowhere)
    assert n_found >= 2 and got[:n_found].min() > 0 and not got[n_found:].any()


def test_statement_search_adds_the_topic_part(searcher: Searcher):
    query = "待機児童の解消"
    with searcher.ranking(topic_weight=0.0):
        plain = searcher.search_statements(query, limit=20)
    with searcher.ranking(topic_weight=0.2):
        fused = searcher.search_statements(query, limit=20)
    cur = searcher.cursor()
    try:
        part = searcher.topic_evidence(cur, query, np.asarray([h.passage_id for h in fused]))
    finally:
        cur.close()
    assert part is not None and part.max() > 0
    plain_score = {h.passage_id: h.score for h in plain}
    # Where a passage is in both lists, the fused score is the plain one plus its topic part.
    shared = [(h, p) for h, p in zip(fused, part.tolist(), strict=True) if h.passage_id in plain_score]
    assert len(shared) >= 10
    for hit, p in shared:
        assert hit.score == pytest.approx(plain_score[hit.passage_id] + p, rel=1e-6)
    # The top hits engage with 待機児童 (a tagger score for the topic), not only share words.
    assert all(p > 0 for p in part[:5].tolist())


def test_a_query_without_topics_ranks_as_before(searcher: Searcher):
    query = "議事録の署名"
    cur = searcher.cursor()
    try:
        assert searcher.topic_evidence(cur, query, np.asarray([0, 1, 2])) is None
    finally:
        cur.close()
    with searcher.ranking(topic_weight=0.0):
        plain = [(h.passage_id, h.score) for h in searcher.search_statements(query, limit=10)]
    assert [(h.passage_id, h.score) for h in searcher.search_statements(query, limit=10)] == plain


def test_topic_list_counts_from_memory_equal_the_join_in_duckdb(searcher, demo_db):
    """The topic list counts from the arrays the searcher holds; DuckDB's join gives the same numbers."""
    import duckdb

    from index.topic_profiles import ENGAGED, list_topics

    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        expected = {row[0]: (row[1], row[2]) for row in con.execute(
            """SELECT t.topic_id,
                      count(DISTINCT pt.passage_id) FILTER (WHERE p.role_kind = 'member'),
                      count(DISTINCT p.member_id)
               FROM topics t
               LEFT JOIN passage_topics pt ON pt.topic_id = t.topic_id AND pt.score >= $engaged
               LEFT JOIN passages p ON p.passage_id = pt.passage_id
               GROUP BY ALL""", {"engaged": ENGAGED}).fetchall()}
        order = [row[0] for row in con.execute("SELECT topic_id FROM topics ORDER BY parent NULLS FIRST, topic_id")
                 .fetchall()]
    finally:
        con.close()
    listed = list_topics(searcher)
    assert [t["topic_id"] for t in listed] == order
    assert {t["topic_id"]: (t["member_passages"], t["members"]) for t in listed} == expected
    assert sum(1 for counts in expected.values() if counts[0] > 0) > 40  # a real comparison, not zeros
    kosodate = next(t for t in listed if t["topic_id"] == "childcare.waiting_list")
    assert kosodate["label"] == "待機児童" and kosodate["member_passages"] > 5 and kosodate["members"] > 3
