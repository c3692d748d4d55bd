"""Passage topic scores held in memory, for fusing topic evidence into search.

``passage_topics`` is read once per index file into one sorted (passage ids, scores)
pair per topic, so scoring 4,000 candidates for a query's topics is a few binary
searches, not a DuckDB query (the 1M-statement p95 budget is 50 ms).
"""

from __future__ import annotations

import duckdb
import numpy as np

from index.bm25 import _arrow


class PassageTopics:
    def __init__(self, by_topic: dict[str, tuple[np.ndarray, np.ndarray]]):
        self.by_topic = by_topic

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> PassageTopics:
        has_table = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'passage_topics'").fetchall()[0][0]
        if not has_table:
            return cls({})
        table = _arrow(con, "SELECT topic_id, passage_id, score FROM passage_topics ORDER BY topic_id, passage_id")
        if table.num_rows == 0:
            return cls({})
        topics = table.column("topic_id").combine_chunks().dictionary_encode()
        codes = topics.indices.to_numpy(zero_copy_only=False)
        pids = table.column("passage_id").to_numpy().astype(np.int32)
        scores = table.column("score").to_numpy().astype(np.float32)
        # Rows are sorted by topic, so each topic is one contiguous run.
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        ends = np.r_[starts[1:], len(codes)]
        names = topics.dictionary.to_pylist()
        return cls({names[codes[s]]: (pids[s:e].copy(), scores[s:e].copy()) for s, e in zip(starts, ends, strict=True)})

    def __len__(self) -> int:
        return len(self.by_topic)

    def scores_of(self, topic_id: str, pids: np.ndarray) -> np.ndarray | None:
        """The topic's score of each passage (0 where it has none); None for a topic no passage has."""
        found = self.by_topic.get(topic_id)
        if found is None:
            return None
        topic_pids, scores = found
        at = np.searchsorted(topic_pids, pids)
        at[at == len(topic_pids)] = 0
        return np.where(topic_pids[at] == pids, scores[at], np.float32(0))

    def evidence(self, pids: np.ndarray, query_topics: list[tuple[str, float]]) -> np.ndarray:
        """Per candidate passage: max over the query's topics of (passage score × query confidence)."""
        out = np.zeros(len(pids), dtype=np.float64)
        for topic_id, confidence in query_topics:
            scores = self.scores_of(topic_id, pids)
            if scores is not None:
                np.maximum(out, scores * confidence, out=out)
        return out

    def best(self, pids: list[int] | np.ndarray, topic_ids: list[str] | None = None) -> dict[str, float]:
        """Per topic (of ``topic_ids``, default all): the highest score among these passages, if any."""
        wanted = np.asarray(pids, dtype=np.int32)
        out: dict[str, float] = {}
        if not len(wanted):
            return out
        for topic_id in self.by_topic if topic_ids is None else topic_ids:
            scores = self.scores_of(topic_id, wanted)
            best = float(scores.max()) if scores is not None else 0.0
            if best > 0:
                out[topic_id] = best
        return out
