"""Throughput and latency, measured against rank-bm25 in the same run (`gikai bench`).

Measures on the index the user built (the demo corpus by default):
build throughput, single-core SudachiPy tokenizer throughput on the same text,
p50/p95 latency of member and statement search over the dev queries, and
``rank_bm25.BM25Okapi.get_scores`` on the same tokens and queries.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from index.build import build_index
from index.evaluate import load_queries
from index.search import Searcher
from nlp.tokenizer import tokenize


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def _timed(fn, items) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - start)
    return out


def run_bench(raw_dir: Path, db_path: Path, queries_path: Path, n_queries: int = 200) -> dict:
    from rank_bm25 import BM25Okapi

    with tempfile.TemporaryDirectory() as tmp:
        summary = build_index(raw_dir, Path(tmp) / "bench.duckdb")
    build_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    con = duckdb.connect(str(db_path), read_only=True)
    texts = [t for (t,) in con.execute("SELECT coalesce(heading || chr(10), '') || text FROM passages ORDER BY passage_id").fetchall()]
    con.close()

    start = time.perf_counter()
    corpus = [tokenize(t) for t in texts]
    tokenizer_seconds = time.perf_counter() - start
    tokenizer_rate = len(texts) / tokenizer_seconds
    build_rate = summary.passages / summary.seconds
    cores = os.cpu_count() or 1

    queries = [q["query"] for q in load_queries(queries_path)][:n_queries]
    searcher = Searcher(db_path)
    searcher.search_statements(queries[0])  # open the file and warm caches once
    statement_times = _timed(lambda q: searcher.search_statements(q, limit=10), queries)
    member_times = _timed(lambda q: searcher.search_members(q, limit=10), queries)
    searcher.close()

    reference = BM25Okapi(corpus)
    query_tokens = [tokenize(q) for q in queries]
    reference_times = _timed(reference.get_scores, query_tokens)

    ours = statistics.median(statement_times)
    ref = statistics.median(reference_times)
    return {
        "corpus": {"passages": summary.passages, "meetings": summary.meetings, "raw_dir": str(raw_dir)},
        "machine": {"cores": cores},
        "build": {
            "seconds": round(summary.seconds, 2),
            "statements_per_s": round(build_rate, 1),
            "tokenizer_statements_per_s_one_core": round(tokenizer_rate, 1),
            "build_vs_tokenizer": round(build_rate / (cores * tokenizer_rate), 3),
            "peak_rss_mb_children": round(build_rss_mb, 1),
        },
        "query": {
            "n": len(queries),
            "statement_search": _percentiles(statement_times),
            "member_search": _percentiles(member_times),
        },
        "reference_rank_bm25": {**_percentiles(reference_times), "speedup_statement_search_p50": round(ref / ours, 2)},
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
