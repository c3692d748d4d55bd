"""Read-only queries over a built index: statements, members, assemblies.

One ``Searcher`` per index file; it is safe to share between threads (each call
uses its own DuckDB cursor) and notices when ``gikai build`` has swapped in a
new file, so a running server picks up a rebuild without a restart.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.compute as pc

from index.bm25 import Bm25Index, _arrow
from index.dense import DenseIndex
from index.format import FORMAT_VERSION
from index.members import MemberScore, rank_members
from index.people import POST_KIND
from index.session_day import SessionDay, lead_members
from index.speech_bm25 import SpeechBm25
from index.topic_scores import PassageTopics
from nlp.description import description_tokens
from nlp.party import earlier_parties, party_key
from nlp.tokenizer import tokenize

_EPOCH = date(1970, 1, 1)

CANDIDATES = 4000
# Weight of meaning (embedding cosine) against words (BM25) in the fused score;
# tuned on the dev statement and member queries (see README, make eval).
DENSE_WEIGHT = 0.3
# Weight of topic evidence (the passage's tagger score for the query's topics, times how surely
# the query names them), added to the fused score of statement search; tuned on the dev statements.
TOPIC_WEIGHT = 0.2
# DuckDB's memory in a server process: what a query needs is held in numpy, so this is mostly its cache
# of file blocks for the hits' text. 64 MB rather than 128 took each process's own memory down by
# ~60 MB at a million statements with the same latency under load (two processes: 1,903 MB PSS, p95
# statement / member / match 48.7 / 68.7 / 85.5 ms; with 128 MB 2,013 MB and 51.5 / 74.9 / 93.3 ms, run
# one after the other; `GIKAI_READER_MEMORY_LIMIT=128MB gikai loadtest --workers 2` runs the old size).
# The topic list's join needed more than 96 MB, so its counts come from memory.
READER_MEMORY_LIMIT = "64MB"


def reader_memory_limit() -> str:
    """``READER_MEMORY_LIMIT``, or the size in ``GIKAI_READER_MEMORY_LIMIT`` (to measure another)."""
    value = os.environ.get("GIKAI_READER_MEMORY_LIMIT", "").strip() or READER_MEMORY_LIMIT
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)", value, re.IGNORECASE):
        raise ValueError(f"GIKAI_READER_MEMORY_LIMIT: {value!r} is not a size like 64MB")
    return value
# A passage engages with a topic from this tagger score on (a mere mention in a list scores lower).
ENGAGED = 0.5


class IndexNotFound(Exception):
    """The index file does not exist yet (run `gikai build`)."""


class IndexOutdated(IndexNotFound):
    """The index file was built in another format than this code reads (run `gikai build`)."""


@dataclass(frozen=True)
class Filters:
    assembly: list[str] | None = None
    since: date | None = None
    until: date | None = None
    member_id: str | None = None
    # Member rankings only: keep the members whose 会派 contains this (``party_key`` of both); the
    # scores stay those of the unfiltered ranking. Statement search and SQL filters ignore it.
    party: str | None = None

    def admits_day(self, day: date | None) -> bool:
        """Whether a statement of ``day`` passes the date filters (an undated one fails any, as in SQL)."""
        if day is None:
            return self.since is None and self.until is None
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def sql(self, alias: str = "p") -> tuple[str, dict]:
        clauses, params = [], {}
        if self.assembly:
            clauses.append(f"{alias}.assembly_code IN (SELECT unnest($assembly))")
            params["assembly"] = self.assembly
        if self.since:
            clauses.append(f"{alias}.date >= $since")
            params["since"] = self.since
        if self.until:
            clauses.append(f"{alias}.date <= $until")
            params["until"] = self.until
        if self.member_id:
            clauses.append(f"{alias}.member_id = $member_id")
            params["member_id"] = self.member_id
        return " AND ".join(clauses), params


@dataclass
class StatementHit:
    statement_id: str
    passage_id: int
    score: float
    text: str
    heading: str | None
    role_kind: str
    speaker: str | None
    speaker_role: str | None
    member_id: str | None
    member_name: str | None
    meeting_id: str
    meeting_title: str
    meeting_kind: str
    committee: str | None
    date: date | None
    url: str
    assembly_code: str
    assembly_name: str
    answers_statement_id: str | None = None
    answered_by: list[dict] = field(default_factory=list)


def _lookup(cur: duckdb.DuckDBPyConnection, sql: str, keys: list | None) -> dict:
    """First column → the rest, for rows whose key is in ``keys`` (None: every row of the query)."""
    if keys is not None and not keys:
        return {}
    rows = cur.execute(sql, {"keys": keys} if keys is not None else None).fetchall()
    return {row[0]: row[1:] for row in rows}


def _hit(row: tuple, score: float) -> StatementHit:
    (sid, pid, text, heading, role_kind, speaker, role, mem, mem_name, mid, title, kind, committee, d, url, acode,
     aname, answers) = row
    return StatementHit(sid, pid, score, text, heading, role_kind, speaker, role, mem, mem_name, mid, title, kind,
                        committee, d, url, acode, aname, answers)


@dataclass(frozen=True)
class _Ranked:
    statement_id: str
    passage_id: int
    score: float


# A floor for the top scores is read from every 8th score when there are at least 16 times more
# scores than wanted; a floor that lets too few through is not used.
_SAMPLE_STEP = 8
_SAMPLE_FROM = 16


def _floor_of_top(scores: np.ndarray, limit: int) -> float | None:
    """A score that at least ``limit`` scores reach (so it is at most the ``limit``-th best), or None.

    The selection of the best few thousand among hundreds of thousands of BM25 scores
    (argpartition: 2.5 ms for 200,000 at a million statements) then runs on the few thousand
    scores above this floor: a partition of one score in 8 aims at about twice ``limit`` of them.
    """
    if len(scores) < _SAMPLE_FROM * limit:
        return None
    sample = scores[::_SAMPLE_STEP]
    rank = min(len(sample), 2 * -(-limit // _SAMPLE_STEP))  # the rank-th best of the sample
    return float(np.partition(sample, len(sample) - rank)[len(sample) - rank])


def _top_arrays(ids: np.ndarray, scores: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``limit`` best (passage ids, scores), best first, ties by passage id (as ORDER BY score DESC, id)."""
    floor = _floor_of_top(scores, limit) if len(ids) > limit else None
    if floor is not None:
        above = np.flatnonzero(scores >= floor)
        if len(above) >= limit:  # every one of the best (and every tie at the cut) is among them
            ids, scores = ids[above], scores[above]
    if len(ids) > limit:
        cut = np.argpartition(-scores, limit - 1)[:limit]
        threshold = scores[cut].min()
        chosen = np.flatnonzero(scores >= threshold)  # keep every tie at the cut, then order
        ids, scores = ids[chosen], scores[chosen]
    order = np.lexsort((ids, -scores))[:limit]
    return ids[order], scores[order]


# Passage columns held in memory as codes into their distinct values.
_CODED = ("role_kind", "assembly_code", "member_id", "meeting_id", "speaker_name", "speaker_role")


class _State:
    """What a query needs in memory for one index file: BM25 postings and each passage's filters."""

    _NO_DATE = np.iinfo(np.int32).min

    def __init__(self, bm25: Bm25Index, columns: dict[str, np.ndarray], codes: dict[str, dict[str, int]],
                 speeches: SpeechBm25):
        self.bm25 = bm25
        self.speeches = speeches
        self.columns = columns
        self.codes = codes
        self._masks: dict = {}
        self._of_mask: dict[tuple[int, str], tuple[np.ndarray, object]] = {}
        self._lock = threading.Lock()
        self._thread = threading.local()
        self._small: tuple[dict, dict, dict] | None = None
        self._parties: dict[str, np.ndarray] = {}
        self._topics: PassageTopics | None = None

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> _State:
        bm25 = Bm25Index.load(con)
        size = bm25.size
        table = _arrow(con, "SELECT p.passage_id, p.role_kind, p.assembly_code, p.member_id, p.meeting_id, "
                            "p.answers_passage_id, "
                            "(p.date - DATE '1970-01-01')::INTEGER AS day, q.member_id AS asked_by, "
                            "p.speech_id, p.speaker_name, p.speaker_role "
                            "FROM passages p LEFT JOIN passages q ON q.passage_id = p.answers_passage_id")
        pids = table.column("passage_id").to_numpy()
        columns: dict[str, np.ndarray] = {"exists": np.zeros(size, dtype=bool)}
        columns["exists"][pids] = True
        codes: dict[str, dict[str, int]] = {}
        for name in _CODED:
            encoded = table.column(name).combine_chunks().dictionary_encode()
            values = encoded.dictionary.to_pylist()
            codes[name] = {v: i for i, v in enumerate(values)}
            column = np.full(size, -1, dtype=np.int32)
            column[pids] = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            columns[name] = column
            if name == "member_id":
                # Who asked the question a passage answers, in the same codes as member_id.
                asked = pc.index_in(table.column("asked_by"), value_set=encoded.dictionary)
                column = np.full(size, -1, dtype=np.int32)
                column[pids] = asked.fill_null(-1).to_numpy(zero_copy_only=False)
                columns["asked_by"] = column
                codes["asked_by"] = codes["member_id"]
        answers = np.full(size, -1, dtype=np.int32)
        answers[pids] = table.column("answers_passage_id").fill_null(-1).to_numpy(zero_copy_only=False)
        columns["answers"] = answers
        day = np.full(size, cls._NO_DATE, dtype=np.int32)
        day[pids] = table.column("day").fill_null(cls._NO_DATE).to_numpy(zero_copy_only=False)
        columns["day"] = day
        speech = np.full(size, -1, dtype=np.int64)
        speech[pids] = table.column("speech_id").combine_chunks().dictionary_encode().indices.to_numpy(
            zero_copy_only=False)
        return cls(bm25, columns, codes, SpeechBm25.from_codes(bm25, speech))

    @functools.cached_property
    def last_date(self) -> date | None:
        day = self.columns["day"]
        known = day[day != self._NO_DATE]
        return _EPOCH + timedelta(days=int(known.max())) if len(known) else None

    def scores(self, terms: list[tuple[int, float]], mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """BM25 of one query within ``mask``; the sums are kept per thread (member search asks
        three times, with three masks; at a million passages they take 9 MB per request thread)."""
        key = tuple(terms)
        last = getattr(self._thread, "last", None)
        if last is None or last[0] != key:
            last = (key, self.bm25.totals(terms))
            self._thread.last = last
        return last[1].within(mask)

    def mask(self, filters: Filters, role_kinds: tuple[str, ...] | None) -> np.ndarray:
        """Boolean array by passage id: may this query return the passage?"""
        key = (tuple(filters.assembly or ()), filters.since, filters.until, filters.member_id,
               tuple(role_kinds or ()))
        with self._lock:
            cached = self._masks.get(key)
        if cached is not None:
            return cached
        mask = self.columns["exists"].copy()
        for name, wanted in (("role_kind", role_kinds), ("assembly_code", filters.assembly),
                             ("member_id", [filters.member_id] if filters.member_id else None)):
            if wanted:
                wanted_codes = [self.codes[name][w] for w in wanted if w in self.codes[name]]
                mask &= np.isin(self.columns[name], np.asarray(wanted_codes, dtype=np.int32))
        if filters.since or filters.until:
            day = self.columns["day"]
            mask &= day != self._NO_DATE  # SQL semantics: an undated passage fails a date filter
            if filters.since:
                mask &= day >= (filters.since - _EPOCH).days
            if filters.until:
                mask &= day <= (filters.until - _EPOCH).days
        with self._lock:
            if len(self._masks) >= 64:
                self._masks.clear()
            self._masks[key] = mask
        return mask

    @functools.cached_property
    def _values(self) -> dict[str, list[str]]:
        """Each coded column's values by code."""
        out = {}
        for name in _CODED:
            values = [""] * len(self.codes[name])
            for value, code in self.codes[name].items():
                values[code] = value
            out[name] = values
        return out

    def _value(self, name: str, pid: int) -> str | None:
        """A coded column's value for one passage (None where the table has NULL)."""
        code = int(self.columns[name][pid])
        return self._values[name][code] if code >= 0 else None

    def passage_fields(self, pid: int) -> tuple:
        """(role kind, member id, meeting id, date, assembly code, answered passage id) from memory,
        as the passages table has them (None where it has NULL)."""
        day = int(self.columns["day"][pid])
        answers = int(self.columns["answers"][pid])
        return (self._value("role_kind", pid), self._value("member_id", pid), self._value("meeting_id", pid),
                _EPOCH + timedelta(days=day) if day != self._NO_DATE else None,
                self._value("assembly_code", pid), answers if answers >= 0 else None)

    def speaker_of(self, pid: int) -> tuple[str | None, str | None]:
        """(speaker name, role) of a passage, from memory."""
        return self._value("speaker_name", pid), self._value("speaker_role", pid)

    def small_tables(self, cur: duckdb.DuckDBPyConnection) -> tuple[dict, dict, dict]:
        """Meetings, assemblies and members (tens of thousands of rows), held once per index file.

        Members: id → (name, assembly code, first date, last date, 会派)."""
        with self._lock:
            if self._small is None:
                self._small = (
                    _lookup(cur, "SELECT meeting_id, title, kind, committee, url FROM meetings", None),
                    _lookup(cur, "SELECT assembly_code, name FROM assemblies", None),
                    _lookup(cur, "SELECT member_id, name, assembly_code, first_date, last_date, party FROM members", None),
                )
            return self._small

    def in_party(self, cur: duckdb.DuckDBPyConnection, party: str) -> np.ndarray:
        """Boolean by member code: is the member's 会派 one that contains ``party`` (``party_key``)?"""
        wanted = party_key(party)
        with self._lock:
            cached = self._parties.get(wanted)
        if cached is not None:
            return cached
        _, _, members = self.small_tables(cur)
        codes = self.codes["member_id"]
        found = np.zeros(len(codes), dtype=bool)
        for member_id, row in members.items():
            if row[4] and wanted in party_key(row[4]) and member_id in codes:
                found[codes[member_id]] = True
        with self._lock:
            if len(self._parties) >= 64:
                self._parties.clear()
            self._parties[wanted] = found
        return found

    @functools.cached_property
    def speech_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Member code and day number of each speech (from its passages)."""
        return self.speeches.per_speech(self.columns["member_id"]), self.speeches.per_speech(self.columns["day"])

    def passage_topics(self, cur: duckdb.DuckDBPyConnection) -> PassageTopics:
        with self._lock:
            if self._topics is None:
                self._topics = PassageTopics.load(cur)
            return self._topics

    def engagement(self, cur: duckdb.DuckDBPyConnection, threshold: float) -> dict[str, tuple[int, int]]:
        """Per topic: (members' own passages, distinct people) among the passages scoring at least
        ``threshold`` on it. People are whoever a passage belongs to, blog posts included."""
        topics = self.passage_topics(cur)
        role, person = self.columns["role_kind"], self.columns["member_id"]
        member = self.codes["role_kind"].get("member", -2)
        out = {}
        for topic_id, (pids, scores) in topics.by_topic.items():
            engaged = pids[scores >= np.float32(threshold)]
            people = person[engaged]
            out[topic_id] = (int(np.count_nonzero(role[engaged] == member)), len(np.unique(people[people >= 0])))
        return out

    def of_mask(self, mask: np.ndarray, name: str, compute):
        """``compute(mask)``, kept with the (cached) mask it was computed from: each is a
        million-entry scan that every query with the same filters would repeat."""
        key = (id(mask), name)
        with self._lock:
            cached = self._of_mask.get(key)
            if cached is not None and cached[0] is mask:
                return cached[1]
        value = compute(mask)
        with self._lock:
            if len(self._of_mask) >= 128:
                self._of_mask.clear()
            return self._of_mask.setdefault(key, (mask, value))[1]

    def allowed(self, filters: Filters, role_kinds: tuple[str, ...] | None) -> np.ndarray:
        """Passage ids the mask lets through."""
        return self.of_mask(self.mask(filters, role_kinds), "allowed",
                            lambda mask: np.flatnonzero(mask).astype(np.int32))


def dict_rows(cur: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    """The rows of a query as dicts by column name."""
    rows = cur.execute(sql, params or {}).fetchall()
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in rows]


def _assemblies(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    # Minutes only: blog posts are stored as meetings of their own kind, and some source
    # records are list pages of sessions with no speech (PoliInfo keeps a few).
    rows = dict_rows(
        cur,
        """WITH minutes AS (
               SELECT m.assembly_code, m.date FROM meetings m
               WHERE m.kind <> $post AND EXISTS (SELECT 1 FROM passages p WHERE p.meeting_id = m.meeting_id))
           SELECT a.assembly_code, a.name, a.prefecture,
                  (SELECT count(*) FROM minutes m WHERE m.assembly_code = a.assembly_code) AS meetings,
                  (SELECT count(*) FROM members mb WHERE mb.assembly_code = a.assembly_code) AS members,
                  (SELECT min(date) FROM minutes m WHERE m.assembly_code = a.assembly_code) AS first_date,
                  (SELECT max(date) FROM minutes m WHERE m.assembly_code = a.assembly_code) AS last_date
           FROM assemblies a ORDER BY a.assembly_code""", {"post": POST_KIND})
    parties: dict[str, list[dict]] = {}
    for code, name, members in cur.execute(
            """SELECT assembly_code, party, count(*) AS members FROM members WHERE party IS NOT NULL
               GROUP BY ALL ORDER BY assembly_code, members DESC, party""").fetchall():
        parties.setdefault(code, []).append({"name": name, "members": members})
    for row in rows:
        row["parties"] = parties.get(row["assembly_code"], [])
    return rows


def _format_of(con: duckdb.DuckDBPyConnection) -> str:
    try:
        row = con.execute("SELECT value FROM build_info WHERE key = 'format'").fetchone()
    except duckdb.Error:  # not an index file, or one from before build_info
        return "unknown"
    return row[0] if row else "unknown"


class Searcher:
    def __init__(self, db_path: str | os.PathLike[str]):
        self.db_path = Path(db_path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._refused: tuple[tuple[int, int], str] | None = None  # a file of another format, and why
        self._dense: DenseIndex | None = None
        self._dense_for: tuple[int, int] | None = None
        self._embedder = None
        self._dense_mismatch: str | None = None  # why this file's vectors do not fit the model loaded
        self._defaults = {
            "dense_weight": DENSE_WEIGHT,
            "topic_weight": TOPIC_WEIGHT,
            # (topic id, confidence) pairs to weigh passages on instead of the topics the tagger reads
            # from the query text (index.match adds a parent topic when the minutes lack the named one).
            "query_topics": None,
        }
        self._thread = threading.local()
        self._loaded: _State | None = None
        self._state_for: tuple[int, int] | None = None
        # Answers that only change with a rebuild, by name: (index file identity, rows).
        self._per_index: dict[str, tuple[tuple[int, int] | None, list[dict]]] = {}
        # False: keep serving the file opened first even after `gikai build` swaps in another
        # (a forked server process whose parent reloads and replaces it, api/prefork.py).
        self.follow_rebuilds = True

    # -- connection handling -------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        if not self.follow_rebuilds and self._con is not None:
            return self._con
        try:
            st = self.db_path.stat()
        except FileNotFoundError as exc:
            raise IndexNotFound(f"{self.db_path}: no index; run `gikai build` first") from exc
        identity = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._refused is not None and self._refused[0] == identity:
                raise IndexOutdated(self._refused[1])  # the same file again: no need to reopen it to know
            if self._con is None or identity != self._identity:
                # DuckDB hands back the already-open database for a path it has open,
                # so the old connection must be closed before the swapped-in file is read.
                if self._con is not None:
                    self._con.close()
                # What a query needs is held in numpy (index.bm25, index.dense); DuckDB's own cache
                # of file blocks only needs to hold the rows being fetched.
                # (A SET, not a connect() config: DuckDB refuses a second connection to the same
                # file with another configuration, and tests and notebooks open it plainly.)
                self._con = duckdb.connect(str(self.db_path), read_only=True)
                # A file of another format lacks columns this code reads: refuse it by name, not with a 500.
                found = _format_of(self._con)
                if found != FORMAT_VERSION:
                    self._con.close()
                    self._con = None
                    self._refused = (identity, f"{self.db_path}: index built in format {found}, this version reads "
                                               f"format {FORMAT_VERSION}; run `gikai build` to rebuild it")
                    raise IndexOutdated(self._refused[1])
                self._con.execute(f"SET memory_limit = '{reader_memory_limit()}'")
                # Lookups touch a few rows; DuckDB's parallel scans would only fight concurrent requests.
                self._con.execute("SET threads = 1")
                self._identity = identity
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._connection().cursor()

    # Fusion settings: instance defaults, overridable per thread by ranking(), since one
    # Searcher serves concurrent requests that rank members and statements differently.
    def _setting(self, name: str):
        return getattr(self._thread, name, self._defaults[name])

    dense_weight = property(lambda self: self._setting("dense_weight"),
                            lambda self, v: self._defaults.__setitem__("dense_weight", v))
    topic_weight = property(lambda self: self._setting("topic_weight"),
                            lambda self, v: self._defaults.__setitem__("topic_weight", v))

    @contextmanager
    def ranking(self, **settings):
        """Different fusion settings (dense_weight, topic_weight, query_topics) for this thread, temporarily."""
        unknown = set(settings) - set(self._defaults)
        if unknown:
            raise TypeError(f"unknown ranking settings: {sorted(unknown)}")
        saved = {k: self._thread.__dict__.get(k) for k in settings}
        self._thread.__dict__.update(settings)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    self._thread.__dict__.pop(k, None)
                else:
                    self._thread.__dict__[k] = v

    def _dense_index(self) -> DenseIndex | None:
        con = self._connection()
        with self._lock:
            if self._dense_for != self._identity:
                cur = con.cursor()
                try:
                    self._dense = DenseIndex.load(cur)
                finally:
                    cur.close()
                self._dense_for = self._identity
                self._embedder = None
                self._dense_mismatch = None
            if self._dense is not None and self._embedder is None:
                from index.build import DEFAULT_MODEL
                from nlp.embedding import Embedder

                model = self._dense.model
                self._embedder = Embedder.load(None if model in (None, DEFAULT_MODEL) else model)
                made, now = self._dense.fingerprint, self._embedder.fingerprint
                # The same model name, another build of it (retrained, or the default changed): query
                # vectors would not match the passages', and rankings would quietly get worse.
                self._dense_mismatch = None if not made or not now or made == now else (
                    f"{self.db_path}: its vectors were made by another build of the embedding model "
                    f"{self._embedder.name} than the one this server loads; run `gikai build` to rebuild it")
            if self._dense_mismatch:
                raise IndexOutdated(self._dense_mismatch)
            return self._dense

    def warm(self) -> bool:
        """Load the index's in-memory parts and the query model now; False when there is no index yet."""
        try:
            cur = self.cursor()
        except IndexNotFound:
            return False
        try:
            state = self._state()
            state.small_tables(cur)
            state.passage_topics(cur)
            try:
                dense = self._dense_index()
            except IndexOutdated:
                return False  # vectors of another model build: each search says so (503) until rebuilt
            if dense is not None:
                self._query_vector("待機児童")
        finally:
            cur.close()
        # One search of each kind builds what a first query would otherwise build on its own time
        # (the query-side topic tagger: 0.25 s; the members-only filter: 13 ms at a million passages).
        # Built here, before `gikai serve --workers N` forks, every server process shares them:
        # each process's first statement search had taken 200 ms, and the requests queued behind it
        # up to a second (the first 2 s of a 50-client load test).
        self.search_statements("待機児童", limit=1)
        self.search_members("待機児童", limit=1)
        # The topic list's counts take seconds on a national index: the first partner to ask
        # should not wait for them.
        from index.topic_profiles import list_topics

        list_topics(self)
        self.assemblies()
        return True

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    # -- in-memory scoring state ------------------------------------------------------------
    def _state(self) -> _State:
        con = self._connection()
        with self._lock:
            if self._state_for != self._identity or self._loaded is None:
                cur = con.cursor()
                try:
                    self._loaded = _State.load(cur)
                finally:
                    cur.close()
                self._state_for = self._identity
            return self._loaded

    def last_date(self) -> date | None:
        return self._state().last_date

    def small_tables(self, cur: duckdb.DuckDBPyConnection) -> tuple[dict, dict, dict]:
        """Meetings, assemblies and members of this index file, held in memory (see ``_State``)."""
        return self._state().small_tables(cur)

    def members_in_party(self, cur: duckdb.DuckDBPyConnection, party: str) -> np.ndarray:
        """Boolean by member code (the codes of ``passage_columns``): is the member in a 会派 whose name contains ``party``?"""
        return self._state().in_party(cur, party)

    def passage_columns(self) -> tuple[dict[str, np.ndarray], int, list[str]]:
        """Per passage id: member code, day number, meeting code and the asking member's code
        (member codes index the returned list of member ids), for vectorised member ranking."""
        state = self._state()
        c = state.columns
        return ({"member": c["member_id"], "day": c["day"], "meeting": c["meeting_id"], "asked_by": c["asked_by"]},
                len(state.codes["member_id"]), list(state.codes["member_id"]))

    def speech_scores(self, tokens: list[str], filters: Filters, role_kinds: tuple[str, ...] | None,
                      passages: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BM25 of the whole speeches the given passages belong to, with idf over the speeches
        within the filters: (member code, day number, score) per matching speech."""
        state = self._state()
        candidates = state.speeches.speech_of[passages]
        selection = state.of_mask(state.mask(filters, role_kinds), "speeches", state.speeches.selection)
        codes, scores = state.speeches.scores(state.bm25.term_ids(tokens), selection,
                                              candidates[candidates >= 0])
        member, day = state.speech_columns
        return member[codes], day[codes], scores

    # -- statements ------------------------------------------------------------
    def score_passages(
        self, cur: duckdb.DuckDBPyConnection, tokens: list[str], filters: Filters, role_kinds: tuple[str, ...] | None,
        limit: int,
    ) -> list[tuple[int, float]]:
        """Plain BM25 of the query tokens (each occurrence counts, as in BM25Okapi)."""
        return self.score_terms(cur, self._query_terms(cur, tokens), filters, role_kinds, limit)

    def _query_terms(self, cur: duckdb.DuckDBPyConnection, tokens: list[str]) -> list[tuple[int, float]]:
        """(term_id, count in query) of the tokens the index knows."""
        return self._state().bm25.term_ids(tokens)

    def score_terms(
        self, cur: duckdb.DuckDBPyConnection, terms: list[tuple[int, float]], filters: Filters,
        role_kinds: tuple[str, ...] | None, limit: int,
    ) -> list[tuple[int, float]]:
        """BM25 with per-term query weights, best first (ties by passage id), within the filters."""
        return list(zip(*(a.tolist() for a in self._score_arrays(terms, filters, role_kinds, limit)), strict=True))

    def _score_arrays(self, terms: list[tuple[int, float]], filters: Filters, role_kinds: tuple[str, ...] | None,
                      limit: int) -> tuple[np.ndarray, np.ndarray]:
        if not terms:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        state = self._state()
        allowed = state.allowed(filters, role_kinds)
        if not len(allowed):  # e.g. posts in an index without any: skip the gather
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        terms = [(int(t), float(w)) for t, w in terms]
        # One assembly, or a few days, of a national index: look its passages up in the postings
        # instead of scoring every passage that shares a word with the query.
        if state.bm25.within_is_cheaper(terms, len(allowed)):
            return _top_arrays(*state.bm25.scores_within(terms, allowed), limit)
        return _top_arrays(*state.scores(terms, state.mask(filters, role_kinds)), limit)

    def _allowed_passages(self, cur: duckdb.DuckDBPyConnection, filters: Filters,
                          role_kinds: tuple[str, ...] | None) -> np.ndarray:
        """Passage ids a query may return."""
        return self._state().allowed(filters, role_kinds)

    def hybrid_passages(
        self, cur: duckdb.DuckDBPyConnection, text: str, tokens: list[str], filters: Filters,
        role_kinds: tuple[str, ...] | None, limit: int,
    ) -> list[tuple[int, float]]:
        """BM25 candidates re-ranked by embedding similarity and topic evidence; plain BM25 when the
        index has neither vectors nor topic scores. (passage id, score), best first.

        Pseudo-relevance feedback was measured here (+0.002 MAP on the statement dev set for a
        second query per search) and left out; so was expanding the query with chiVe neighbours
        (MAP 0.8905–0.8974 vs 0.8988: neighbours are associations, オスプレイ → 名護市辺野古, not synonyms).
        """
        pids, scores = self.hybrid_arrays(cur, text, tokens, filters, role_kinds, limit)
        return list(zip(pids.tolist(), scores.tolist(), strict=True))

    def hybrid_arrays(
        self, cur: duckdb.DuckDBPyConnection, text: str, tokens: list[str], filters: Filters,
        role_kinds: tuple[str, ...] | None, limit: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``hybrid_passages`` as (passage ids int64, scores float64) arrays."""
        terms = self._query_terms(cur, tokens)
        dense = self._dense_index() if self.dense_weight > 0 else None
        query_vec = self._query_vector(text) if dense is not None else None
        allowed = None
        if dense is not None:
            allowed = self._allowed_passages(cur, filters, role_kinds)
            if len(allowed) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0)
        topic_weight = self.topic_weight
        pids, scores, relative = self._fuse(terms, query_vec, dense, allowed, filters, role_kinds,
                                            CANDIDATES if topic_weight > 0 else limit)
        if topic_weight > 0 and len(pids):
            pids, scores = self._add_topic_evidence(cur, text, pids, scores, relative)
        return pids[:limit].astype(np.int64, copy=False), scores[:limit].astype(np.float64, copy=False)

    def _query_topics(self, text: str) -> list[tuple[str, float]]:
        given = self._setting("query_topics")
        if given is not None:
            return given
        cached = getattr(self._thread, "read_topics", None)
        if cached is not None and cached[0] == text:
            return cached[1]
        from nlp.topics import default_tagger

        found = default_tagger().topics_for_query(text)
        self._thread.read_topics = (text, found)
        return found

    def topic_evidence(self, cur: duckdb.DuckDBPyConnection, text: str, pids: np.ndarray) -> np.ndarray | None:
        """The topic part of the fused score for these passages (weight included); None when the
        query names no topic or the index has no topic scores, and scores stay plain."""
        topics = self._state().passage_topics(cur)
        query_topics = self._query_topics(text) if len(topics) and self.topic_weight > 0 else []
        if not query_topics:
            return None
        return self.topic_weight * topics.evidence(np.asarray(pids, dtype=np.int32), query_topics)

    def _add_topic_evidence(self, cur: duckdb.DuckDBPyConnection, text: str, pids: np.ndarray,
                            scores: np.ndarray, relative: bool) -> tuple[np.ndarray, np.ndarray]:
        """Lift candidates that the tagger says engage with the topics the query names.

        Only re-ranks what words and meaning found: measured on the dev statements, MAP
        0.8945 → 0.8988 at weight 0.2 (0.1: 0.8977, 0.3: 0.8985), member nDCG@10 topic
        0.9085 → 0.9090, summary 0.9052 → 0.9061.
        """
        evidence = self.topic_evidence(cur, text, pids)
        if evidence is None:
            return pids, scores
        if not relative:  # plain BM25 (an index without vectors): on the same 0..1 scale first
            scores = scores / scores[0]
        fused = scores + evidence
        order = np.lexsort((pids, -fused))
        return pids[order], fused[order]

    def _query_vector(self, text: str) -> np.ndarray:
        # Member search asks for the same text three times (questions, answers, posts).
        cached = getattr(self._thread, "query_vector", None)
        if cached is not None and cached[0] == text and cached[1] is self._embedder:
            return cached[2]
        vec = self._embedder.encode_queries([text])[0]
        self._thread.query_vector = (text, self._embedder, vec)
        return vec

    def _fuse(self, terms, query_vec, dense, allowed, filters, role_kinds,
              limit) -> tuple[np.ndarray, np.ndarray, bool]:
        """Candidate ids and fused scores, best first; the flag says whether scores are relative (0..1)."""
        pids, bm25 = self._score_arrays(terms, filters, role_kinds, CANDIDATES)
        pids = pids.astype(np.int64)
        if dense is None or not len(pids):
            return pids[:limit], bm25[:limit], False
        # Cosine relative to the typical passage of this selection, so weights mean the same
        # for a one-day filter and for the whole corpus.
        lexical_score = bm25 / bm25[0]
        _, mine = dense.similarities(query_vec, pids)
        mine = mine.astype(np.float64)
        baseline, top = dense.baseline(query_vec, allowed)
        spread = max(top, float(np.max(mine))) - baseline or 1.0
        dense_score = np.maximum(0.0, (mine - baseline) / spread)
        w = self.dense_weight
        # Meaning re-ranks what the words found. Letting passages in on meaning alone
        # did not pay on the dev statements (MAP 0.8937 with them, 0.8945 without)
        # and floods results with loosely related text.
        fused = (1 - w) * lexical_score + w * dense_score
        order = np.lexsort((pids, -fused))[:limit]
        pids, fused = pids[order], fused[order]
        keep = fused > 0
        return pids[keep], fused[keep], True

    def fetch_hits(self, cur: duckdb.DuckDBPyConnection, scored: list[tuple[int, float]]) -> list[StatementHit]:
        if not scored:
            return []
        # Separate lookups: passages by their id index, then the small tables. One query joining
        # them makes DuckDB scan passages instead of using the index (17 ms vs 2 ms at 200k passages).
        # Only the columns memory does not hold: each column read decompresses a block per passage
        # (a million passages, 15 hits: 4.1 ms for six columns, 7.7 ms for all twelve; 20 hits: 2.5 ms
        # with the speaker's name and role, 1.4 ms without, so those two are held in memory). The ids
        # are ints, inlined: "IN (1, 2, …)" 7.7 ms, "= ANY($keys)" 9.7, "IN (SELECT unnest(…))" slower still.
        state = self._state()
        wanted = np.asarray([pid for pid, _ in scored], dtype=np.int64)
        answers_of = state.columns["answers"][wanted]
        keys = sorted(set(wanted.tolist()) | {int(a) for a in answers_of if a >= 0})
        found = _lookup(cur, f"""SELECT passage_id, statement_id, text, heading
                                 FROM passages WHERE passage_id IN ({", ".join(map(str, keys))})""", None)
        passages = {pid: found[pid] for pid in wanted.tolist() if pid in found}
        answered = {pid: (row[0],) for pid, row in found.items()}
        meetings, assemblies, members = state.small_tables(cur)
        rows = []
        for pid, (sid, text, heading) in passages.items():
            speaker, role = state.speaker_of(pid)
            role_kind, mem, mid, d, acode, answers = state.passage_fields(pid)
            if mid not in meetings or acode not in assemblies:
                continue
            title, kind, committee, url = meetings[mid]
            rows.append((sid, pid, text, heading, role_kind, speaker, role, mem,
                         members[mem][0] if mem in members else None, mid, title, kind, committee, d, url, acode,
                         assemblies[acode][0], answered[answers][0] if answers in answered else None))
        by_id = {row[1]: row for row in rows}
        return [_hit(by_id[pid], score) for pid, score in scored if pid in by_id]

    def search_statements(
        self, q: str, limit: int = 10, offset: int = 0, filters: Filters | None = None,
        role_kinds: tuple[str, ...] | None = ("member", "executive", "witness"),
    ) -> list[StatementHit]:
        cur = self.cursor()
        try:
            scored = self.hybrid_passages(cur, q, tokenize(q), filters or Filters(), role_kinds, limit + offset)
            return self.fetch_hits(cur, scored[offset:])
        finally:
            cur.close()

    def rank_statement_ids(self, q: str, limit: int, filters: Filters | None = None) -> list[StatementHit]:
        """Statement ids and scores only (no joins): for evaluation and exports over bare corpora."""
        cur = self.cursor()
        try:
            scored = self.hybrid_passages(cur, q, tokenize(q), filters or Filters(), None, limit)
            ids = dict(cur.execute(
                "SELECT passage_id, statement_id FROM passages WHERE passage_id = ANY($ids)",
                {"ids": [pid for pid, _ in scored]},
            ).fetchall()) if scored else {}
            return [_Ranked(ids[pid], pid, score) for pid, score in scored]
        finally:
            cur.close()

    # -- members ---------------------------------------------------------------
    def search_members(self, q: str, limit: int = 10, offset: int = 0, filters: Filters | None = None,
                       evidence: int = 3, session_day: SessionDay | None = None) -> list[MemberScore]:
        """Members ranked for ``q``; with ``session_day``, those who raised it on its day lead (``index.session_day``)."""
        filters = filters or Filters()
        tokens = tokenize(q)
        cur = self.cursor()
        try:
            if session_day is None:
                return rank_members(self, cur, q, tokens, filters, limit, offset, evidence)
            need = offset + limit
            on_day = rank_members(self, cur, q, tokens, session_day.on_day(filters), need, 0, evidence)
            around = rank_members(self, cur, q, tokens, session_day.window(filters), need, 0, evidence)
        finally:
            cur.close()
        return lead_members(session_day, on_day, around, lambda m: m)[offset:need]

    def rank_members_for_tokens(self, text: str, tokens: list[str], filters: Filters, limit: int = 10, offset: int = 0,
                                evidence: int = 3, on_need: Callable[[np.ndarray], np.ndarray] | None = None
                                ) -> list[MemberScore]:
        cur = self.cursor()
        try:
            return rank_members(self, cur, text, tokens, filters, limit, offset, evidence, on_need)
        finally:
            cur.close()

    def topics_of_passages(self, passage_ids: list[int], topic_ids: list[str] | None = None) -> dict[str, float]:
        """Highest topic scores over the given passages (only ``topic_ids`` when given), from memory."""
        if not passage_ids:
            return {}
        cur = self.cursor()
        try:
            return self._state().passage_topics(cur).best(passage_ids, topic_ids)
        finally:
            cur.close()

    def passages_on_topics(self, pids: np.ndarray, topic_ids: list[str], min_score: float) -> np.ndarray:
        """Per passage: whether the tagger scores it ``min_score`` or more on one of ``topic_ids``, from memory."""
        cur = self.cursor()
        try:
            topics = self._state().passage_topics(cur)
        finally:
            cur.close()
        return topics.evidence(np.asarray(pids, dtype=np.int32), [(t, 1.0) for t in topic_ids]) >= min_score

    def topic_passages(self, topic_ids: list[str], filters: Filters, min_score: float) -> dict[str, np.ndarray]:
        """Per topic: ids of the members' own passages in the selection that engage with it
        (tagger score ≥ ``min_score``), from memory; an empty array for a topic none has."""
        state = self._state()
        cur = self.cursor()
        try:
            topics = state.passage_topics(cur)
        finally:
            cur.close()
        mask = state.mask(filters, ("member",))
        out = {}
        for topic_id in topic_ids:
            found = topics.by_topic.get(topic_id)
            if found is None:
                out[topic_id] = np.zeros(0, dtype=np.int32)
                continue
            pids = found[0][found[1] >= min_score]
            out[topic_id] = pids[mask[pids]]
        return out

    def own_passages(self, engaged: dict[str, np.ndarray],
                     member_ids: list[str]) -> dict[str, dict[str, np.ndarray]]:
        """Per member, per topic: the member's own passages among ``engaged`` (from ``topic_passages``).
        One gather of speakers per topic, however many members are asked about."""
        state = self._state()
        speaker = state.columns["member_id"]
        codes = {m: state.codes["member_id"].get(m, -2) for m in member_ids}
        wanted = np.asarray([c for c in codes.values() if c >= 0], dtype=np.int32)
        out: dict[str, dict[str, np.ndarray]] = {m: {} for m in member_ids}
        for topic_id, pids in engaged.items():
            who = speaker[pids]
            # First the listed members' passages (a lookup table over member codes: one pass), then each one's.
            hit = np.isin(who, wanted, kind="table") if len(wanted) else np.zeros(len(pids), dtype=bool)
            pids, who = pids[hit], who[hit]
            for member, code in codes.items():
                out[member][topic_id] = pids[who == code]
        return out

    def meetings_of(self, pids: np.ndarray) -> int:
        """How many meetings these passages come from."""
        return len(np.unique(self._state().columns["meeting_id"][pids])) if len(pids) else 0

    def member(self, member_id: str) -> dict | None:
        cur = self.cursor()
        try:
            row = cur.execute(
                """SELECT mb.*, a.name AS assembly_name FROM members mb
                   JOIN assemblies a USING (assembly_code) WHERE member_id = $id""",
                {"id": member_id},
            ).fetchall()
            if not row:
                return None
            return dict(zip([d[0] for d in cur.description], row[0], strict=True))
        finally:
            cur.close()

    def member_extras(self, member_id: str, posts: int = 5, party: str | None = None) -> dict:
        """Roster history, the groups other than ``party`` (the member's 会派) it records, and latest posts
        (excerpts, topics) of a member."""
        cur = self.cursor()
        try:
            aff = cur.execute(
                """SELECT assembly_code, party, seat, district, coalesce(committees, []) AS committees, term_start,
                          term_end, source_url, observed_at, source, named_on, quote
                   FROM affiliations WHERE member_id = $id
                   ORDER BY coalesce(CAST(named_on AS TIMESTAMP), observed_at) DESC NULLS LAST, source DESC""",
                {"id": member_id},
            ).fetchall()
            cols = ["assembly_code", "party", "seat", "district", "committees", "term_start", "term_end",
                    "source_url", "observed_at", "source", "named_on", "quote"]
            # Stored as naive UTC (index.people): say so, or a client reads the time as its own zone.
            aff = [(*r[:8], r[8].replace(tzinfo=UTC) if r[8] is not None and r[8].tzinfo is None else r[8],
                    *r[9:]) for r in aff]
            latest = cur.execute(
                """SELECT p.statement_id, m.title, m.date, m.url, left(p.text, 160) AS excerpt,
                          list(t.label ORDER BY pt.score DESC) FILTER (WHERE t.label IS NOT NULL) AS topics
                   FROM passages p JOIN meetings m ON m.meeting_id = p.meeting_id
                   LEFT JOIN passage_topics pt ON pt.passage_id = p.passage_id AND pt.score >= $engaged
                   LEFT JOIN topics t ON t.topic_id = pt.topic_id
                   WHERE p.member_id = $id AND p.role_kind = 'post' AND p.ordinal = 0
                   GROUP BY ALL ORDER BY m.date DESC NULLS LAST, p.statement_id LIMIT $n""",
                {"id": member_id, "n": posts, "engaged": ENGAGED},
            ).fetchall()
            affiliations = [dict(zip(cols, r, strict=True)) for r in aff]  # latest first
            return {
                "affiliations": affiliations,
                "earlier_parties": earlier_parties(party, affiliations),
                "latest_posts": [
                    {"statement_id": r[0], "title": r[1], "date": r[2], "url": r[3], "excerpt": r[4],
                     "topics": r[5] or []}
                    for r in latest
                ],
            }
        finally:
            cur.close()

    def member_statements(self, member_id: str, limit: int = 20, offset: int = 0, q: str | None = None,
                          filters: Filters | None = None) -> tuple[int, list[StatementHit]]:
        base = Filters(**{**(filters or Filters()).__dict__, "member_id": member_id})
        cur = self.cursor()
        try:
            where, params = base.sql()
            where += " AND p.role_kind = 'member'"
            total = cur.execute(f"SELECT count(*) FROM passages p WHERE {where}", params).fetchall()[0][0]
            if q:
                # Every matching passage of the member (a few hundred at most), so the total, and the
                # cursor built from it, count what the query finds rather than all the member's passages.
                matching = self.score_passages(cur, description_tokens(q), base, ("member",), max(total, 1))
                total = len(matching)
                if matching:
                    # Words alone put a company's general words first (見守りたい, 高齢化 for a 見守り sensor):
                    # passages on the topics the text names (or the parent standing in for one the
                    # selection lacks) are lifted as POST /v1/match lifts them.
                    from index.match import description_ranking

                    pids, scores = (np.asarray(column) for column in zip(*matching, strict=True))
                    with self.ranking(**description_ranking(self, q, filters or Filters())):
                        pids, scores = self._add_topic_evidence(cur, q, pids, scores, relative=False)
                    matching = list(zip(pids.tolist(), scores.tolist(), strict=True))
                scored = matching[offset:offset + limit]
            else:
                ids = cur.execute(
                    f"SELECT p.passage_id FROM passages p WHERE {where} "
                    "ORDER BY p.date DESC NULLS LAST, p.passage_id LIMIT $limit OFFSET $offset",
                    {**params, "limit": limit, "offset": offset},
                ).fetchall()
                scored = [(pid, 0.0) for (pid,) in ids]
            return total, self.fetch_hits(cur, scored)
        finally:
            cur.close()

    def topic_engagement(self, cur: duckdb.DuckDBPyConnection, threshold: float) -> dict[str, tuple[int, int]]:
        """Per topic id: (members' own passages, distinct people) scoring at least ``threshold``, from memory."""
        return self._state().engagement(cur, threshold)

    def per_index(self, name: str, compute: Callable[[duckdb.DuckDBPyConnection], list[dict]]) -> list[dict]:
        """``compute(cursor)`` once per index file, for answers that only change with a rebuild.

        Aggregates over a national index are not cheap (at a million statements: the topic list
        1.9–2.0 s, the assembly list 31–39 ms) and partners ask for them again and again. Each caller
        gets its own copies of the rows.
        """
        cur = self.cursor()
        try:
            # The identity of the connection this cursor is from: a rebuild swapped in since then
            # closes that connection, and the query below fails instead of caching stale rows.
            identity = self._identity
            cached = self._per_index.get(name)
            if cached is None or cached[0] != identity:
                cached = (identity, compute(cur))
                self._per_index[name] = cached
            return [dict(row) for row in cached[1]]
        finally:
            cur.close()

    def assemblies(self) -> list[dict]:
        """Every assembly of the index with its counts and date range, by 団体コード."""
        return self.per_index("assemblies", _assemblies)

    def build_info(self) -> dict[str, str]:
        cur = self.cursor()
        try:
            return dict(cur.execute("SELECT key, value FROM build_info").fetchall())
        finally:
            cur.close()
