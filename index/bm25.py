"""BM25 over passages: counts stored in DuckDB, scored in memory.

The build stores term counts (``postings.tf``), passage lengths (``passages.n_tokens``)
and document frequencies (``terms.df``); the reader turns them into exactly
``rank_bm25.BM25Okapi``'s scores (k1=1.5, b=0.75, a negative idf replaced by
ε·mean idf with ε=0.25, each query token counted as often as it occurs), to float32
precision: each posting's weight is computed once when the index is read and kept in
32 bits, which halves the memory of a million-passage index's postings.

Weights are computed at query time because they depend on the whole corpus (N,
average length, df): storing them would make every incremental build rewrite every
posting. Postings are held as one array per column, grouped by term, so a query
reads only its terms' runs — a few hundred thousand numbers even at a million
passages — and sums them with ``numpy.bincount``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25
# Scoring only a selection's passages (a binary search per passage and term) against scoring every
# posting of the query's terms: on the 1M synthetic index ~30 ns a search vs ~27 ns a posting
# (one assembly: 0.22 vs 5.9 ms a query). Counting a search as two postings keeps the full pass
# where the two are close.
WITHIN_COST = 2
# Postings per passage of the corpus under which a query's sums are sorted and reduced rather
# than added into a corpus-sized array.
SPARSE_BELOW = 1 / 8


def _arrow(con: duckdb.DuckDBPyConnection, sql: str):
    relation = con.sql(sql)
    # DuckDB 2 renamed fetch_arrow_table() to to_arrow_table().
    return relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()


@dataclass
class Bm25Index:
    terms: dict[str, int]          # term → term_id
    idf: np.ndarray                # by term_id
    offsets: np.ndarray            # postings of term t: [offsets[t], offsets[t + 1])
    passage_ids: np.ndarray        # int32, grouped by term
    weights: np.ndarray            # float32 BM25Okapi weight of each posting, same order
    norm: np.ndarray               # float32 by passage_id: k1 · (1 − b + b · dl / avgdl)
    size: int                      # max passage_id + 1
    positive: bool                 # every weight > 0 (idf floors at ε·mean idf, so unless that mean is ≤ 0)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> Bm25Index:
        terms_table = _arrow(con, "SELECT term_id, term, df FROM terms")
        term_ids = terms_table.column("term_id").to_numpy()
        n_terms = int(term_ids.max()) + 1 if len(term_ids) else 0
        df = np.zeros(n_terms, dtype=np.float64)
        df[term_ids] = terms_table.column("df").to_numpy()
        terms = dict(zip(terms_table.column("term").to_pylist(), term_ids.tolist(), strict=True))

        lengths = _arrow(con, "SELECT passage_id, n_tokens FROM passages")
        pids = lengths.column("passage_id").to_numpy()
        size = int(pids.max()) + 1 if len(pids) else 0
        n_docs = len(pids)
        dl = np.zeros(size, dtype=np.float64)
        dl[pids] = lengths.column("n_tokens").to_numpy()
        avgdl = float(dl[pids].mean()) if n_docs else 1.0
        norm = K1 * (1 - B + B * dl / (avgdl or 1.0))

        present = df > 0
        idf = np.zeros(n_terms, dtype=np.float64)
        idf[present] = np.log((n_docs - df[present] + 0.5) / (df[present] + 0.5))
        if present.any():
            average = float(idf[present].mean())
            idf[present & (idf < 0)] = EPSILON * average

        # Read in record batches into preallocated arrays: a million passages have ~45M postings,
        # and an Arrow copy of them all would double the reader's peak memory.
        n_postings = con.execute("SELECT count(*) FROM postings").fetchall()[0][0]
        term_of = np.empty(n_postings, dtype=np.int32)
        passage_ids = np.empty(n_postings, dtype=np.int32)
        tfs = np.empty(n_postings, dtype=np.uint16)
        at = 0
        relation = con.sql("SELECT term_id, passage_id, least(tf, 65535) AS tf FROM postings")
        reader = relation.to_arrow_reader(1_000_000) if hasattr(relation, "to_arrow_reader") \
            else relation.fetch_record_batch(1_000_000)
        for batch in reader:
            n = batch.num_rows
            term_of[at : at + n] = batch.column(0).to_numpy()
            passage_ids[at : at + n] = batch.column(1).to_numpy()
            tfs[at : at + n] = batch.column(2).to_numpy()
            at += n
        counts = np.bincount(term_of[:at], minlength=n_terms)
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        # Full builds write postings grouped by term; incremental builds append runs, which a
        # stable sort merges.
        if not bool(np.all(term_of[1:at] >= term_of[: at - 1])):
            order = np.argsort(term_of[:at], kind="stable")
            passage_ids, tfs, term_of = passage_ids[order], tfs[order], term_of[order]
            del order
        # Each posting's weight once per index file (float32: a query then only gathers and sums).
        weights = np.empty(at, dtype=np.float32)
        step = 4_000_000
        for lo in range(0, at, step):
            tf = tfs[lo : lo + step].astype(np.float64)
            weights[lo : lo + step] = idf[term_of[lo : lo + step]] * tf * (K1 + 1) / (
                tf + norm[passage_ids[lo : lo + step]])
        del term_of, tfs
        return cls(terms, idf, offsets, passage_ids, weights, norm.astype(np.float32), size,
                   bool(at == 0 or weights.min() > 0))

    def term_ids(self, tokens: list[str]) -> list[tuple[int, float]]:
        """(term_id, count in the query) of the tokens the index knows."""
        counts: dict[int, float] = {}
        for token in tokens:
            tid = self.terms.get(token)
            if tid is not None:
                counts[tid] = counts.get(tid, 0.0) + 1.0
        return list(counts.items())

    def term_frequencies(self, tid: int, positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One term's postings as (passage ids, counts in the passage); only the postings at
        ``positions`` (offsets into the term's run, which is sorted by passage id) when given.

        The counts are not kept (2 bytes a posting, 90 MB at a million passages): they are solved
        back from the weights, w = idf·tf·(k1+1)/(tf+norm) ⇒ tf = w·norm/(idf·(k1+1) − w), exact
        after rounding for any count a passage really has.
        """
        lo, hi = self.offsets[tid], self.offsets[tid + 1]
        pids = self.passage_ids[lo:hi]
        idf = self.idf[tid]
        if hi <= lo or idf <= 0:
            return pids[:0], np.zeros(0, dtype=np.float32)
        w = self.weights[lo:hi]
        if positions is not None:
            pids, w = pids[positions], w[positions]
        # float32 throughout (half the memory traffic of float64): still exact after rounding
        # for counts below ~1,000 (relative error of the solved count ≈ 6e-8 · (tf + norm) / norm).
        gap = np.maximum(np.float32(idf * (K1 + 1)) - w, np.float32(1e-12))
        return pids, np.maximum(np.float32(1), np.rint(w * self.norm[pids] / gap))

    def within_is_cheaper(self, terms: list[tuple[int, float]], n_allowed: int) -> bool:
        """Whether ``scores_within`` a selection of ``n_allowed`` passages beats scoring every hit:
        a binary search per selected passage and term against a pass over every posting."""
        postings = sum(int(self.offsets[t + 1] - self.offsets[t]) for t, _ in terms)
        return n_allowed * len(terms) * WITHIN_COST < postings

    def scores_within(self, terms: list[tuple[int, float]], allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``scores`` restricted to ``allowed`` (sorted passage ids): the same ids and the same sums,
        added term by term in the same order, found by binary search in each term's run."""
        totals = np.zeros(len(allowed))
        hit = np.zeros(len(allowed), dtype=bool)
        for tid, qtf in terms:
            lo, hi = self.offsets[tid], self.offsets[tid + 1]
            if hi <= lo:
                continue
            run = self.passage_ids[lo:hi]
            at = np.minimum(np.searchsorted(run, allowed), hi - lo - 1)
            found = run[at] == allowed
            w = self.weights[lo:hi][at[found]]
            totals[found] += w * np.float32(qtf) if qtf != 1.0 else w
            hit |= found
        return allowed[hit], totals[hit]

    def scores(self, terms: list[tuple[int, float]], mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(passage ids that contain a query term, their BM25 scores); only ids where ``mask`` (bool by
        passage id) is true when given."""
        return self.totals(terms).within(mask)

    def totals(self, terms: list[tuple[int, float]]) -> Totals:
        """The sums of one query's postings, to be read under one or more masks (``Totals.within``)."""
        if not terms:
            return Totals(np.zeros(0, dtype=np.int32), np.zeros(0))
        runs_p, runs_w = [], []
        for tid, qtf in terms:
            lo, hi = self.offsets[tid], self.offsets[tid + 1]
            if hi <= lo:
                continue
            runs_p.append(self.passage_ids[lo:hi])
            runs_w.append(self.weights[lo:hi] * np.float32(qtf) if qtf != 1.0 else self.weights[lo:hi])
        if not runs_p:
            return Totals(np.zeros(0, dtype=np.int32), np.zeros(0))
        if len(runs_p) == 1:
            return Totals(runs_p[0], runs_w[0].astype(np.float64))
        pids = np.concatenate(runs_p)
        weights = np.concatenate(runs_w)
        # Few distinct passages relative to the corpus: sort and reduce instead of a corpus-sized array.
        if len(pids) < SPARSE_BELOW * self.size:
            order = np.argsort(pids, kind="stable")
            pids, weights = pids[order], weights[order]
            starts = np.flatnonzero(np.r_[True, pids[1:] != pids[:-1]])
            return Totals(pids[starts], np.add.reduceat(weights.astype(np.float64), starts))
        totals = np.bincount(pids, weights=weights, minlength=self.size)
        if self.positive:  # every weight > 0: a passage was hit exactly when its total is not 0
            hit = totals != 0
        else:
            hit = np.zeros(self.size, dtype=bool)
            hit[pids] = True
        return Totals(None, totals, hit)


@dataclass(frozen=True)
class Totals:
    """One query's BM25 sums: (ids, sums) when few passages were hit, else a sum and a hit flag by
    passage id. A filter is then one pass over the flags (``hit & mask``) instead of listing the hit
    ids and gathering the mask at each: the sums, the filter and the best 4,000 of the dev queries at
    a million passages took 6.5 → 4.9 ms (a one-off timing around these calls on a `gikai bench --keep` index)."""

    ids: np.ndarray | None
    values: np.ndarray
    hit: np.ndarray | None = None

    def within(self, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, sums) of the hit passages, ascending ids; only where ``mask`` is true when given."""
        if self.ids is not None:
            if mask is None:
                return self.ids, self.values
            keep = np.flatnonzero(mask[self.ids])
            return self.ids.take(keep), self.values.take(keep)
        hit = self.hit if mask is None else np.logical_and(self.hit, mask)
        ids = np.flatnonzero(hit).astype(np.int32)
        return ids, self.values[ids]
