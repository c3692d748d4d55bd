"""Read-only queries over a built index: statements, members, assemblies.

One ``Searcher`` per index file; it is safe to share between threads (each call
uses its own DuckDB cursor) and notices when ``gikai build`` has swapped in a
new file, so a running server picks up a rebuild without a restart.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from index.bm25 import query_terms, score_sql
from index.members import MemberScore, rank_members
from nlp.tokenizer import tokenize


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


class Searcher:
    def __init__(self, db_path: str | os.PathLike[str]):
        self.db_path = Path(db_path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int] | None = None

    # -- connection handling -------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        try:
            st = self.db_path.stat()
        except FileNotFoundError as exc:
            raise IndexNotFound(f"{self.db_path}: no index; run `gikai build` first") from exc
        identity = (st.st_ino, st.st_mtime_ns)
        with self._lock:
            if self._con is None or identity != self._identity:
                old = self._con
                self._con = duckdb.connect(str(self.db_path), read_only=True)
                self._identity = identity
                if old is not None:
                    old.close()
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._connection().cursor()

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
        terms = query_terms(cur, tokens)
        if not terms:
            return []
        where, params = filters.sql()
        if role_kinds:
            where = " AND ".join(x for x in (where, "p.role_kind IN (SELECT unnest($roles))") if x)
            params["roles"] = list(role_kinds)
        cur.register("_q", pa.table({"term_id": [t for t, _ in terms], "qtf": [c for _, c in terms]}))
        try:
            sql = score_sql(where) + " ORDER BY bm25 DESC, p.passage_id LIMIT $limit"
            return cur.execute(sql, {**params, "limit": limit}).fetchall()
        finally:
            cur.unregister("_q")

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
            scored = self.score_passages(cur, tokenize(q), filters or Filters(), role_kinds, limit + offset)
            return self.fetch_hits(cur, scored[offset:])
        finally:
            cur.close()

    # -- members ---------------------------------------------------------------
    def search_members(self, q: str, limit: int = 10, offset: int = 0, filters: Filters | None = None,
                       evidence: int = 3) -> list[MemberScore]:
        cur = self.cursor()
        try:
            return rank_members(self, cur, tokenize(q), filters or Filters(), limit, offset, evidence)
        finally:
            cur.close()

    def member(self, member_id: str) -> dict | None:
        cur = self.cursor()
        try:
            row = cur.execute(
                """SELECT mb.*, a.name AS assembly_name FROM members mb
                   JOIN assemblies a USING (assembly_code) WHERE member_id = $id""",
                {"id": member_id},
            ).fetchone()
            if row is None:
                return None
            return dict(zip([d[0] for d in cur.description], row, strict=True))
        finally:
            cur.close()

    def member_statements(self, member_id: str, limit: int = 20, offset: int = 0, q: str | None = None,
                          filters: Filters | None = None) -> tuple[int, list[StatementHit]]:
        base = Filters(**{**(filters or Filters()).__dict__, "member_id": member_id})
        cur = self.cursor()
        try:
            where, params = base.sql()
            where += " AND p.role_kind = 'member'"
            total = cur.execute(f"SELECT count(*) FROM passages p WHERE {where}", params).fetchone()[0]
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
