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
  already keep volume from winning.

Nothing extra is stored: a speech's term count is the sum of its passages' counts
(``Bm25Index.term_frequencies``), and the statistics of a selection are counted
from the passage columns when a query first uses that selection.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from index.bm25 import K1, Bm25Index

SPEECH_B = 0.0
# A common word's speeches are the same for every query: keep the longest recently used
# ones (8 bytes an entry: 32 MB), since regrouping a run of 500,000 postings by speech costs
# more than the rest of the query's speech scoring together.
CACHE_ENTRIES = 4_000_000
CACHE_MIN_POSTINGS = 5_000
# BM25Okapi replaces a negative idf (a word in over half of the selection's speeches) with
# ε × the vocabulary's mean idf; that mean is unknown for an ad-hoc selection, so a
# small constant stands in (0.05–0.2 measured the same).
IDF_FLOOR = 0.1


class SpeechBm25:
    def __init__(self, bm25: Bm25Index, speech_of: np.ndarray, n_tokens: np.ndarray, b: float = SPEECH_B):
        """``speech_of``: speech code per passage id (-1: no passage), codes 0..n-1 in passage order;
        ``n_tokens``: the passage lengths BM25 uses, by passage id."""
        self.bm25 = bm25
        self.speech_of = speech_of
        self.b = b
        present = speech_of >= 0
        self.n_speeches = int(speech_of.max()) + 1 if present.any() else 0
        self.lengths = np.bincount(speech_of[present], weights=n_tokens[present], minlength=self.n_speeches)
        # Full builds number a speech's passages consecutively, so along a term's postings (sorted
        # by passage id) each speech is one run; otherwise the postings are sorted by speech first.
        self._contiguous = bool(np.all(np.diff(speech_of[present]) >= 0))
        # Per mask: (mask, chosen speeches, their number, length normalisation, df by term id).
        self._selections: dict[int, tuple[np.ndarray, np.ndarray, int, np.ndarray, dict[int, int]]] = {}
        self._runs: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached_entries = 0
        self._lock = threading.Lock()

    @classmethod
    def from_codes(cls, bm25: Bm25Index, speech_codes: np.ndarray, n_tokens: np.ndarray) -> SpeechBm25:
        """From any integer speech code per passage id (-1: none): renumbered in passage order."""
        present = np.flatnonzero(speech_codes >= 0)
        speech_of = np.full(len(speech_codes), -1, dtype=np.int32)
        if len(present):
            _, first, inverse = np.unique(speech_codes[present], return_index=True, return_inverse=True)
            rank = np.empty(len(first), dtype=np.int32)
            rank[np.argsort(first, kind="stable")] = np.arange(len(first), dtype=np.int32)
            speech_of[present] = rank[inverse]
        return cls(bm25, speech_of, n_tokens)

    def per_speech(self, column: np.ndarray) -> np.ndarray:
        """A passage-level column (by passage id) as one value per speech code, from the speech's
        first passage: for what all its passages share (speaker, member, date)."""
        pids = np.flatnonzero(self.speech_of >= 0)[::-1]
        out = np.empty(self.n_speeches, dtype=column.dtype)
        out[self.speech_of[pids]] = column[pids]  # the last write per speech is its first passage
        return out

    def _selection(self, mask: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, dict[int, int]]:
        """(chosen speeches as a boolean array, their number, length normalisation by speech code,
        the selection's document frequencies as they get counted) within a passage mask; cached per
        mask object (the searcher caches masks per filter)."""
        with self._lock:
            cached = self._selections.get(id(mask))
            if cached is not None and cached[0] is mask:
                return cached[1:]
        chosen = np.zeros(self.n_speeches, dtype=bool)
        chosen[self.speech_of[mask & (self.speech_of >= 0)]] = True
        n = int(np.count_nonzero(chosen))
        avgdl = float(self.lengths[chosen].mean()) if n else 1.0
        norm = K1 * (1 - self.b + self.b * self.lengths / (avgdl or 1.0))
        with self._lock:
            if len(self._selections) >= 64:
                self._selections.clear()
            entry = self._selections.setdefault(id(mask), (mask, chosen, n, norm, {}))
        return entry[1:]

    def _term_speeches(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """(speech codes, summed counts) of every speech that contains the term."""
        with self._lock:
            cached = self._runs.get(tid)
            if cached is not None:
                self._runs.move_to_end(tid)
                return cached
        pids, tf = self.bm25.term_frequencies(tid)
        speeches = self.speech_of[pids]
        valid = speeches >= 0
        if not valid.all():
            speeches, tf = speeches[valid], tf[valid]
        if not self._contiguous:
            order = np.argsort(speeches, kind="stable")
            speeches, tf = speeches[order], tf[order]
        if not len(speeches):
            return speeches, tf
        starts = np.concatenate(([0], np.flatnonzero(speeches[1:] != speeches[:-1]) + 1))
        result = speeches[starts], np.add.reduceat(tf, starts)
        if len(pids) >= CACHE_MIN_POSTINGS and len(starts) <= CACHE_ENTRIES:
            with self._lock:
                if tid not in self._runs:
                    self._runs[tid] = result
                    self._cached_entries += len(starts)
                while self._cached_entries > CACHE_ENTRIES:
                    _, (old, _) = self._runs.popitem(last=False)
                    self._cached_entries -= len(old)
        return result

    def scores(self, terms: list[tuple[int, float]], mask: np.ndarray,
               candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(speech codes, BM25 scores) of the speeches that contain a query term and whose
        passages the boolean ``mask`` (by passage id) lets through; only among ``candidates``
        (sorted speech codes) when given — idf still counts the whole selection."""
        chosen, n_selected, norm, dfs = self._selection(mask)
        if candidates is not None:
            candidates = candidates[chosen[candidates]]
            totals = np.zeros(len(candidates))
        codes, weights = [], []
        for tid, qtf in terms:
            speeches, counts = self._term_speeches(tid)
            df = dfs.get(tid)
            if df is None:
                # A speech's passages share speaker, role, date and assembly, so the mask keeps
                # or drops whole speeches.
                df = int(np.count_nonzero(chosen[speeches]))
                with self._lock:
                    if len(dfs) >= 100_000:
                        dfs.clear()
                    dfs[tid] = df
            if not df:
                continue
            idf = np.log((n_selected - df + 0.5) / (df + 0.5))
            idf = idf if idf >= 0 else IDF_FLOOR
            if candidates is not None:
                # Runs are sorted by speech code: look the candidates up instead of scanning the run.
                at = np.minimum(np.searchsorted(speeches, candidates), len(speeches) - 1)
                found = speeches[at] == candidates
                tf = counts[at[found]]
                totals[found] += qtf * idf * tf * (K1 + 1) / (tf + norm[candidates[found]])
                continue
            keep = chosen[speeches]
            speeches, counts = speeches[keep], counts[keep]
            codes.append(speeches)
            weights.append(qtf * idf * counts * (K1 + 1) / (counts + norm[speeches]))
        if candidates is not None:
            hit = totals > 0
            return candidates[hit], totals[hit]
        if not codes:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        speeches = np.concatenate(codes)
        totals = np.concatenate(weights)
        if len(speeches) * 8 < self.n_speeches:  # few: sort and add up runs
            order = np.argsort(speeches, kind="stable")
            speeches, totals = speeches[order], totals[order]
            starts = np.flatnonzero(np.r_[True, speeches[1:] != speeches[:-1]])
            return speeches[starts], np.add.reduceat(totals, starts)
        summed = np.bincount(speeches, weights=totals, minlength=self.n_speeches)
        hit = np.zeros(self.n_speeches, dtype=bool)
        hit[speeches] = True
        found = np.flatnonzero(hit).astype(np.int32)
        return found, summed[found]
