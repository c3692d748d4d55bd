"""Probe: DuckDB's vss (HNSW) over the passage vectors of a built index, against an exact scan in numpy.

The numbers in README (品質 → ANN) and docs/scaling.md §5 come from this script. It needs DuckDB 1.5.5,
because duckdb-extension-vss on PyPI stops there while the project runs DuckDB 2.x, so it runs in its own
virtualenv and reads the vectors from Parquet:

    python -m venv /tmp/vss && /tmp/vss/bin/pip install duckdb==1.5.5 duckdb-extension-vss==1.5.5 numpy
    # with the project's venv: the vectors, and the dev queries as the server embeds them
    .venv/bin/python -c "import duckdb; duckdb.connect('INDEX.duckdb', read_only=True).execute(
        \\"COPY (SELECT passage_id, vec FROM embeddings ORDER BY passage_id) TO 'emb.parquet' (FORMAT parquet)\\")"
    .venv/bin/python docs/ann_vss_probe.py --queries qvec.npy      # writes qvec.npy and stops
    /tmp/vss/bin/python docs/ann_vss_probe.py --vectors emb.parquet --queries qvec.npy [--n 200000]

It prints the exact scan's time per query, the HNSW build time and the memory it adds, its query latency
(parameter-bound and with the vector inlined as a literal) and recall@100 against the exact top 100.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

K = 100


def rss_mb() -> int:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) // 1024


def write_queries(path: Path) -> None:
    """Run with the project's venv: the dev member queries embedded by the default model."""
    from index.analysis import load_embedder
    from index.build import DEFAULT_MODEL

    root = Path(__file__).resolve().parents[1]
    queries = [json.loads(line)["query"] for line in (root / "data/eval/member-queries-dev.jsonl").open(encoding="utf-8")]
    np.save(path, np.asarray(load_embedder(DEFAULT_MODEL).encode_queries(queries), dtype=np.float32))


def probe(vectors: Path, queries: Path, n: int | None) -> dict:
    import duckdb
    import duckdb_extension_vss

    ext = next(Path(duckdb_extension_vss.__file__).parent.rglob("vss.duckdb_extension"))
    con = duckdb.connect()
    con.execute(f"INSTALL '{ext}'")
    con.execute("LOAD vss")
    where = f"WHERE passage_id < {int(n)}" if n else ""
    con.execute(f"CREATE TABLE emb AS SELECT passage_id, vec::FLOAT[300] AS vec FROM read_parquet('{vectors}') {where}")
    ids_and_vecs = con.execute("SELECT passage_id, vec FROM emb ORDER BY passage_id").fetchnumpy()
    ids, matrix = ids_and_vecs["passage_id"], np.vstack(ids_and_vecs["vec"]).astype(np.float32)
    q = np.load(queries)

    started = time.perf_counter()
    exact = []
    for x in q:  # vectors are L2-normalized: inner product = cosine
        s = matrix @ x
        exact.append(set(ids[np.argpartition(-s, K)[:K]].tolist()))
    exact_ms = (time.perf_counter() - started) / len(q) * 1000

    before = rss_mb()
    started = time.perf_counter()
    con.execute("CREATE INDEX hnsw ON emb USING HNSW (vec) WITH (metric = 'ip')")
    build_s = time.perf_counter() - started
    added_mb = rss_mb() - before

    def timed(sql_of) -> tuple[list[float], list[float]]:
        lat, recall = [], []
        for x, truth in zip(q, exact, strict=True):
            sql, params = sql_of(x)
            t = time.perf_counter()
            got = con.execute(sql, params).fetchnumpy()["passage_id"]
            lat.append((time.perf_counter() - t) * 1000)
            recall.append(len(truth & set(got.tolist())) / K)
        return sorted(lat), recall

    order = "ORDER BY array_negative_inner_product(vec, {}) LIMIT " + str(K)
    bound, recall = timed(lambda x: (f"SELECT passage_id FROM emb {order.format('?::FLOAT[300]')}", [x.tolist()]))
    literal, _ = timed(lambda x: (
        f"SELECT passage_id FROM emb {order.format('[' + ','.join(f'{v:.6f}' for v in x) + ']::FLOAT[300]')}", None))

    def pct(lat: list[float], p: float) -> float:
        return round(lat[min(len(lat) - 1, int(len(lat) * p))], 2)

    return {"passages": int(len(ids)), "queries": int(len(q)), "exact_numpy_ms_per_query": round(exact_ms, 2),
            "hnsw_build_s": round(build_s, 1), "hnsw_added_rss_mb": added_mb,
            "hnsw_p50_p95_ms_parameter": [pct(bound, 0.5), pct(bound, 0.95)],
            "hnsw_p50_p95_ms_literal": [pct(literal, 0.5), pct(literal, 0.95)],
            f"recall@{K}": round(float(np.mean(recall)), 3), "duckdb": duckdb.__version__,
            "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, help="Parquet of (passage_id, vec) exported from an index")
    parser.add_argument("--queries", type=Path, required=True, help="query vectors (.npy); written when --vectors is absent")
    parser.add_argument("--n", type=int, help="only passages with id below this")
    args = parser.parse_args()
    if args.vectors is None:
        write_queries(args.queries)
        return
    print(json.dumps(probe(args.vectors, args.queries, args.n)))


if __name__ == "__main__":
    main()
