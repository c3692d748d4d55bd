"""Our in-DuckDB BM25 must give exactly rank_bm25.BM25Okapi's scores on the same tokens."""

from datetime import date

import duckdb
import pytest
from rank_bm25 import BM25Okapi

from index.search import Filters
from nlp.tokenizer import tokenize


@pytest.mark.parametrize("query", ["待機児童", "新型コロナウイルス感染症対策", "学童クラブの利用者枠を増やし質の拡充を。",
                                   "都立・公社病院の独法化", "受動喫煙 受動喫煙 防止条例"])
def test_scores_equal_rank_bm25(demo_db, searcher, query):
    con = duckdb.connect(str(demo_db), read_only=True)
    rows = con.execute(
        "SELECT passage_id, coalesce(heading || chr(10), '') || text FROM passages ORDER BY passage_id"
    ).fetchall()
    con.close()
    corpus = [tokenize(text) for _, text in rows]
    reference = BM25Okapi(corpus).get_scores(tokenize(query))
    cur = searcher.cursor()
    ours = dict(searcher.score_passages(cur, tokenize(query), Filters(), None, limit=len(rows)))
    cur.close()
    assert len(rows) > 2000
    matched = [pid for pid, s in enumerate(reference) if s != 0]
    assert matched, "the query must match something in the sample"
    for pid, _ in rows:
        assert ours.get(pid, 0.0) == pytest.approx(reference[pid], rel=1e-6, abs=1e-9)  # float32 weights


@pytest.mark.parametrize("query", ["待機児童", "学童クラブの利用者枠を増やし質の拡充を。", "受動喫煙 受動喫煙 防止条例"])
def test_a_small_selection_scores_exactly_like_the_full_pass(searcher, query, monkeypatch):
    """One day's passages looked up in the postings give the full pass's ids, sums and order."""
    import index.bm25 as bm25

    state = searcher._state()
    terms = state.bm25.term_ids(tokenize(query))
    day = Filters(since=date(2020, 2, 26), until=date(2020, 2, 26))
    allowed = state.allowed(day, ("member",))
    assert 0 < len(allowed) < 1000
    within_ids, within_scores = state.bm25.scores_within(terms, allowed)
    ids, scores = state.bm25.scores(terms)
    keep = state.mask(day, ("member",))[ids]
    assert len(within_ids) > 0
    assert within_ids.tolist() == ids[keep].tolist()
    assert within_scores.tolist() == scores[keep].tolist()  # same additions in the same order

    # Search takes whichever path is cheaper (here, a small index: the full pass); force each.
    cur = searcher.cursor()
    ranked = {}
    for cost in (0, 10**9):
        monkeypatch.setattr(bm25, "WITHIN_COST", cost)
        assert state.bm25.within_is_cheaper(terms, len(allowed)) == (cost == 0)
        ranked[cost] = searcher.score_passages(cur, tokenize(query), day, ("member",), limit=50)
    cur.close()
    assert ranked[0] and ranked[0] == ranked[10**9]


@pytest.mark.parametrize("query", ["新型コロナウイルス感染症対策 都民", "学童クラブの利用者枠を増やし質の拡充を。"])
def test_a_mask_read_from_the_sums_keeps_exactly_the_masked_hits(searcher, query, monkeypatch):
    """Filtering the sums under a mask (one pass over hit flags, or a gather for few hits) gives the
    unmasked ids and sums with the masked-out passages removed, on every path the sums can take."""
    import numpy as np

    import index.bm25 as bm25_module

    state = searcher._state()
    bm25 = state.bm25
    terms = bm25.term_ids(tokenize(query))
    assert len(terms) > 1
    mask = state.mask(Filters(since=date(2020, 2, 1), until=date(2020, 6, 30)), ("member",))
    assert 0 < mask.sum() < len(mask)
    paths = []
    for sparse_below, positive in ((0, True), (0, False), (10**9, True)):  # dense, dense with flags, sparse
        monkeypatch.setattr(bm25_module, "SPARSE_BELOW", sparse_below)
        monkeypatch.setattr(bm25, "positive", positive)
        totals = bm25.totals(terms)
        ids, sums = totals.within()
        masked_ids, masked_sums = totals.within(mask)
        keep = mask[ids]
        assert 0 < len(masked_ids) < len(ids)
        assert masked_ids.tolist() == ids[keep].tolist()
        assert masked_sums.tolist() == sums[keep].tolist()
        assert np.all(np.diff(masked_ids) > 0)  # ascending ids
        paths.append((totals.ids is None, masked_ids.tolist(), masked_sums.tolist()))
    assert [dense for dense, _, _ in paths] == [True, True, False]
    assert paths[0][1:] == paths[1][1:] == paths[2][1:]  # the same ids and the same sums on every path
