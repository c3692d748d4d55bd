"""Whole-speech BM25 (member ranking's ``speech`` part) against rank_bm25 on the same speeches."""

import math

import duckdb
import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from index.search import Filters
from index.speech_bm25 import IDF_FLOOR, SpeechBm25
from nlp.tokenizer import tokenize


@pytest.fixture(scope="module")
def passages(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    rows = con.execute(
        "SELECT passage_id, speech_id, role_kind, date, coalesce(heading || chr(10), '') || text, n_tokens "
        "FROM passages ORDER BY passage_id").fetchall()
    postings = con.execute("SELECT term_id, passage_id, tf FROM postings").fetchnumpy()
    con.close()
    return rows, postings


def test_term_counts_solved_from_weights_equal_the_stored_counts(searcher, passages):
    _, postings = passages
    bm25 = searcher._state().bm25
    order = np.lexsort((postings["passage_id"], postings["term_id"]))
    term_of, pids, tfs = (postings[k][order] for k in ("term_id", "passage_id", "tf"))
    got_pids = np.concatenate([bm25.term_frequencies(t)[0] for t in range(len(bm25.idf))])
    got_tfs = np.concatenate([bm25.term_frequencies(t)[1] for t in range(len(bm25.idf))])
    assert len(got_pids) == len(pids) > 100_000
    assert np.array_equal(got_pids, pids) and np.array_equal(got_tfs, tfs)
    assert tfs.max() > 10  # the sample has real repeated words, not only ones


@pytest.mark.parametrize("query", ["学童クラブの利用者枠を増やし質の拡充を。", "待機児童", "都立・公社病院の独法化",
                                   "受動喫煙防止条例"])
def test_speech_scores_equal_rank_bm25_over_the_selections_speeches(searcher, passages, query):
    rows, _ = passages
    # The selection: members' speeches in the 2020 plenary sessions (idf is counted within it).
    selected = [r for r in rows if r[2] == "member"]
    speech_ids = list(dict.fromkeys(r[1] for r in selected))
    tokens = {sid: [] for sid in speech_ids}
    for r in selected:
        tokens[r[1]].extend(tokenize(r[4]))
    assert sum(len(t) for t in tokens.values()) == sum(r[5] for r in selected)  # lengths agree with the index
    reference = BM25Okapi([tokens[s] for s in speech_ids], k1=1.5, b=0.0)
    query_tokens = tokenize(query)
    # BM25Okapi floors a negative idf at ε × its vocabulary's mean idf; ours at IDF_FLOOR (the
    # mean is unknown for an ad-hoc selection). Same formula otherwise.
    n = len(speech_ids)
    for word in set(query_tokens):
        df = sum(word in doc for doc in reference.doc_freqs)
        if df and math.log((n - df + 0.5) / (df + 0.5)) < 0:
            reference.idf[word] = IDF_FLOOR
    expected = dict(zip(speech_ids, reference.get_scores(query_tokens), strict=True))

    state = searcher._state()
    codes, scores = _score(state.speeches, state.bm25.term_ids(query_tokens), state.mask(Filters(), ("member",)))
    code_of = {r[1]: int(state.speeches.speech_of[r[0]]) for r in selected}
    ours = dict(zip(codes.tolist(), scores.tolist(), strict=True))
    assert sum(v > 0 for v in expected.values()) >= 3
    for sid in speech_ids:
        assert ours.get(code_of[sid], 0.0) == pytest.approx(expected[sid], rel=1e-6, abs=1e-9), sid


def test_members_get_a_speech_part_from_their_own_speeches(searcher):
    day = Filters(since=__import__("datetime").date(2020, 2, 26), until=__import__("datetime").date(2020, 2, 26))
    results = searcher.search_members("学童クラブの利用者枠を増やし質の拡充を。", limit=5, filters=day)
    assert results[0].name == "増子ひろき"
    assert results[0].parts["speech"] > 0
    # The member with the selection's best speech gets the full weight; the others a share of it.
    from index.members import W_SPEECH
    assert max(m.parts["speech"] for m in results) == pytest.approx(W_SPEECH, rel=1e-3)
    for m in results:
        total = sum(m.parts[k] for k in ("focus", "answers", "breadth", "posts", "speech"))
        assert m.score == pytest.approx(total, abs=1e-3)


def test_speeches_whose_passages_are_not_consecutive_score_the_same(searcher):
    """Incremental builds could interleave passage ids; the scorer then sorts by speech first."""
    state = searcher._state()
    real = state.speeches
    assert real._contiguous  # a full build numbers each speech's passages consecutively
    # The same grouping under shuffled codes, taken through the general path.
    shuffled = np.random.default_rng(0).permutation(real.n_speeches)
    general = SpeechBm25(real.bm25, np.where(real.speech_of >= 0, shuffled[real.speech_of], -1).astype(np.int32))
    assert not general._contiguous
    mask = state.mask(Filters(), ("member",))
    terms = state.bm25.term_ids(tokenize("待機児童の解消と保育所の整備"))
    ours_codes, ours = _score(real, terms, mask)
    assert len(ours) > 10
    back = dict(zip(shuffled[ours_codes].tolist(), ours.tolist(), strict=True))
    their_codes, theirs = _score(general, terms, mask)
    assert dict(zip(their_codes.tolist(), theirs.tolist(), strict=True)) == pytest.approx(back)
    some = shuffled[ours_codes[::2]]
    their_codes, theirs = _score(general, terms, mask, some)
    assert dict(zip(their_codes.tolist(), theirs.tolist(), strict=True)) == pytest.approx(
        {c: back[c] for c in some.tolist()})


def test_scoring_only_candidate_speeches_gives_their_full_scores(searcher):
    state = searcher._state()
    mask = state.mask(Filters(), ("member",))
    terms = state.bm25.term_ids(tokenize("受動喫煙防止条例の制定と飲食店への支援"))
    all_codes, all_scores = _score(state.speeches, terms, mask)
    full = dict(zip(all_codes.tolist(), all_scores.tolist(), strict=True))
    assert len(full) > 20
    # Half of the matching speeches, one speech that matches nothing, one outside the selection:
    # idf still counts the whole selection, so each keeps exactly its score.
    outside = int(state.speeches.speech_of[np.flatnonzero(~mask & (state.speeches.speech_of >= 0))[0]])
    unmatched = next(c for c in range(state.speeches.n_speeches) if c not in full and c != outside)
    wanted = np.unique(np.r_[all_codes[::2], unmatched, outside]).astype(np.int32)
    codes, scores = _score(state.speeches, terms, mask, wanted)
    assert dict(zip(codes.tolist(), scores.tolist(), strict=True)) == pytest.approx(
        {c: full[c] for c in all_codes[::2].tolist()})


def _score(scorer: SpeechBm25, terms, mask, candidates=None):
    """Scores of the given speeches (all by default) within a passage mask."""
    if candidates is None:
        candidates = np.arange(scorer.n_speeches, dtype=np.int32)
    return scorer.scores(terms, scorer.selection(mask), candidates)
