"""BM25 with whole speeches as the documents, from the passage postings.

Member ranking needs to know how strongly a member's *speech* (one turn at the
lectern, often a 30,000-character 代表質問 covering twenty subjects) is about a
need, not only its best paragraphs: a question spread over several paragraphs
adds up. Two choices differ from passage BM25, both measured on the dev member
queries (``index.members.W_SPEECH``):

* idf is computed over the speeches the query may return (the filters' selection:
  one assembly, one year, one day), so a word counts for how well it tells this
  selection's members apart;
* no length normalisation (b = 0): a long speech is not penalised for the other
  subjects it covers — that is what a 代表質問 is; saturating term counts (k1)
  already keep volume from winning. (b = 0.75 and 0.3 were measured and lost.)

Nothing extra is stored: a speech's term count is the sum of its passages' counts
(``Bm25Index.term_frequencies``), and the statistics of a selection are counted
from the passage columns when a query first uses that selection.
"""

from __future__ import annotations

import threading

import numpy as np

from index.bm25 import K1, Bm25Index

# BM25Okapi replaces a negative idf (a word in over half of the selection's speeches) with
# ε × the vocabulary's mean idf; that mean is unknown for an ad-hoc selection, so a
# small constant stands in (0.05–0.2 measured the same).
IDF_FLOOR = 0.1
MAX_DFS_PER_SELECTION = 100_000


def _run_starts(codes: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted, non-empty array."""
    return np.concatenate(([0], np.flatnonzero(codes[1:] != codes[:-1]) + 1))


class Selection:
    """The speeches a query may return, and their document frequencies as queries count them;
    kept with the passage mask it comes from (``index.search._State.of_mask``)."""

    def __init__(self, chosen: np.ndarray):
        self.chosen = chosen                      # boolean by speech code
        self.n = int(np.count_nonzero(chosen))
        self.dfs: dict[int, int] = {}             # term id → speeches of the selection that contain it


class SpeechBm25:
    def __init__(self, bm25: Bm25Index, speech_of: np.ndarray):
        """``speech_of``: speech code per passage id (-1: no passage), codes 0..n-1."""
        self.bm25 = bm25
        self.speech_of = speech_of
        pids = np.flatnonzero(speech_of >= 0)
        codes = speech_of[pids]
        self.n_speeches = int(codes.max()) + 1 if len(codes) else 0
        # Full builds number a speech's passages consecutively: a speech is then the passage id
        # range [first, end), and its postings of a term are one slice of the term's run.
        self._contiguous = bool(np.all(np.diff(codes) >= 0))
        self.first = np.zeros(self.n_speeches, dtype=np.int64)
        self.end = np.zeros(self.n_speeches, dtype=np.int64)
        if len(codes):
            self.first[codes[::-1]] = pids[::-1]  # the last write per speech is its first passage
            self.end[codes] = pids + 1
        self._lock = threading.Lock()

    @classmethod
    def from_codes(cls, bm25: Bm25Index, speech_codes: np.ndarray) -> SpeechBm25:
        """From any integer speech code per passage id (-1: none): renumbered in passage order."""
        present = np.flatnonzero(speech_codes >= 0)
        speech_of = np.full(len(speech_codes), -1, dtype=np.int32)
        if len(present):
            _, first, inverse = np.unique(speech_codes[present], return_index=True, return_inverse=True)
            rank = np.empty(len(first), dtype=np.int32)
            rank[np.argsort(first, kind="stable")] = np.arange(len(first), dtype=np.int32)
            speech_of[present] = rank[inverse]
        return cls(bm25, speech_of)

    def per_speech(self, column: np.ndarray) -> np.ndarray:
        """A passage-level column (by passage id) as one value per speech code, from the speech's
        first passage: for what all its passages share (speaker, member, date)."""
        return column[self.first] if self.n_speeches else column[:0]

    def selection(self, mask: np.ndarray) -> Selection:
        """The speeches within a passage mask. A speech's passages share speaker, role, date and
        assembly, so the mask keeps or drops whole speeches."""
        chosen = np.zeros(self.n_speeches, dtype=bool)
        chosen[self.speech_of[mask & (self.speech_of >= 0)]] = True
        return Selection(chosen)

    def _term_speeches(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """(speech codes in ascending order, summed counts) of every speech that contains the term."""
        pids, tf = self.bm25.term_frequencies(tid)
        speeches = self.speech_of[pids]
        if not self._contiguous:
            order = np.argsort(speeches, kind="stable")
            speeches, tf = speeches[order], tf[order]
        if not len(speeches):
            return speeches, tf
        starts = _run_starts(speeches)
        return speeches[starts], np.add.reduceat(tf, starts)

    def _df(self, tid: int, selection: Selection) -> int:
        """Speeches of the selection that contain the term, counted once per selection."""
        df = selection.dfs.get(tid)
        if df is not None:
            return df
        if self._contiguous:  # no counts needed: the distinct speeches along the run
            lo, hi = self.bm25.offsets[tid], self.bm25.offsets[tid + 1]
            speeches = self.speech_of[self.bm25.passage_ids[lo:hi]]
            if len(speeches):
                speeches = speeches[_run_starts(speeches)]
        else:
            speeches, _ = self._term_speeches(tid)
        df = int(np.count_nonzero(selection.chosen[speeches]))
        with self._lock:
            if len(selection.dfs) >= MAX_DFS_PER_SELECTION:
                selection.dfs.clear()
            selection.dfs[tid] = df
        return df

    def _idf(self, df: int, selection: Selection) -> float:
        idf = float(np.log((selection.n - df + 0.5) / (df + 0.5)))
        return idf if idf >= 0 else IDF_FLOOR

    def scores(self, terms: list[tuple[int, float]], selection: Selection,
               candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(speech codes, BM25 scores) of the ``candidates`` (speech codes) that are in the
        selection and contain a query term; idf counts the whole selection."""
        candidates = np.unique(candidates)
        candidates = candidates[selection.chosen[candidates]]
        totals = np.zeros(len(candidates))
        for tid, qtf in terms:
            df = self._df(tid, selection)
            if not df:
                continue
            idf = self._idf(df, selection)
            counts, found = self._candidate_counts(tid, candidates)
            totals[found] += qtf * idf * counts * (K1 + 1) / (counts + K1)
        hit = totals > 0
        return candidates[hit], totals[hit]

    def _candidate_counts(self, tid: int, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(summed counts, boolean over candidates) of the candidate speeches that contain the term."""
        if not self._contiguous:
            speeches, counts = self._term_speeches(tid)
            if not len(speeches):
                return counts, np.zeros(len(candidates), dtype=bool)
            at = np.minimum(np.searchsorted(speeches, candidates), len(speeches) - 1)
            found = speeches[at] == candidates
            return counts[at[found]], found
        # Each candidate's postings are the slice of the run between its first and end passage ids.
        lo, hi = self.bm25.offsets[tid], self.bm25.offsets[tid + 1]
        run = self.bm25.passage_ids[lo:hi]
        starts = np.searchsorted(run, self.first[candidates])
        ends = np.searchsorted(run, self.end[candidates])
        found = ends > starts
        starts, ends = starts[found], ends[found]
        if not len(starts):
            return np.zeros(0, dtype=np.float32), found
        sizes = ends - starts
        bounds = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        positions = np.arange(int(sizes.sum())) + np.repeat(starts - bounds, sizes)
        _, tf = self.bm25.term_frequencies(tid, positions)
        return np.add.reduceat(tf, bounds), found
