"""Read-only queries over a built index: statements, members, assemblies.

One ``Searcher`` per index file; it is safe to share between threads (each call
uses its own DuckDB cursor) and notices when ``gikai build`` has swapped in a
new file, so a running server picks up a rebuild without a restart.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from index.bm25 import score_sql
from index.dense import DenseIndex
from index.members import MemberScore, rank_members
from nlp.tokenizer import tokenize

CANDIDATES = 4000
# Weight of meaning (embedding cosine) against words (BM25) in the fused score;
# tuned on the dev statement and member queries (see README, make eval).
DENSE_WEIGHT = 0.3
# A passage engages with a topic from this tagger score on (a mere mention in a list scores lower).
ENGAGED = 0.5


class IndexNotFound(Exception):
    """The index file does not exist yet (run `gikai build`)."""


@dataclass(frozen=True)
class Filters:
    assembly: list[str] | None = None
    since: date | None = None
    until: date | None = None
    member_id: str | None = None

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


_HIT_COLUMNS = """
    p.statement_id, p.passage_id, p.text, p.heading, p.role_kind,
    s.speaker_name, s.role, p.member_id, mb.name AS member_name,
    m.meeting_id, m.title, m.kind, m.committee, p.date, m.url, p.assembly_code, a.name AS assembly_name,
    ap.statement_id AS answers_statement_id
"""
_HIT_JOINS = """
    JOIN speeches s ON s.speech_id = p.speech_id
    JOIN meetings m ON m.meeting_id = p.meeting_id
    JOIN assemblies a ON a.assembly_code = p.assembly_code
    LEFT JOIN members mb ON mb.member_id = p.member_id
    LEFT JOIN passages ap ON ap.passage_id = p.answers_passage_id
"""


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


class Searcher:
    def __init__(self, db_path: str | os.PathLike[str]):
        self.db_path = Path(db_path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None
        self._dense: DenseIndex | None = None
        self._dense_for: tuple[int, int] | None = None
        self._embedder = None
        self._defaults = {
            "dense_weight": DENSE_WEIGHT,
        }
        self._thread = threading.local()
        self._allowed_cache: dict = {}
        self._terms: dict[str, int] = {}
        self._terms_for: tuple[int, int] | None = None

    # -- connection handling -------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        try:
            st = self.db_path.stat()
        except FileNotFoundError as exc:
            raise IndexNotFound(f"{self.db_path}: no index; run `gikai build` first") from exc
        identity = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._con is None or identity != self._identity:
                # DuckDB hands back the already-open database for a path it has open,
                # so the old connection must be closed before the swapped-in file is read.
                if self._con is not None:
                    self._con.close()
                self._con = duckdb.connect(str(self.db_path), read_only=True)
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

    @contextmanager
    def ranking(self, **settings):
        """A different fusion setting (dense_weight) for this thread, temporarily."""
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
            if self._dense is not None and self._embedder is None:
                from index.build import DEFAULT_MODEL
                from nlp.embedding import Embedder

                model = self._dense.model
                self._embedder = Embedder.load(None if model in (None, DEFAULT_MODEL) else model)
            return self._dense

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    # -- statements ------------------------------------------------------------
    def score_passages(
        self, cur: duckdb.DuckDBPyConnection, tokens: list[str], filters: Filters, role_kinds: tuple[str, ...] | None,
        limit: int,
    ) -> list[tuple[int, float]]:
        """Plain BM25 of the query tokens (each occurrence counts, as in BM25Okapi)."""
        return self.score_terms(cur, [(t, float(c)) for t, c in self._query_terms(cur, tokens)], filters, role_kinds, limit)

    def _query_terms(self, cur: duckdb.DuckDBPyConnection, tokens: list[str]) -> list[tuple[int, int]]:
        """(term_id, count in query); the term dictionary is held in memory per index file."""
        with self._lock:
            if self._terms_for != self._identity:
                self._terms = dict(cur.execute("SELECT term, term_id FROM terms").fetchall())
                self._terms_for = self._identity
            terms = self._terms
        counts = Counter(tokens)
        return [(terms[t], c) for t, c in counts.items() if t in terms]

    def score_terms(
        self, cur: duckdb.DuckDBPyConnection, terms: list[tuple[int, float]], filters: Filters,
        role_kinds: tuple[str, ...] | None, limit: int,
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        where, params = self._where(filters, role_kinds)
        cur.register("_q", pa.table({"term_id": [t for t, _ in terms], "qtf": [float(w) for _, w in terms]}))
        try:
            sql = score_sql(where) + " ORDER BY bm25 DESC, p.passage_id LIMIT $limit"
            return cur.execute(sql, {**params, "limit": limit}).fetchall()
        finally:
            cur.unregister("_q")

    @staticmethod
    def _where(filters: Filters, role_kinds: tuple[str, ...] | None) -> tuple[str, dict]:
        where, params = filters.sql()
        if role_kinds:
            where = " AND ".join(x for x in (where, "p.role_kind IN (SELECT unnest($roles))") if x)
            params["roles"] = list(role_kinds)
        return where, params

    def _allowed_passages(self, cur: duckdb.DuckDBPyConnection, filters: Filters,
                          role_kinds: tuple[str, ...] | None) -> np.ndarray:
        """Passage ids a query may return; the unfiltered sets (by role) are cached per index file."""
        cacheable = filters == Filters()
        key = (self._identity, role_kinds)
        if cacheable and key in self._allowed_cache:
            return self._allowed_cache[key]
        where, params = self._where(filters, role_kinds)
        ids = cur.execute(
            f"SELECT passage_id FROM passages p {('WHERE ' + where) if where else ''} ORDER BY passage_id", params
        ).fetchnumpy()["passage_id"]
        if cacheable:
            self._allowed_cache = {k: v for k, v in self._allowed_cache.items() if k[0] == self._identity}
            self._allowed_cache[key] = ids
        return ids

    def hybrid_passages(
        self, cur: duckdb.DuckDBPyConnection, text: str, tokens: list[str], filters: Filters,
        role_kinds: tuple[str, ...] | None, limit: int,
    ) -> list[tuple[int, float]]:
        """BM25 candidates re-ranked by embedding similarity; plain BM25 when the index has no vectors.

        Pseudo-relevance feedback was measured here (+0.002 MAP on the statement dev set for a
        second query per search) and left out.
        """
        terms = [(t, float(c)) for t, c in self._query_terms(cur, tokens)]
        dense = self._dense_index() if self.dense_weight > 0 else None
        query_vec = self._embedder.encode_queries([text])[0] if dense is not None else None
        allowed = None
        if dense is not None:
            allowed = self._allowed_passages(cur, filters, role_kinds)
            if len(allowed) == 0:
                return []
        return self._fuse(cur, terms, query_vec, dense, allowed, filters, role_kinds, limit)

    def _fuse(self, cur, terms, query_vec, dense, allowed, filters, role_kinds, limit) -> list[tuple[int, float]]:
        lexical = self.score_terms(cur, terms, filters, role_kinds, CANDIDATES)
        if dense is None or not lexical:
            return lexical[:limit]
        # Cosine relative to the typical passage of this selection, so weights mean the same
        # for a one-day filter and for the whole corpus.
        _, cos = dense.similarities(query_vec, allowed)
        baseline = float(np.mean(cos))
        spread = float(np.max(cos)) - baseline or 1.0
        best_lexical = lexical[0][1]
        lexical_score = {pid: bm / best_lexical for pid, bm in lexical}
        _, mine = dense.similarities(query_vec, np.asarray(list(lexical_score)))
        dense_score = {pid: max(0.0, (float(c) - baseline) / spread) for pid, c in zip(lexical_score, mine, strict=True)}
        w = self.dense_weight
        # Meaning re-ranks what the words found. Letting passages in on meaning alone
        # did not pay on the dev statements (MAP 0.8937 with them, 0.8945 without)
        # and floods results with loosely related text.
        fused = {pid: (1 - w) * lexical_score[pid] + w * dense_score.get(pid, 0.0) for pid in lexical_score}
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(pid, score) for pid, score in ranked[:limit] if score > 0]

    def fetch_hits(self, cur: duckdb.DuckDBPyConnection, scored: list[tuple[int, float]]) -> list[StatementHit]:
        if not scored:
            return []
        rows = cur.execute(
            f"SELECT {_HIT_COLUMNS} FROM passages p {_HIT_JOINS} WHERE p.passage_id IN (SELECT unnest($ids))",
            {"ids": [pid for pid, _ in scored]},
        ).fetchall()
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
                "SELECT passage_id, statement_id FROM passages WHERE passage_id IN (SELECT unnest($ids))",
                {"ids": [pid for pid, _ in scored]},
            ).fetchall()) if scored else {}
            return [_Ranked(ids[pid], pid, score) for pid, score in scored]
        finally:
            cur.close()

    # -- members ---------------------------------------------------------------
    def search_members(self, q: str, limit: int = 10, offset: int = 0, filters: Filters | None = None,
                       evidence: int = 3) -> list[MemberScore]:
        cur = self.cursor()
        try:
            return rank_members(self, cur, q, tokenize(q), filters or Filters(), limit, offset, evidence)
        finally:
            cur.close()

    def rank_members_for_tokens(self, text: str, tokens: list[str], filters: Filters, limit: int = 10, offset: int = 0,
                                evidence: int = 3) -> list[MemberScore]:
        cur = self.cursor()
        try:
            return rank_members(self, cur, text, tokens, filters, limit, offset, evidence)
        finally:
            cur.close()

    def _has_table(self, cur: duckdb.DuckDBPyConnection, name: str) -> bool:
        return bool(cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = $n", {"n": name}).fetchall()[0][0])

    def topics_of_passages(self, passage_ids: list[int]) -> dict[str, float]:
        """Highest topic scores over the given passages."""
        if not passage_ids:
            return {}
        cur = self.cursor()
        try:
            if not self._has_table(cur, "passage_topics"):
                return {}
            return dict(cur.execute(
                """SELECT topic_id, max(score) FROM passage_topics
                   WHERE passage_id IN (SELECT unnest($ids)) GROUP BY topic_id""",
                {"ids": passage_ids},
            ).fetchall())
        finally:
            cur.close()

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

    def member_extras(self, member_id: str, posts: int = 5) -> dict:
        """Roster history and latest posts (excerpts, topics) of a member."""
        cur = self.cursor()
        try:
            aff = cur.execute(
                """SELECT assembly_code, party, seat, district, coalesce(committees, []) AS committees, term_start,
                          term_end, source_url, observed_at
                   FROM affiliations WHERE member_id = $id ORDER BY observed_at DESC NULLS LAST""",
                {"id": member_id},
            ).fetchall()
            cols = ["assembly_code", "party", "seat", "district", "committees", "term_start", "term_end",
                    "source_url", "observed_at"]
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
            return {
                "affiliations": [dict(zip(cols, r, strict=True)) for r in aff],
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
                scored = self.score_passages(cur, tokenize(q), base, ("member",), limit + offset)[offset:]
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

    def assemblies(self) -> list[dict]:
        cur = self.cursor()
        try:
            rows = cur.execute(
                """SELECT a.assembly_code, a.name, a.prefecture,
                          (SELECT count(*) FROM meetings m WHERE m.assembly_code = a.assembly_code) AS meetings,
                          (SELECT count(*) FROM members mb WHERE mb.assembly_code = a.assembly_code) AS members,
                          (SELECT min(date) FROM meetings m WHERE m.assembly_code = a.assembly_code) AS first_date,
                          (SELECT max(date) FROM meetings m WHERE m.assembly_code = a.assembly_code) AS last_date
                   FROM assemblies a ORDER BY a.assembly_code"""
            ).fetchall()
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in rows]
        finally:
            cur.close()

    def build_info(self) -> dict[str, str]:
        cur = self.cursor()
        try:
            return dict(cur.execute("SELECT key, value FROM build_info").fetchall())
        finally:
            cur.close()
