"""Builds sharded by assembly on Ray, and a federated reader over the shard files.

A prototype of the "beyond one machine" design in docs/scaling.md:

* :func:`plan_shards` assigns whole assemblies to shards, balancing raw record
  bytes (largest first, each to the lightest shard);
* :func:`build_shards` runs one Ray task per shard. Each task sees only its
  assemblies through a *shard view* (a directory of symlinks into the raw store)
  and calls :func:`index.build.build_index` on it, so a shard file is an ordinary
  index file that :class:`index.search.Searcher` reads. After the shards, one pass
  over their ``terms`` tables writes the corpus-wide BM25 statistics
  (``global_terms.parquet``: term → summed df → global idf) and a manifest.
  ``local=True`` starts a single-machine Ray cluster inside the job
  (``ray.init(num_cpus=…)``); ``local=False`` joins an existing cluster
  (``ray.init(address=…)``, e.g. one started with ``ray start --head``);
* :class:`ShardedSearcher` routes a query to the shards holding the requested
  assemblies (all shards without an assembly filter), asks each for candidates
  and merges them.

Merging. A shard's scores are not comparable with another shard's: BM25 idf and
avgdl are shard-local, and the fused (BM25 + embedding) score is normalised per
query per shard, so each shard's best hit scores about 1. Statements are
therefore re-scored with *global* BM25 statistics (summed df, total passages,
global avgdl) from the public ``terms``/``postings``/``passages`` tables of the
shard files — what a search cluster's DFS phase does (OpenSearch
``dfs_query_then_fetch``). For shards built without embeddings this reproduces the
single-index ranking exactly (as long as each shard's local top ``overfetch ×
limit`` holds the global top ``limit``). With embeddings, the embedding re-rank
only decides which candidates a shard sends; the final order is global BM25.
Member scores are merged as each shard computed them: a member lives in one
assembly and so in one shard, but the score is relative to that shard's best
passage, which is exact when the query is routed to one shard and approximate
across shards (see docs/scaling.md).

    python -m index.shards build --raw-dir var/raw --out var/shards --shards 2
    python -m index.shards search --manifest var/shards/manifest.json 待機児童 --assembly 130001
    python -m index.shards parquet --raw-dir var/raw --out var/parquet
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from index.bm25 import EPSILON, K1, B

RECORD_TYPES = ("meeting", "member", "post")
MANIFEST = "manifest.json"
GLOBAL_TERMS = "global_terms.parquet"
OVERFETCH = 5


# -- planning -------------------------------------------------------------------------------------
def assembly_bytes(raw_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Bytes of stored records per assembly code, over all record types."""
    sizes: Counter[str] = Counter()
    root = Path(raw_dir)
    for rtype in RECORD_TYPES:
        base = root / rtype
        if not base.is_dir():
            continue
        for assembly in base.iterdir():
            if assembly.is_dir():
                sizes[assembly.name] += sum(
                    p.stat().st_size for p in assembly.glob("*.json") if not p.name.startswith(".tmp-")
                )
    return dict(sizes)


def plan_shards(raw_dir: str | os.PathLike[str], n_shards: int) -> list[dict]:
    """Whole assemblies per shard, balanced by record bytes (largest first, to the lightest shard).

    Returns ``[{"shard": i, "assemblies": [...], "raw_bytes": n}, …]`` with no empty shard, so
    fewer than ``n_shards`` entries when there are fewer assemblies.
    """
    if n_shards < 1:
        raise ValueError("n_shards must be at least 1")
    sizes = assembly_bytes(raw_dir)
    if not sizes:
        raise ValueError(f"{raw_dir}: no records in the raw store")
    shards = [{"shard": i, "assemblies": [], "raw_bytes": 0} for i in range(min(n_shards, len(sizes)))]
    for code, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        lightest = min(shards, key=lambda s: (s["raw_bytes"], s["shard"]))
        lightest["assemblies"].append(code)
        lightest["raw_bytes"] += size
    for s in shards:
        s["assemblies"].sort()
    return shards


def make_shard_view(raw_dir: str | os.PathLike[str], view_dir: str | os.PathLike[str],
                    assemblies: Sequence[str]) -> Path:
    """A raw store holding only ``assemblies``: ``<view>/<type>/<code>`` symlinks into ``raw_dir``."""
    raw, view = Path(raw_dir).resolve(), Path(view_dir)
    if view.exists():
        shutil.rmtree(view)
    for rtype in RECORD_TYPES:
        for code in assemblies:
            source = raw / rtype / code
            if source.is_dir():
                (view / rtype).mkdir(parents=True, exist_ok=True)
                (view / rtype / code).symlink_to(source, target_is_directory=True)
    view.mkdir(parents=True, exist_ok=True)
    return view


# -- the raw store as Parquet --------------------------------------------------------------------
def raw_to_parquet(raw_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                   compression: str = "zstd") -> dict[str, dict]:
    """Copy every stored record into Parquet, one dataset per record type, lossless.

    Meetings are partitioned ``assembly_code=<code>/year=<yyyy>/`` (``year=0``: undated), rosters and
    posts by assembly only: the layout an object store serves to a sharded build (a shard reads
    only its assemblies' prefixes). Every stored version is kept, as in the raw store.
    Returns ``{type: {"records", "json_bytes", "parquet_bytes", "files"}}``.
    """
    raw, out = Path(raw_dir), Path(out_dir)
    report: dict[str, dict] = {}
    con = duckdb.connect()
    try:
        for rtype in RECORD_TYPES:
            files = sorted(p for p in (raw / rtype).glob("*/*.json") if not p.name.startswith(".tmp-"))
            if not files:
                continue
            target = out / rtype
            if target.exists():
                shutil.rmtree(target)
            out.mkdir(parents=True, exist_ok=True)
            source = "read_json($files, format='auto', maximum_object_size=268435456)"
            if rtype == "meeting":
                select, partition = f"SELECT *, coalesce(year(date), 0) AS year FROM {source}", "assembly_code, year"
            else:
                select, partition = f"SELECT * FROM {source}", "assembly_code"
            con.execute(
                f"COPY ({select}) TO '{target}' (FORMAT PARQUET, PARTITION_BY ({partition}), COMPRESSION {compression})",
                {"files": [str(p) for p in files]},
            )
            written = list(target.rglob("*.parquet"))
            report[rtype] = {
                "records": len(files),
                "json_bytes": sum(p.stat().st_size for p in files),
                "parquet_bytes": sum(p.stat().st_size for p in written),
                "files": len(written),
            }
    finally:
        con.close()
    return report


# -- building -------------------------------------------------------------------------------------
def build_one_shard(raw_dir: str, out_dir: str, shard: dict, embedding_model: str | None, workers: int) -> dict:
    """One shard: view its assemblies, build the index file, report what was built (a Ray task body)."""
    from index.build import build_index

    out = Path(out_dir)
    name = f"shard-{shard['shard']}.duckdb"
    view = make_shard_view(raw_dir, out / ".views" / f"shard-{shard['shard']}", shard["assemblies"])
    started = time.perf_counter()
    cpu_before = _cpu_seconds()
    try:
        summary = build_index(view, out / name, workers=workers, progress=False, embedding_model=embedding_model)
    finally:
        shutil.rmtree(view, ignore_errors=True)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_before
    # Counted from the file: an incremental rebuild's summary counts only what it added.
    con = duckdb.connect(str(out / name), read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("meetings", "speeches", "passages", "members", "terms", "postings")}
    finally:
        con.close()
    return {
        **shard,
        "file": name,
        **counts,
        "mode": getattr(summary, "mode", "full"),
        "seconds": round(seconds, 3),
        # CPU of the task (its own process and, with workers_per_shard > 1, its pool's).
        "cpu_seconds": round(cpu, 3),
        "file_bytes": (out / name).stat().st_size,
        # The Ray worker's peak (it imports Ray, Sudachi and the model besides building).
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "host": os.uname().nodename,
        "pid": os.getpid(),
    }


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def write_global_stats(out_dir: str | os.PathLike[str], files: Sequence[str]) -> dict:
    """Corpus-wide BM25 statistics over the shard files, computed as build_index computes one file's.

    ``global_terms.parquet`` holds (term, df, idf) with df summed over shards and idf by
    BM25Okapi (negative idf → ε · mean idf); the returned dict holds N, avgdl, k1, b, ε.
    """
    out = Path(out_dir)
    con = duckdb.connect()
    try:
        for i, name in enumerate(files):
            con.execute(f"ATTACH '{out / name}' AS s{i} (READ_ONLY)")
        union_terms = " UNION ALL ".join(f"SELECT term, df FROM s{i}.terms" for i in range(len(files)))
        union_len = " UNION ALL ".join(f"SELECT n_tokens FROM s{i}.passages" for i in range(len(files)))
        n_docs, total_len = con.execute(f"SELECT count(*), coalesce(sum(n_tokens), 0) FROM ({union_len})").fetchone()
        info = dict(con.execute("SELECT key, value FROM s0.build_info").fetchall())
        params = {"k1": float(info.get("k1", K1)), "b": float(info.get("b", B)),
                  "epsilon": float(info.get("epsilon", EPSILON))}
        target = out / GLOBAL_TERMS
        con.execute(
            f"""
            COPY (
              WITH df AS (SELECT term, sum(df)::BIGINT AS df FROM ({union_terms}) GROUP BY term HAVING sum(df) > 0),
                   raw AS (SELECT term, df, ln(($n - df + 0.5) / (df + 0.5)) AS idf FROM df),
                   avg_idf AS (SELECT avg(idf) AS a FROM raw)
              SELECT term, df, CASE WHEN idf < 0 THEN $eps * (SELECT a FROM avg_idf) ELSE idf END AS idf
              FROM raw ORDER BY term
            ) TO '{target}' (FORMAT PARQUET)
            """,
            {"n": n_docs, "eps": params["epsilon"]},
        )
        (n_terms,) = con.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone()
    finally:
        con.close()
    return {
        "passages": n_docs,
        "avgdl": (total_len / n_docs) if n_docs else 1.0,
        "terms": n_terms,
        "terms_file": GLOBAL_TERMS,
        **params,
    }


def build_shards(
    raw_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    n_shards: int,
    local: bool = True,
    *,
    num_cpus: int | None = None,
    address: str | None = None,
    embedding_model: str | None = "default",
    workers_per_shard: int = 1,
) -> dict:
    """Build one index file per shard as parallel Ray tasks; write and return the manifest.

    ``local``: start a single-machine Ray cluster for this job (``num_cpus`` defaults to the
    machine's cores) unless this process is already connected to one; otherwise connect to
    ``address`` (default ``auto``: the cluster ``ray start`` made on this node). Each task asks
    Ray for ``workers_per_shard`` CPUs and runs ``build_index`` with that many workers.
    """
    import ray

    raw_dir, out = Path(raw_dir).resolve(), Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_shards(raw_dir, n_shards)
    started_ray = False
    if not ray.is_initialized():
        if local:
            ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address or "auto", log_to_driver=False)
        started_ray = True
    started = time.perf_counter()
    try:
        task = ray.remote(num_cpus=workers_per_shard, max_retries=1)(build_one_shard)
        refs = [task.remote(str(raw_dir), str(out), s, embedding_model, workers_per_shard) for s in plan]
        shards = sorted(ray.get(refs), key=lambda s: s["shard"])
        cluster_cpus = int(ray.cluster_resources().get("CPU", 0))
    finally:
        if started_ray:
            ray.shutdown()
    build_seconds = time.perf_counter() - started
    shutil.rmtree(out / ".views", ignore_errors=True)
    stats = write_global_stats(out, [s["file"] for s in shards])
    manifest = {
        "version": 1,
        "raw_dir": str(raw_dir),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "engine": {"name": "ray", "version": ray.__version__, "local": local, "cluster_cpus": cluster_cpus},
        "embedding_model": embedding_model,
        "n_shards": len(shards),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "build_seconds": round(build_seconds, 3),
        "stats": stats,
        "shards": shards,
    }
    tmp = out / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)
    manifest["dir"] = str(out)
    return manifest


def load_manifest(manifest: str | os.PathLike[str] | dict) -> dict:
    if isinstance(manifest, dict):
        if "dir" not in manifest:
            raise ValueError("a manifest dict needs 'dir' (the directory of its shard files)")
        return manifest
    path = Path(manifest)
    if path.is_dir():
        path = path / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    data["dir"] = str(path.parent.resolve())
    return data


# -- federated reading ----------------------------------------------------------------------------
@dataclass
class GlobalStats:
    """Corpus-wide BM25 statistics: what makes scores from different shards comparable."""

    passages: int
    avgdl: float
    k1: float
    b: float
    epsilon: float
    terms_file: Path

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        if not terms:
            return {}
        con = duckdb.connect()
        try:
            return dict(con.execute(
                "SELECT term, idf FROM read_parquet($f) WHERE term IN (SELECT unnest($t))",
                {"f": str(self.terms_file), "t": list(terms)},
            ).fetchall())
        finally:
            con.close()


class ShardedSearcher:
    """Route a query to the shards that hold the requested assemblies and merge their answers."""

    def __init__(self, manifest: str | os.PathLike[str] | dict, overfetch: int = OVERFETCH):
        from index.search import Searcher

        self.manifest = load_manifest(manifest)
        base = Path(self.manifest["dir"])
        self.overfetch = overfetch
        self.shards = self.manifest["shards"]
        self.searchers = {s["shard"]: Searcher(base / s["file"]) for s in self.shards}
        self.owner = {code: s["shard"] for s in self.shards for code in s["assemblies"]}
        st = self.manifest["stats"]
        self.stats = GlobalStats(st["passages"], st["avgdl"], st["k1"], st["b"], st["epsilon"], base / st["terms_file"])
        self._local: dict[int, dict] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(len(self.shards), 8)))

    def route(self, assemblies: Sequence[str] | None) -> list[int]:
        """Shards to ask: those owning the given assemblies, or all."""
        if not assemblies:
            return [s["shard"] for s in self.shards]
        return sorted({self.owner[a] for a in assemblies if a in self.owner})

    def _route_filters(self, filters) -> list[int]:
        if filters is None:
            return self.route(None)
        codes = list(filters.assembly or [])
        member = getattr(filters, "member_id", None)
        if member and not codes:
            codes = [member.split("-")[0]]  # member ids are <assembly_code>-<hash>
        return self.route(codes or None)

    def _fan_out(self, shard_ids: list[int], fn):
        return dict(zip(shard_ids, self._pool.map(lambda i: fn(self.searchers[i]), shard_ids), strict=True))

    def search_statements(self, q: str, limit: int = 10, filters=None, *, rescore: bool = True, **kwargs) -> list:
        """Statements from every routed shard, by global statistics (``rescore``) or by each shard's own score.

        Re-scoring: each shard sends ``overfetch × limit`` candidates ranked its own way. Their BM25 is
        computed twice from the shard's public tables, with global and with shard-local statistics;
        where the shard has embeddings, its embedding part is recovered from its fused score
        (``fused = (1 − w)·bm25/best + w·dense + topic``, as ``index.search`` fuses; the topic part
        depends on the passage alone, so the shard computes it exactly) and fused again with the
        global BM25 normalised by the best candidate of all shards. Without embeddings or topics the
        score is the global BM25 itself, which is what a single index over all shards gives.
        """
        shard_ids = self._route_filters(filters)
        fetch = limit * self.overfetch if rescore else limit
        per_shard = self._fan_out(shard_ids, lambda s: s.search_statements(q, limit=fetch, filters=filters, **kwargs))
        if rescore:
            from nlp.tokenizer import tokenize

            qtf = Counter(tokenize(q))
            idf = self.stats.idf(list(qtf))
            parts = {i: self._rescore(i, hits, q, qtf, idf) for i, hits in per_shard.items()}
            best = max((g for p in parts.values() for g, *_ in p.values()), default=0.0) or 1.0
            for shard_id, hits in per_shard.items():
                for hit in hits:
                    global_bm25, dense, w, topic = parts[shard_id].get(hit.passage_id, (0.0, 0.0, 0.0, None))
                    hit.shard_score = hit.score
                    if w > 0:
                        hit.score = (1 - w) * global_bm25 / best + w * dense
                    else:
                        hit.score = global_bm25 / best if topic is not None else global_bm25
                    hit.score += topic or 0.0
        merged = [(hit, shard_id) for shard_id, hits in per_shard.items() for hit in hits]
        # Ties in the order a single full build gives them: it numbers passages by assembly first,
        # and within an assembly a shard numbers them in the same order.
        merged.sort(key=lambda hs: (-hs[0].score, hs[0].assembly_code, hs[0].passage_id))
        out = []
        for hit, shard_id in merged[:limit]:
            hit.shard = shard_id
            out.append(hit)
        return out

    def _shard_stats(self, shard_id: int) -> dict:
        """The shard's own N, avgdl, mean idf and whether it has embeddings (cached)."""
        if shard_id not in self._local:
            cur = self.searchers[shard_id].cursor()
            try:
                n, avgdl = cur.execute("SELECT count(*), coalesce(avg(n_tokens), 1) FROM passages").fetchone()
                (mean_idf,) = cur.execute(
                    "SELECT avg(ln(($n - df + 0.5) / (df + 0.5))) FROM terms WHERE df > 0", {"n": n}).fetchone()
                (vectors,) = cur.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_name = 'embeddings'").fetchone()
            finally:
                cur.close()
            self._local[shard_id] = {"n": n, "avgdl": float(avgdl) or 1.0, "mean_idf": mean_idf or 0.0,
                                     "vectors": bool(vectors)}
        return self._local[shard_id]

    def _rescore(self, shard_id: int, hits: list, query: str, qtf: Counter, idf: dict[str, float]) -> dict[int, tuple]:
        """passage_id → (global BM25, recovered embedding part, its weight, topic part or None) for one
        shard's candidates."""
        if not hits or not idf:
            return {}
        searcher = self.searchers[shard_id]
        cur = searcher.cursor()
        try:
            rows = cur.execute(
                """SELECT po.passage_id, p.n_tokens, t.term, t.df, po.tf
                   FROM terms t
                   JOIN postings po ON po.term_id = t.term_id
                   JOIN passages p ON p.passage_id = po.passage_id
                   WHERE t.term IN (SELECT unnest($terms)) AND po.passage_id IN (SELECT unnest($ids))""",
                {"ids": [h.passage_id for h in hits], "terms": list(idf)},
            ).fetchall()
            topic = searcher.topic_evidence(cur, query, np.asarray([h.passage_id for h in hits]))
        finally:
            cur.close()
        topic_of = dict(zip((h.passage_id for h in hits), topic.tolist(), strict=True)) if topic is not None else {}
        local = self._shard_stats(shard_id)
        k1, b, eps = self.stats.k1, self.stats.b, self.stats.epsilon
        glob: dict[int, float] = {}
        mine: dict[int, float] = {}
        for pid, dl, term, df, tf in rows:
            local_idf = math.log((local["n"] - df + 0.5) / (df + 0.5))
            if local_idf < 0:
                local_idf = eps * local["mean_idf"]
            saturation = tf * (k1 + 1)
            glob[pid] = glob.get(pid, 0.0) + qtf[term] * idf[term] * saturation / (
                tf + k1 * (1 - b + b * dl / self.stats.avgdl))
            mine[pid] = mine.get(pid, 0.0) + qtf[term] * local_idf * saturation / (
                tf + k1 * (1 - b + b * dl / local["avgdl"]))
        w = searcher.dense_weight if local["vectors"] else 0.0
        best_mine = max(mine.values(), default=0.0) or 1.0
        out = {}
        for hit in hits:
            dense = 0.0
            part = topic_of.get(hit.passage_id) if topic is not None else None
            if w > 0:
                fused = hit.score - (part or 0.0)
                dense = max(0.0, (fused - (1 - w) * mine.get(hit.passage_id, 0.0) / best_mine) / w)
            out[hit.passage_id] = (glob.get(hit.passage_id, 0.0), dense, w, part)
        return out

    def search_members(self, q: str, limit: int = 10, filters=None, **kwargs) -> list:
        """Members from every routed shard, merged by each shard's own score (see the module doc)."""
        shard_ids = self._route_filters(filters)
        per_shard = self._fan_out(shard_ids, lambda s: s.search_members(q, limit=limit, filters=filters, **kwargs))
        merged = [(m, shard_id) for shard_id, found in per_shard.items() for m in found]
        merged.sort(key=lambda ms: (-ms[0].score, ms[0].member_id))
        out = []
        for member, shard_id in merged[:limit]:
            member.shard = shard_id
            out.append(member)
        return out

    def close(self) -> None:
        self._pool.shutdown()
        for s in self.searchers.values():
            s.close()


# -- command line ---------------------------------------------------------------------------------
def _cmd_build(args: argparse.Namespace) -> int:
    manifest = build_shards(
        args.raw_dir, args.out, args.shards, local=not args.address, address=args.address,
        num_cpus=args.num_cpus, embedding_model=None if args.no_embeddings else args.embedding_model,
        workers_per_shard=args.workers_per_shard,
    )
    for s in manifest["shards"]:
        print(f"shard {s['shard']}: {len(s['assemblies'])} assemblies, {s['passages']} passages, "
              f"{s['file_bytes'] / 1e6:.1f} MB, {s['seconds']:.1f} s → {Path(manifest['dir']) / s['file']}")
    print(f"{manifest['n_shards']} shards, {manifest['stats']['passages']} passages, "
          f"{manifest['wall_seconds']:.1f} s wall → {Path(manifest['dir']) / MANIFEST}")
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from index.search import Filters

    searcher = ShardedSearcher(args.manifest)
    filters = Filters(assembly=args.assembly or None)
    try:
        started = time.perf_counter()
        if args.members:
            for m in searcher.search_members(args.query, limit=args.limit, filters=filters):
                print(f"{m.score:8.4f}  shard {m.shard}  {m.assembly_code}  {m.name}  {m.member_id}")
        else:
            for h in searcher.search_statements(args.query, limit=args.limit, filters=filters,
                                                rescore=not args.shard_scores):
                text = h.text.replace("\n", " ")[:60]
                print(f"{h.score:8.4f}  shard {h.shard}  {h.assembly_code}  {h.date}  {h.statement_id}  {text}")
        print(f"shards asked: {searcher._route_filters(filters)}; {time.perf_counter() - started:.3f} s",
              file=sys.stderr)
    finally:
        searcher.close()
    return 0


def _cmd_parquet(args: argparse.Namespace) -> int:
    for rtype, r in raw_to_parquet(args.raw_dir, args.out, args.compression).items():
        print(f"{rtype}: {r['records']} records, {r['json_bytes'] / 1e6:.1f} MB JSON → "
              f"{r['parquet_bytes'] / 1e6:.1f} MB Parquet in {r['files']} files ({args.out / rtype})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.shards", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build one index file per shard of assemblies, in parallel on Ray")
    b.add_argument("--raw-dir", type=Path, default=Path("var/raw"))
    b.add_argument("--out", type=Path, default=Path("var/shards"))
    b.add_argument("--shards", type=int, default=2)
    b.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local Ray cluster (default: all)")
    b.add_argument("--address", default=None, help="join this Ray cluster instead of starting a local one")
    b.add_argument("--workers-per-shard", type=int, default=1)
    b.add_argument("--embedding-model", default="default")
    b.add_argument("--no-embeddings", action="store_true", help="BM25 and topics only (faster)")
    b.set_defaults(func=_cmd_build)
    s = sub.add_parser("search", help="federated search over a manifest's shards")
    s.add_argument("--manifest", type=Path, default=Path("var/shards") / MANIFEST)
    s.add_argument("query")
    s.add_argument("--assembly", action="append", help="assembly code (repeatable); routes to its shard")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--members", action="store_true", help="rank members instead of statements")
    s.add_argument("--shard-scores", action="store_true", help="merge by each shard's own score (no global idf)")
    s.set_defaults(func=_cmd_search)
    pq = sub.add_parser("parquet", help="copy the raw store to Parquet partitioned by assembly (and year)")
    pq.add_argument("--raw-dir", type=Path, default=Path("var/raw"))
    pq.add_argument("--out", type=Path, default=Path("var/parquet"))
    pq.add_argument("--compression", default="zstd", choices=["zstd", "snappy", "gzip", "uncompressed"])
    pq.set_defaults(func=_cmd_parquet)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
