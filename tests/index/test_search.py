"""Statement hits as the API shows them: every field as the passages table holds it."""

import duckdb

QUERIES = ["待機児童", "新型コロナウイルス感染症の検査体制", "東京オリンピック・パラリンピック", "防災"]


def test_hits_carry_the_fields_of_their_passages(searcher, demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    checked = answered = 0
    for q in QUERIES:
        for hit in searcher.search_statements(q, limit=20):
            row = con.execute(
                """SELECT p.statement_id, p.text, p.role_kind, p.member_id, p.meeting_id, p.date, p.assembly_code,
                          p.speaker_name, p.speaker_role, a.statement_id, m.url
                   FROM passages p JOIN meetings m USING (meeting_id)
                   LEFT JOIN passages a ON a.passage_id = p.answers_passage_id
                   WHERE p.passage_id = ?""", [hit.passage_id]).fetchall()[0]
            assert (hit.statement_id, hit.text, hit.role_kind, hit.member_id, hit.meeting_id, hit.date,
                    hit.assembly_code, hit.speaker, hit.speaker_role, hit.answers_statement_id, hit.url) == row
            checked += 1
            answered += hit.answers_statement_id is not None
    con.close()
    assert checked == 20 * len(QUERIES)
    assert answered > 0  # executive answers linked to the question they answer are among them


def test_per_index_answers_follow_a_rebuilt_index(tmp_path):
    from crawlers.poliinfo import import_files
    from crawlers.rawstore import RawStore
    from index.build import build_index
    from index.search import ENGAGED, Searcher
    from index.topic_profiles import list_topics
    from tests.conftest import DEMO_2020

    raw, db = tmp_path / "raw", tmp_path / "index.duckdb"
    import_files([DEMO_2020 / "extraordinary-2020.json"], RawStore(raw))
    build_index(raw, db, workers=1)
    searcher = Searcher(db)
    try:
        before = searcher.assemblies()
        assert [a["assembly_code"] for a in before] == ["130001"]
        first = before[0]["meetings"]
        before[0]["meetings"] = -1  # a caller's change stays with the caller
        assert searcher.assemblies()[0]["meetings"] == first > 0
        topics_before = {t["topic_id"]: t["member_passages"] for t in list_topics(searcher)}
        calls = []

        def passages(cur):
            calls.append(1)
            return [{"n": cur.execute("SELECT count(*) FROM passages").fetchone()[0]}]

        n_before = searcher.per_index("passages", passages)[0]["n"]
        assert searcher.per_index("passages", passages)[0]["n"] == n_before and len(calls) == 1  # asked once
        import_files([DEMO_2020 / "proceedings-2020.json"], RawStore(raw))
        build_index(raw, db, workers=1)  # swaps in a new file under the open searcher
        after = searcher.assemblies()
        assert searcher.per_index("passages", passages)[0]["n"] > n_before and len(calls) == 2  # asked again
        con = duckdb.connect(str(db), read_only=True)
        meetings = con.execute("SELECT count(DISTINCT meeting_id) FROM passages").fetchone()[0]
        assert after[0]["meetings"] == meetings > first
        engaged = dict(con.execute(
            """SELECT pt.topic_id, count(DISTINCT pt.passage_id) FROM passage_topics pt JOIN passages p USING (passage_id)
               WHERE p.role_kind = 'member' AND pt.score >= $engaged GROUP BY ALL""", {"engaged": ENGAGED}).fetchall())
        con.close()
        topics_after = {t["topic_id"]: t["member_passages"] for t in list_topics(searcher)}
        assert topics_after == {tid: engaged.get(tid, 0) for tid in topics_before}
        assert sum(topics_after.values()) > sum(topics_before.values())
    finally:
        searcher.close()


def test_top_scores_equal_a_full_sort_with_ties_by_passage_id():
    import numpy as np

    from index.search import _floor_of_top, _top_arrays

    rng = np.random.default_rng(7)
    cases = [
        rng.gamma(2.0, 1.0, 150_000),  # BM25-like: a long tail under a few high scores
        np.round(rng.gamma(2.0, 1.0, 150_000), 1),  # many ties at the cut
        np.sort(rng.random(150_000)),  # sorted: every 8th score is a biased sample
        np.full(100_000, 1.5),  # all tied
        rng.random(3_000),  # fewer than 16 × limit: no floor
    ]
    for scores in cases:
        ids = np.sort(rng.choice(10 * len(scores), len(scores), replace=False))
        for limit in (1, 10, 4000):
            order = np.lexsort((ids, -scores))[:limit]  # ORDER BY score DESC, passage_id
            got_ids, got_scores = _top_arrays(ids, scores, limit)
            assert got_ids.tolist() == ids[order].tolist() and got_scores.tolist() == scores[order].tolist()
    bm25_like = cases[0]
    floor = _floor_of_top(bm25_like, 4000)
    assert 4000 <= (bm25_like >= floor).sum() < 20_000  # the selection runs on a few thousand, not 150,000


def test_warm_builds_what_the_first_searches_would(demo_db):
    """A forked server process shares what the parent built in warm(); what a first query builds, each
    process would build again on its own time (the topic tagger took 0.25 s)."""
    from index.search import Searcher
    from nlp.topics import default_tagger

    default_tagger.cache_clear()
    s = Searcher(demo_db)
    try:
        assert s.warm()
        built = default_tagger.cache_info().misses
        assert built == 1
        masks = dict(s._state()._masks)
        assert masks  # the members-only filter of member search
        assert s.search_statements("子育て支援", limit=10)
        assert s.search_members("防災", limit=10)
        assert default_tagger.cache_info().misses == built
        assert s._state()._masks.keys() == masks.keys()
    finally:
        s.close()


def test_the_reader_keeps_duckdb_to_its_memory_limit(searcher):
    from index.search import READER_MEMORY_LIMIT

    cur = searcher.cursor()
    try:
        limit = cur.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        cur.close()
    assert READER_MEMORY_LIMIT == "64MB" and limit in ("61.0 MiB", "64.0 MB", "61.0MiB", "64.0MB")


def test_another_reader_memory_limit_from_the_environment(demo_db, monkeypatch, tmp_path):
    import shutil

    import pytest

    from index.search import Searcher, reader_memory_limit

    # A copy: DuckDB shares one database (and its memory limit) per file within a process.
    db = tmp_path / "index.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("GIKAI_READER_MEMORY_LIMIT", "128MB")
    other = Searcher(db)
    cur = other.cursor()
    try:
        assert cur.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("122.0 MiB", "128.0 MB")
    finally:
        cur.close()
        other.close()
    monkeypatch.setenv("GIKAI_READER_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="GIKAI_READER_MEMORY_LIMIT: 'lots' is not a size like 64MB"):
        reader_memory_limit()
