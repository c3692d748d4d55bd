"""Raw store → DuckDB index file (`gikai build`).

The database is written to a temporary file next to the target and renamed over it
only when complete, so a server reading the old file, or a build killed half-way,
never exposes half-built data.

Worker processes (one per core) turn raw meeting files into rows, term counts, topic
scores and vectors (``index.analysis``); the main process streams their batches into
DuckDB. BM25 keeps term counts and passage lengths, not weights, so adding meetings
never rewrites what is there: when the target already holds an index made by the same
analysis, the build is *incremental* — it copies the file, deletes the meetings that
changed or vanished from the raw store, analyses only the new ones and appends them.
Anything that would make the result differ from a full build (a new tokenizer,
taxonomy or model, changed rosters or posts, a surname that now resolves differently)
falls back to a full build.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crawlers.rawstore import RawStore
from index.analysis import (
    DEFAULT_MODEL,
    Batch,
    Speaker,
    analyze_meetings,
    analyze_rows,
    load_embedder,
    member_id,
    quiet_gc,
    worker_init,
)
from index.analysis import meeting_id as _meeting_id
from index.bm25 import EPSILON, K1, B
from index.format import FORMAT_VERSION
from index.people import POST_KIND, RosterInfo, post_rows, roster_by_member
from index.rawscan import RawFile, latest_meetings
from nlp.names import display_name, name_key
from nlp.party import OPENING_CHARS, declared_group

__all__ = ["BuildSummary", "DEFAULT_MODEL", "build_index", "build_statement_index", "meeting_id", "member_id"]

JOB_BYTES = 1_500_000  # raw JSON per worker job: large enough to amortise, small enough to balance
BUILD_MEMORY_LIMIT = "4GB"


@dataclass
class BuildSummary:
    meetings: int = 0
    speeches: int = 0
    passages: int = 0
    members: int = 0
    terms: int = 0
    postings: int = 0
    seconds: float = 0.0
    surname_linked: int = 0
    surname_ambiguous: list[str] = field(default_factory=list)
    db_path: str = ""
    topic_links: int = 0
    embedding_model: str | None = None
    posts: int = 0
    posts_unlinked: list[str] = field(default_factory=list)
    mode: str = "full"  # full / incremental / unchanged
    added_meetings: int = 0
    removed_meetings: int = 0
    added_passages: int = 0
    full_reason: str | None = None
    phases: dict[str, float] = field(default_factory=dict)  # seconds per build phase, for `gikai bench`

    def line(self) -> str:
        change = ""
        if self.mode == "incremental":
            change = f" (incremental: +{self.added_meetings} / -{self.removed_meetings} meetings, " \
                     f"+{self.added_passages} passages)"
        elif self.mode == "unchanged":
            change = " (unchanged: the raw store holds nothing new)"
        elif self.full_reason:
            change = f" (full build: {self.full_reason})"
        return (
            f"built {self.db_path}{change}: {self.meetings} meetings, {self.speeches} speeches, "
            f"{self.passages} passages, {self.members} members ({self.surname_linked} surname-only linked, "
            f"{len(self.surname_ambiguous)} ambiguous left unlinked), {self.terms} terms, "
            f"{self.topic_links} passage-topic links, {self.posts} posts ({len(self.posts_unlinked)} unlinked), "
            f"embeddings: {self.embedding_model or 'none'} "
            f"in {self.seconds:.1f}s"
        )


def meeting_id(record_or_system, source_id: str | None = None) -> str:
    """Stable meeting id: of a record, or of (source_system, source_id)."""
    if source_id is None:
        return _meeting_id(record_or_system.source_system, record_or_system.source_id)
    return _meeting_id(record_or_system, source_id)


# -- what makes two builds comparable ------------------------------------------------------------


# The code that turns a raw meeting into rows: a change to any of it (a speaker rule, a passage
# boundary) must re-analyse every meeting, which an incremental build would otherwise not do.
# nlp.party runs in the main process on every build, but an unchanged raw store skips the build.
ANALYSIS_MODULES = ("index.analysis", "index.people", "nlp.names", "nlp.party", "nlp.passages", "nlp.speaker",
                    "nlp.tokenizer", "nlp.topics")


def code_digest(modules: tuple[str, ...] | None = None) -> str:
    """sha256 over the source files of ``modules`` (default: ``ANALYSIS_MODULES``)."""
    import importlib.util

    digest = hashlib.sha256()
    for name in ANALYSIS_MODULES if modules is None else modules:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise RuntimeError(f"analysis module {name} not found")
        digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes() + b"\0")
    return digest.hexdigest()


def analysis_fingerprint(embedding_model: str | None) -> str:
    """Everything a worker's output depends on besides the raw file itself."""
    import sudachipy

    from nlp.topics import default_taxonomy

    parts = [FORMAT_VERSION, code_digest(), getattr(sudachipy, "__version__", "?"), str(embedding_model)]
    try:
        from importlib.metadata import version

        parts.append(version("sudachidict-core"))
    except Exception:  # noqa: BLE001 - a missing version only makes builds full more often
        parts.append("?")
    parts.append(resources.files("nlp").joinpath("compounds.txt").read_text(encoding="utf-8"))
    # The taxonomy alone: building the tagger (and opening Sudachi) here cost every build ~0.3 s
    # in the main process, 9 % of a 1 % incremental build at 200k statements.
    parts.append(repr([t.model_dump() for t in default_taxonomy().flatten()]))
    embedder = load_embedder(embedding_model)
    if embedder is not None:
        parts.append(f"{embedder.name}:{embedder.dim}:{getattr(embedder, 'fingerprint', '')}")
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _people_fingerprint(store: RawStore) -> str:
    names = sorted(p.name for t in ("member", "post") for p in store.paths(t))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


# -- the build -----------------------------------------------------------------------------------


def build_index(
    raw_dir: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    progress: bool = False,
    embedding_model: str | None = DEFAULT_MODEL,
    full: bool = False,
) -> BuildSummary:
    """Build (or bring up to date) the index; ``embedding_model`` None skips vectors.

    ``full`` forces a build from scratch even when an incremental one is possible.
    """
    started = time.perf_counter()
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    summary = BuildSummary(db_path=str(db_path))
    workers = workers or os.cpu_count() or 1
    store = RawStore(raw_dir)
    embedder = load_embedder(embedding_model)
    fingerprint = analysis_fingerprint(embedding_model)
    people = _people_fingerprint(store)
    summary.phases["setup"] = round(time.perf_counter() - started, 3)
    scanned = time.perf_counter()
    live = latest_meetings(store)
    summary.phases["scan"] = round(time.perf_counter() - scanned, 3)

    builder = _Builder(store, db_path, summary, workers, progress, embedding_model, embedder, fingerprint, people)
    reason = "requested" if full else builder.incremental_blocker(live)
    if reason is None:
        done = builder.incremental(live)
        if done is not None:
            summary.seconds = time.perf_counter() - started
            return summary
        reason = summary.full_reason
    summary.full_reason = reason
    summary.mode = "full"
    builder.full(live)
    summary.seconds = time.perf_counter() - started
    return summary


class _Abandon(Exception):
    """An incremental build found it would differ from a full one; the copy is dropped."""


class _Builder:
    def __init__(self, store, db_path, summary, workers, progress, model, embedder, fingerprint, people):
        self.store = store
        self.db_path = db_path
        self.summary = summary
        self.workers = workers
        self.progress = progress
        self.model = model
        self.embedder = embedder
        self.fingerprint = fingerprint
        self.people = people
        self.tmp_path = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
        self.assemblies: set[str] = set()
        self._next_pid = 0
        self._removed_any = False

    # -- deciding -----------------------------------------------------------------------------
    def incremental_blocker(self, live: list[RawFile]) -> str | None:
        """Why this build cannot be incremental, or None when it can."""
        if not self.db_path.exists():
            return "no previous index"
        try:
            con = duckdb.connect(str(self.db_path), read_only=True)
        except duckdb.Error as exc:
            return f"previous index unreadable ({exc})"
        try:
            info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
        except duckdb.Error:
            info = {}
        finally:
            con.close()
        if info.get("format") != FORMAT_VERSION:
            return "previous index has another format"
        if info.get("analysis") != self.fingerprint:
            return "analysis code, tokenizer, topics or embedding model changed"
        if info.get("people") != self.people:
            return "rosters or posts changed"
        return None

    # -- full build -----------------------------------------------------------------------------
    def full(self, live: list[RawFile]) -> None:
        self.tmp_path.unlink(missing_ok=True)
        with self._writing() as con:
            con.execute(resources.files("index").joinpath("schema.sql").read_text(encoding="utf-8"))
            self._create_embeddings(con)
            self._write_topic_table(con)
            with self._phase("analyse"):
                speakers = self._stream(con, list(self._jobs([f.path for f in live])), first_pid=0)
            with self._phase("members"):
                roster_records = list(self.store.latest("member").values())
                self._members_full(con, speakers, roster_records)
            with self._phase("posts"):
                self._posts(con)
            with self._phase("terms"):
                self._finish_terms_full(con)
            with self._phase("finish"):
                self._finish(con, mode="full")
        self._swap()

    # -- incremental build ----------------------------------------------------------------------
    def incremental(self, live: list[RawFile]) -> bool | None:
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            indexed = dict(con.execute(
                "SELECT content_hash, meeting_id FROM meetings WHERE kind <> $post", {"post": POST_KIND}).fetchall())
            unlinked_posts = int(dict(con.execute("SELECT key, value FROM build_info").fetchall()).get(
                "posts_unlinked", "0"))
        finally:
            con.close()
        live_hashes = {f.content_hash for f in live}
        added = [f for f in live if f.content_hash not in indexed]
        removed = [mid for h, mid in indexed.items() if h not in live_hashes]
        if not added and not removed:
            self._unchanged()
            return True
        jobs = list(self._jobs([f.path for f in added]))
        with ThreadPoolExecutor(1) as early:
            # A small increment is one job, analysed in this process: it starts while the previous
            # index is copied (the kernel copies; the interpreter lock is free). At 200,000
            # statements a 1 % increment is one 1.4 MB job and the copy of the index 0.1-0.5 s.
            ready = (early.submit(analyze_meetings, (jobs[0], True, self.model, self.workers))
                     if len(jobs) == 1 else None)
            with self._phase("copy"):
                shutil.copyfile(self.db_path, self.tmp_path)
            with self._writing() as con:
                with self._phase("delete"):
                    self._delete_meetings(con, removed)
                self._removed_any = bool(removed)
                first_pid = con.execute("SELECT coalesce(max(passage_id) + 1, 0) FROM passages").fetchall()[0][0]
                con.execute("CREATE TEMP TABLE _new_passages (passage_id INTEGER)")
                con.execute("CREATE TEMP TABLE _new_meetings (meeting_id VARCHAR)")
                self.assemblies = set(c for (c,) in con.execute("SELECT assembly_code FROM assemblies").fetchall())
                with self._phase("analyse"):
                    speakers = self._stream(con, jobs, first_pid=first_pid, track_new=True, ready=ready)
                with self._phase("members"):
                    blocker = self._members_incremental(con, speakers, unlinked_posts)
                if blocker:
                    self.summary.full_reason = blocker
                    raise _Abandon
                with self._phase("terms"):
                    self._finish_terms_incremental(con)
                self._carry_lists(con, surnames=False)
                self.summary.added_meetings = len(added)
                self.summary.removed_meetings = len(removed)
                with self._phase("finish"):
                    self._finish(con, mode="incremental")
        if self.summary.full_reason is not None:
            return None
        self._swap()
        self.summary.mode = "incremental"
        return True

    @contextmanager
    def _writing(self):
        """A connection to the temporary file; on any failure the file is removed, never swapped in.
        ``_Abandon`` ends the write quietly (the caller then builds in full)."""
        con = self._connect(self.tmp_path)
        try:
            yield con
        except _Abandon:
            con.close()
            self.tmp_path.unlink(missing_ok=True)
            return
        except BaseException:
            con.close()
            self.tmp_path.unlink(missing_ok=True)
            raise
        con.close()

    def _unchanged(self) -> None:
        self.summary.mode = "unchanged"
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            self._count(con)
            self._carry_lists(con, surnames=True)
        finally:
            con.close()

    def _carry_lists(self, con, surnames: bool) -> None:
        """The previous build's unlinked posts (and ambiguous surnames) for a build that did not redo them."""
        info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
        self.summary.posts_unlinked = json.loads(info.get("posts_unlinked_list") or "[]")
        if surnames:
            self.summary.surname_ambiguous = json.loads(info.get("surname_ambiguous") or "[]")

    def _delete_meetings(self, con: duckdb.DuckDBPyConnection, meeting_ids: list[str]) -> None:
        if not meeting_ids:
            return
        con.register("_gone_m", pa.table({"meeting_id": meeting_ids}))
        con.execute("CREATE TEMP TABLE _gone AS SELECT passage_id FROM passages WHERE meeting_id IN "
                    "(SELECT meeting_id FROM _gone_m)")
        # Document frequencies lose what the deleted passages contributed.
        con.execute("""UPDATE terms SET df = terms.df - d.n
                       FROM (SELECT term_id, count(*) AS n FROM postings
                             WHERE passage_id IN (SELECT passage_id FROM _gone) GROUP BY term_id) d
                       WHERE terms.term_id = d.term_id""")
        for table in ("postings", "passage_topics", "embeddings"):
            if self._has_table(con, table):
                con.execute(f"DELETE FROM {table} WHERE passage_id IN (SELECT passage_id FROM _gone)")
        con.execute("DELETE FROM passages WHERE meeting_id IN (SELECT meeting_id FROM _gone_m)")
        con.execute("DELETE FROM speeches WHERE meeting_id IN (SELECT meeting_id FROM _gone_m)")
        con.execute("DELETE FROM meetings WHERE meeting_id IN (SELECT meeting_id FROM _gone_m)")
        con.execute("DROP TABLE _gone")
        con.unregister("_gone_m")

    # -- streaming worker output into DuckDB ------------------------------------------------------
    def _jobs(self, paths: list[Path]) -> Iterator[list[str]]:
        job: list[str] = []
        size = 0
        for path in paths:
            job.append(str(path))
            size += path.stat().st_size
            if size >= JOB_BYTES:
                yield job
                job, size = [], 0
        if job:
            yield job

    def _stream(self, con, file_jobs: list[list[str]], first_pid: int, track_new: bool = False,
                ready: Future | None = None) -> list[Speaker]:
        """Analyse jobs of meeting files (``_jobs``) in worker processes and append the batches;
        returns who spoke. ``ready``: the batch of the only job, already being analysed."""
        speakers: list[Speaker] = []
        jobs = [(job, True, self.model) for job in file_jobs]
        total = sum(os.path.getsize(p) for job in file_jobs for p in job)
        self._next_pid = first_pid
        # The main process only moves Arrow tables into DuckDB, but it holds every speaker seen
        # so far: automatic collections would rescan that growing list for the whole build.
        results = [(jobs[0], ready.result())] if ready is not None else None
        with self._progress("analysing meetings", total) as advance, quiet_gc():
            for job, batch in results or self._run(analyze_meetings, jobs):
                self._append(con, batch, track_new)
                speakers.extend(batch.speakers)
                advance(sum(os.path.getsize(p) for p in job[0]))
        return speakers

    def _run(self, fn: Callable[[tuple], Batch], jobs: list[tuple]) -> Iterator[tuple[tuple, Batch]]:
        """Results in job order, with a bounded number of jobs in flight (memory stays flat)."""
        if self.workers <= 1 or len(jobs) <= 1:
            for job in jobs:  # in this process: its threads tokenize (SudachiPy frees the lock)
                yield job, fn((*job, self.workers))
            return
        # Spawned, not forked: the parent may hold torch threads, and forking a process
        # with live OpenMP threads can deadlock the children.
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=worker_init)
        try:
            pending: list[tuple[tuple, Future]] = []
            queue = iter(jobs)
            for job in queue:
                pending.append((job, pool.submit(fn, job)))
                if len(pending) >= 2 * self.workers:
                    break
            while pending:
                job, future = pending.pop(0)
                result = future.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.append((nxt, pool.submit(fn, nxt)))
                yield job, result
        finally:
            pool.shutdown(cancel_futures=True)

    def _append(self, con, batch: Batch, track_new: bool) -> None:
        if batch.meetings:
            new = {m["assembly_code"]: m for m in batch.meetings if m["assembly_code"] not in self.assemblies}
            _insert(con, "assemblies", [{"assembly_code": c, "name": m["assembly_name"], "prefecture": m["prefecture"]}
                                        for c, m in new.items()])
            self.assemblies.update(new)
            _insert(con, "meetings", batch.meetings)
            if track_new:
                con.register("_nm", pa.table({"meeting_id": [m["meeting_id"] for m in batch.meetings]}))
                con.execute("INSERT INTO _new_meetings SELECT meeting_id FROM _nm")
                con.unregister("_nm")
        if batch.speeches is not None and batch.speeches.num_rows:
            _insert_arrow(con, "speeches", batch.speeches)
        n = batch.n_passages
        if not n:
            return
        offset = self._next_pid
        self._next_pid += n
        passages = batch.passages
        passages = passages.set_column(0, "passage_id", pc.add(passages.column("passage_id"), offset))
        answers = passages.column("answers_passage_id")
        passages = passages.set_column(passages.schema.get_field_index("answers_passage_id"), "answers_passage_id",
                                       pc.add(answers, offset))
        _insert_arrow(con, "passages", passages)
        con.register("_tf_batch", batch.tf.set_column(0, "passage_id", pc.add(batch.tf.column("passage_id"), offset)))
        con.execute("INSERT INTO _tf SELECT passage_id, term, tf FROM _tf_batch")
        con.unregister("_tf_batch")
        if batch.topics is not None and batch.topics.num_rows:
            topics = batch.topics.set_column(0, "passage_id", pc.add(batch.topics.column("passage_id"), offset))
            _insert_arrow(con, "passage_topics", topics)
        if batch.vectors is not None:
            ids = pa.array(np.arange(offset, offset + n, dtype=np.int32))
            dim = batch.vectors.shape[1]
            vec = pa.FixedSizeListArray.from_arrays(pa.array(batch.vectors.astype(np.float32).reshape(-1)), dim)
            con.register("_emb", pa.table({"passage_id": ids, "vec": vec}))
            con.execute("INSERT INTO embeddings SELECT passage_id, vec FROM _emb")
            con.unregister("_emb")
        if track_new:
            con.register("_np", pa.table({"passage_id": pa.array(np.arange(offset, offset + n, dtype=np.int32))}))
            con.execute("INSERT INTO _new_passages SELECT passage_id FROM _np")
            con.unregister("_np")

    # -- members ------------------------------------------------------------------------------
    def _members_full(self, con, speakers: list[Speaker], roster_records) -> None:
        full_names, surname_keys, first_names = _name_maps(speakers)
        for rec in roster_records:
            full_names[rec.assembly_code].setdefault(name_key(rec.name), display_name(rec.name))
        resolved = _resolve_surnames(full_names, surname_keys, self.summary)
        self._apply_links(con, resolved)
        roster, affiliations = roster_by_member(roster_records, member_id)
        rows: dict[str, dict] = {}
        for (code, key), name in first_names.items():
            if (code, key) in resolved:
                continue
            surname_only = key in surname_keys.get(code, set())
            mid = member_id(code, key)
            rows[mid] = _member_row(mid, code, full_names[code].get(key, name), key, surname_only, roster.get(mid))
        for rec in roster_records:
            # A roster member who has not spoken in the stored minutes is still a member.
            mid = member_id(rec.assembly_code, name_key(rec.name))
            rows.setdefault(mid, _member_row(mid, rec.assembly_code, display_name(rec.name), name_key(rec.name),
                                             False, roster.get(mid)))
        _insert(con, "members", list(rows.values()))
        _insert(con, "affiliations", affiliations)
        links = [{"assembly_code": a, "surname_key": s, "full_key": f} for (a, s), f in resolved.items()]
        _insert(con, "surname_links", links)
        _refresh_member_stats(con)
        _refresh_declared_groups(con)

    def _members_incremental(self, con, speakers: list[Speaker], unlinked_posts: int) -> str | None:
        """Add the new members; a reason for a full build when old speeches would link differently."""
        existing = con.execute("SELECT assembly_code, name_key, name, surname_only FROM members").fetchall()
        links = {(a, s): f for a, s, f in con.execute(
            "SELECT assembly_code, surname_key, full_key FROM surname_links").fetchall()}
        full_names: dict[str, dict[str, str]] = defaultdict(dict)
        surname_keys: dict[str, set[str]] = defaultdict(set)
        known = set()
        for code, key, name, surname_only in existing:
            known.add((code, key))
            (surname_keys[code].add(key) if surname_only else full_names[code].setdefault(key, name))
        for code, skey in links:
            surname_keys[code].add(skey)
        new_full, new_surnames, first_names = _name_maps(speakers)
        new_members = [k for k in first_names if k not in known and k not in links]
        if unlinked_posts and new_members:
            return "new members may claim posts that were left unlinked"
        for code, names in new_full.items():
            for key, name in names.items():
                full_names[code].setdefault(key, name)
        for code, keys in new_surnames.items():
            surname_keys[code] |= keys
        scratch = BuildSummary()
        resolved = _resolve_surnames(full_names, surname_keys, scratch)
        for (code, skey), fkey in resolved.items():
            if (code, skey) in links:
                if links[(code, skey)] != fkey:
                    return f"surname {skey} of {code} now links to another member"
            elif (code, skey) in known:
                return f"surname {skey} of {code} now links to a full name"
        for item in scratch.surname_ambiguous:
            code, rest = item.split(":", 1)
            if (code, rest.split(" → ")[0]) in links:  # linked before, ambiguous now
                return f"surname {rest.split(' → ')[0]} of {code} became ambiguous"
        fresh = {k: v for k, v in resolved.items() if k not in links}
        self._apply_links(con, resolved, only_new=True)
        self.summary.surname_ambiguous = scratch.surname_ambiguous  # surname_linked: counted from the table (_count)
        rows = []
        for code, key in new_members:
            if (code, key) in resolved:
                continue
            surname_only = key in surname_keys.get(code, set())
            name = full_names[code].get(key, first_names[(code, key)])
            rows.append(_member_row(member_id(code, key), code, name, key, surname_only, None))
        _insert(con, "members", rows)
        _insert(con, "surname_links", [{"assembly_code": a, "surname_key": s, "full_key": f}
                                       for (a, s), f in fresh.items()])
        _refresh_member_stats(con)
        # A removed meeting may have held a member's only declaration of a 会派: then read them all again.
        _refresh_declared_groups(con, only_new=not self._removed_any)
        return None

    def _apply_links(self, con, resolved: dict[tuple[str, str], str], only_new: bool = False) -> None:
        if not resolved:
            return
        con.register("_links", pa.table({
            "old": [member_id(a, s) for (a, s) in resolved],
            "new": [member_id(a, f) for (a, _), f in resolved.items()],
        }))
        passages_scope = " AND passage_id IN (SELECT passage_id FROM _new_passages)" if only_new else ""
        speeches_scope = " AND meeting_id IN (SELECT meeting_id FROM _new_meetings)" if only_new else ""
        con.execute(f"UPDATE passages SET member_id = l.new FROM _links l WHERE passages.member_id = l.old"
                    f"{passages_scope}")
        con.execute(f"UPDATE speeches SET member_id = l.new FROM _links l WHERE speeches.member_id = l.old"
                    f"{speeches_scope}")
        con.unregister("_links")

    # -- posts ----------------------------------------------------------------------------------
    def _posts(self, con) -> None:
        members = dict(con.execute("SELECT member_id, name FROM members").fetchall())
        rows: list[dict] = []
        for post in sorted(self.store.latest("post").values(), key=lambda p: p.url):
            mid = member_id(post.assembly_code, name_key(post.member_name))
            if mid not in members:
                self.summary.posts_unlinked.append(f"{post.assembly_code}:{post.member_name} {post.url}")
                continue
            meeting, speech, passages = post_rows(post, mid, members[mid], len(rows))
            _insert(con, "meetings", [meeting])
            _insert(con, "speeches", [speech])
            rows.extend(passages)
            self.summary.posts += 1
        if rows:
            for i, r in enumerate(rows):
                r["passage_id"] = i
            self._next_pid = con.execute("SELECT coalesce(max(passage_id) + 1, 0) FROM passages").fetchall()[0][0]
            for _, batch in self._run(analyze_rows, [(rows, True, self.model)]):
                self._append(con, batch, track_new=False)

    # -- BM25 statistics --------------------------------------------------------------------------
    def _finish_terms_full(self, con) -> None:
        con.execute("""INSERT INTO terms SELECT (row_number() OVER (ORDER BY term))::INTEGER - 1, term, count(*)
                       FROM _tf GROUP BY term""")
        # Sorted by term so a reader finds a term's postings in one run.
        con.execute("""INSERT INTO postings SELECT t.term_id, f.passage_id, f.tf
                       FROM _tf f JOIN terms t USING (term) ORDER BY t.term_id, f.passage_id""")

    def _finish_terms_incremental(self, con) -> None:
        con.execute("""INSERT INTO terms
                       SELECT (SELECT coalesce(max(term_id), -1) FROM terms) + row_number() OVER (ORDER BY term), term, 0
                       FROM (SELECT DISTINCT term FROM _tf) n WHERE NOT EXISTS (SELECT 1 FROM terms t WHERE t.term = n.term)""")
        con.execute("""UPDATE terms SET df = terms.df + d.n
                       FROM (SELECT term, count(*) AS n FROM _tf GROUP BY term) d WHERE terms.term = d.term""")
        con.execute("""INSERT INTO postings SELECT t.term_id, f.passage_id, f.tf
                       FROM _tf f JOIN terms t USING (term) ORDER BY t.term_id, f.passage_id""")
        self.summary.added_passages = con.execute("SELECT count(*) FROM _new_passages").fetchall()[0][0]

    # -- closing ----------------------------------------------------------------------------------
    def _finish(self, con, mode: str) -> None:
        con.execute("DROP TABLE IF EXISTS _tf")
        # Showing hits looks passages up by id; without an index each lookup scans the table.
        con.execute("CREATE UNIQUE INDEX IF NOT EXISTS passages_by_id ON passages (passage_id)")
        self._count(con)
        info = {
            "format": FORMAT_VERSION, "analysis": self.fingerprint, "people": self.people, "mode": mode,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "raw_dir": str(self.store.root),
            "k1": str(K1), "b": str(B), "epsilon": str(EPSILON), "meetings": str(self.summary.meetings),
            "passages": str(self.summary.passages), "posts_unlinked": str(len(self.summary.posts_unlinked)),
            # Kept so that a build that changes nothing (or only adds meetings) can still report them.
            "posts_unlinked_list": json.dumps(self.summary.posts_unlinked, ensure_ascii=False),
            "surname_ambiguous": json.dumps(self.summary.surname_ambiguous, ensure_ascii=False),
        }
        if self.embedder is not None:
            info.update({"embedding_model": self.model, "embedding_dim": str(self.embedder.dim),
                         "embedding_fingerprint": getattr(self.embedder, "fingerprint", "")})
            self.summary.embedding_model = self.embedder.name
        con.executemany("INSERT OR REPLACE INTO build_info VALUES (?, ?)", list(info.items()))
        con.execute("CHECKPOINT")

    def _count(self, con) -> None:
        s = self.summary
        s.meetings = con.execute("SELECT count(*) FROM meetings WHERE kind <> $k", {"k": POST_KIND}).fetchall()[0][0]
        s.speeches = con.execute("SELECT count(*) FROM speeches").fetchall()[0][0]
        s.passages = con.execute("SELECT count(*) FROM passages").fetchall()[0][0]
        s.members = con.execute("SELECT count(*) FROM members").fetchall()[0][0]
        s.surname_linked = con.execute("SELECT count(*) FROM surname_links").fetchall()[0][0]
        s.posts = con.execute("SELECT count(*) FROM meetings WHERE kind = $k", {"k": POST_KIND}).fetchall()[0][0]
        s.terms = con.execute("SELECT count(*) FROM terms WHERE df > 0").fetchall()[0][0]
        s.postings = con.execute("SELECT count(*) FROM postings").fetchall()[0][0]
        s.topic_links = con.execute("SELECT count(*) FROM passage_topics").fetchall()[0][0]
        if self.embedder is not None:
            s.embedding_model = self.embedder.name

    def _swap(self) -> None:
        with self._phase("fsync"):
            _fsync(self.tmp_path)
        os.replace(self.tmp_path, self.db_path)

    @contextmanager
    def _phase(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.summary.phases[name] = round(self.summary.phases.get(name, 0.0) + time.perf_counter() - started, 3)

    # -- helpers ----------------------------------------------------------------------------------
    def _connect(self, path: Path) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(path), config={"memory_limit": BUILD_MEMORY_LIMIT})
        con.execute("SET checkpoint_threshold = '64GB'")
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _tf (passage_id INTEGER, term VARCHAR, tf INTEGER)")
        return con

    def _create_embeddings(self, con) -> None:
        if self.embedder is not None:
            con.execute(f"CREATE TABLE embeddings (passage_id INTEGER NOT NULL, vec FLOAT[{self.embedder.dim}] NOT NULL)")

    @staticmethod
    def _write_topic_table(con) -> None:
        from nlp.topics import default_taxonomy

        _insert(con, "topics", [
            {"topic_id": t.id, "label": t.label, "parent": t.parent, "description": t.description}
            for t in default_taxonomy().flatten()
        ])

    @staticmethod
    def _has_table(con, name: str) -> bool:
        return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = $n",
                                {"n": name}).fetchall()[0][0])

    def _progress(self, label: str, total: int):
        return _Progress(label, total if self.progress else None)


class _Progress:
    def __init__(self, label: str, total: int | None):
        self.label, self.total, self.bar = label, total, None

    def __enter__(self):
        if self.total is None:
            return lambda n: None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


# -- members ------------------------------------------------------------------------------------


def _name_maps(speakers: list[Speaker]):
    """Full names and surname-only keys per assembly, and the first name seen for each key."""
    full_names: dict[str, dict[str, str]] = defaultdict(dict)
    surname_keys: dict[str, set[str]] = defaultdict(set)
    first: dict[tuple[str, str], str] = {}
    for s in speakers:
        first.setdefault((s.assembly_code, s.key), s.name)
        if s.surname_only:
            surname_keys[s.assembly_code].add(s.key)
        else:
            full_names[s.assembly_code].setdefault(s.key, s.name)
    return full_names, surname_keys, first


def _resolve_surnames(full: dict[str, dict[str, str]], surnames: dict[str, set[str]], summary: BuildSummary):
    """Map committee-style surname-only keys to a full-name member when exactly one matches."""
    resolved: dict[tuple[str, str], str] = {}
    for assembly, keys in surnames.items():
        names = full.get(assembly, {})
        for key in sorted(keys):
            bare = key.split("(")[0]
            candidates = sorted(k for k in names if k.startswith(bare) and k != bare)
            if len(candidates) == 1:
                resolved[(assembly, key)] = candidates[0]
            elif len(candidates) > 1:
                summary.surname_ambiguous.append(f"{assembly}:{key} → {'/'.join(candidates[:5])}")
    return resolved


def _member_row(mid: str, code: str, name: str, key: str, surname_only: bool, info: RosterInfo | None) -> dict:
    info = info or RosterInfo()
    return {
        "member_id": mid, "assembly_code": code, "name": name, "name_key": key, "surname_only": surname_only,
        "seats": info.seat, "first_date": None, "last_date": None, "n_speeches": 0, "n_questions": 0,
        "reading": info.reading, "party": info.party, "district": info.district, "committees": info.committees,
        "term_start": info.term_start, "term_end": info.term_end, "profile_url": info.profile_url,
        "links": json.dumps(info.links, ensure_ascii=False, sort_keys=True) if info.links else None,
        "roster_seat": info.seat, "roster_party": info.party,
    }


def _refresh_member_stats(con) -> None:
    """Speech counts, seats and first/last dates of every member, from the speeches table."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _stats AS
        SELECT s.member_id, count(*) AS n, count(*) FILTER (WHERE s.role_kind = 'member') AS q,
               array_to_string(list_sort(list_distinct(list(s.seat) FILTER (WHERE s.seat IS NOT NULL))), ',') AS seats,
               min(m.date) AS first_date, max(m.date) AS last_date
        FROM speeches s JOIN meetings m USING (meeting_id)
        WHERE s.member_id IS NOT NULL AND s.role_kind IN ('member', 'chair')
        GROUP BY s.member_id""")
    con.execute("""UPDATE members SET n_speeches = 0, n_questions = 0, first_date = NULL, last_date = NULL,
                   seats = roster_seat WHERE member_id NOT IN (SELECT member_id FROM _stats)""")
    con.execute("""UPDATE members SET n_speeches = st.n, n_questions = st.q, first_date = st.first_date,
                   last_date = st.last_date, seats = coalesce(nullif(st.seats, ''), members.roster_seat)
                   FROM _stats st WHERE members.member_id = st.member_id""")
    con.execute("DROP TABLE _stats")


def _refresh_declared_groups(con, only_new: bool = False) -> None:
    """Each member's 会派 as named at the opening of their speeches (``nlp.party``): one affiliation row per
    member and group, dated by the latest such speech, and ``party`` where no roster gives one.

    Only openings that say 「を代表」 are read: every speech on a full build (0.7 s at a million
    statements, 584 declarations among 945 openings), the new meetings' (``_new_meetings``) when
    ``only_new``, which keeps the later of the stored and the new day of each member and group."""
    scope = "AND s.meeting_id IN (SELECT meeting_id FROM _new_meetings)" if only_new else ""
    rows = con.execute(f"""
        SELECT s.member_id, mb.assembly_code, m.date, m.url, s.text[:{OPENING_CHARS}]
        FROM speeches s JOIN meetings m USING (meeting_id) JOIN members mb USING (member_id)
        WHERE s.role_kind = 'member' AND strpos(s.text[:{OPENING_CHARS}], 'を代表') > 0 {scope}
        ORDER BY s.member_id, m.date NULLS FIRST, s.speech_id""").fetchall()
    latest: dict[tuple[str, str], dict] = {}
    for mid, code, day, url, opening in rows:
        found = declared_group(opening)
        if found is not None:  # ordered by date: a later speech for the same group replaces the row
            latest[(mid, found.group)] = {
                "member_id": mid, "assembly_code": code, "party": found.group, "seat": None, "district": None,
                "committees": [], "term_start": None, "term_end": None, "source_url": url, "observed_at": None,
                "source": "minutes", "named_on": day, "quote": found.quote,
            }
    if not only_new:
        con.execute("DELETE FROM affiliations WHERE source = 'minutes'")
        _insert(con, "affiliations", list(latest.values()))
        changed = ""  # every member's party
    elif latest:
        con.execute("CREATE TEMP TABLE _named AS SELECT * FROM affiliations LIMIT 0")
        _insert(con, "_named", list(latest.values()))
        con.execute("""DELETE FROM affiliations a USING _named n
                       WHERE a.source = 'minutes' AND a.member_id = n.member_id AND a.party = n.party
                             AND (a.named_on IS NULL OR n.named_on IS NOT NULL AND a.named_on <= n.named_on)""")
        con.execute("""INSERT INTO affiliations SELECT * FROM _named n WHERE NOT EXISTS (
                           SELECT 1 FROM affiliations a
                           WHERE a.source = 'minutes' AND a.member_id = n.member_id AND a.party = n.party)""")
        changed = "WHERE m.member_id IN (SELECT member_id FROM _named)"
    else:
        return
    con.execute(f"""
        UPDATE members SET party = coalesce(members.roster_party, named.party)
        FROM (SELECT m.member_id, arg_max(a.party, a.named_on) AS party
              FROM members m LEFT JOIN affiliations a ON a.member_id = m.member_id AND a.source = 'minutes'
              {changed} GROUP BY m.member_id) named
        WHERE members.member_id = named.member_id""")
    con.execute("DROP TABLE IF EXISTS _named")


# -- evaluation corpora -------------------------------------------------------------------------


def build_statement_index(statements: list[dict], db_path: str | os.PathLike[str], workers: int | None = None,
                          embedding_model: str | None = DEFAULT_MODEL) -> int:
    """Index plain statements ({"id", "text"}) as one passage each, for evaluation corpora.

    The statement's id becomes the passage's statement_id; meeting and speaker
    columns hold placeholders because such a corpus has none.
    """
    db_path = Path(db_path)
    db_path.unlink(missing_ok=True)
    rows = [
        {
            "passage_id": i, "statement_id": str(st["id"]), "speech_id": str(st["id"]), "meeting_id": "corpus",
            "assembly_code": "000000", "date": None, "member_id": None, "role_kind": "member", "ordinal": 0,
            "heading": None, "text": st["text"], "answers_passage_id": None, "n_tokens": 0, "_answers_speech": None,
        }
        for i, st in enumerate(statements)
    ]
    workers = workers or os.cpu_count() or 1
    builder = _Builder(RawStore(db_path.parent / ".none"), db_path, BuildSummary(), workers, False, embedding_model,
                       load_embedder(embedding_model), "", "")
    con = builder._connect(db_path)
    try:
        con.execute(resources.files("index").joinpath("schema.sql").read_text(encoding="utf-8"))
        builder._create_embeddings(con)
        size = max(256, len(rows) // (workers * 4) + 1)
        jobs = []
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            for i, r in enumerate(chunk):
                r["passage_id"] = i
            jobs.append((chunk, True, embedding_model))
        builder._next_pid = 0
        for _, batch in builder._run(analyze_rows, jobs):
            builder._append(con, batch, track_new=False)
        builder._finish_terms_full(con)
        builder._finish(con, mode="full")
    finally:
        con.close()
    return len(rows)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
    _insert_arrow(con, table, pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows]))


def _insert_arrow(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
    con.register("_rows", rows)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _rows")
    finally:
        con.unregister("_rows")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
