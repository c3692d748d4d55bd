"""Application state: API keys, saved searches and webhook deliveries, in one small SQLite file.

The search index (``var/index.duckdb``) is rebuilt and swapped by ``gikai build``; what
partners create through the API must survive that, so it lives here instead, at
``$GIKAI_STATE_PATH`` (default ``var/state.sqlite3``), in WAL mode so the API server and
``gikai build`` (webhook deliveries) can use it at the same time.

The file is created on the first write (``gikai keys create``, a saved search); until then
every read sees an empty state — a demo server never needs it.

API keys are stored only as a SHA-256 hash: ``create_key`` returns the key once.

Example::

    db = StateDB(Path("var/state.sqlite3"))
    key, record = db.create_key("acme-crm", rate_limit_per_minute=120)
    assert db.key_by_secret(key).name == "acme-crm"
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

KEY_PREFIX = "gk_"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,          -- sha256 hex of the whole key
    prefix TEXT NOT NULL,                   -- first characters, to recognise a key in listings
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    revoked_at TEXT,
    rate_limit_per_minute REAL              -- NULL = the server default
);
CREATE TABLE IF NOT EXISTS saved_searches (
    id TEXT PRIMARY KEY,
    key_id INTEGER REFERENCES api_keys(id), -- NULL = created keyless in demo mode
    query TEXT NOT NULL,
    assemblies TEXT,                        -- JSON list of 団体コード, or NULL for all
    callback_url TEXT NOT NULL,
    secret TEXT NOT NULL,                   -- HMAC key: must be kept to sign deliveries
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,                    -- sent as X-Gikai-Delivery
    saved_search_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    index_built_at TEXT,
    statement_ids TEXT NOT NULL,            -- JSON list
    status TEXT NOT NULL,                   -- pending / delivered / failed
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_search ON webhook_deliveries (saved_search_id, created_at);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER
);
CREATE TABLE IF NOT EXISTS delivered_statements (
    saved_search_id TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    PRIMARY KEY (saved_search_id, statement_id)
);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(12)}"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    created_at: str
    revoked: bool
    revoked_at: str | None
    rate_limit_per_minute: float | None


@dataclass(frozen=True)
class SavedSearch:
    id: str
    key_id: int | None
    query: str
    assemblies: list[str] | None
    callback_url: str
    secret: str
    created_at: str


@dataclass(frozen=True)
class Delivery:
    id: str
    saved_search_id: str
    created_at: str
    index_built_at: str | None
    statement_ids: list[str]
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(row["id"], row["name"], row["prefix"], row["created_at"], bool(row["revoked"]), row["revoked_at"],
                  row["rate_limit_per_minute"])


def _saved(row: sqlite3.Row) -> SavedSearch:
    return SavedSearch(row["id"], row["key_id"], row["query"],
                       json.loads(row["assemblies"]) if row["assemblies"] else None, row["callback_url"],
                       row["secret"], row["created_at"])


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(row["id"], row["saved_search_id"], row["created_at"], row["index_built_at"],
                    json.loads(row["statement_ids"]), row["status"], row["attempts"], row["last_status_code"],
                    row["last_error"])


class StateDB:
    """Thin library over the state file; one short-lived connection per operation (safe across threads)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def connect(self, create: bool = False) -> Iterator[sqlite3.Connection | None]:
        """A connection in a transaction, or None when the file does not exist and ``create`` is false."""
        if not create and not self.path.exists():
            yield None
            return
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA busy_timeout = 10000")
            if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                con.execute("PRAGMA journal_mode = WAL")
                con.executescript(SCHEMA)
                con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            con.execute("BEGIN IMMEDIATE" if create else "BEGIN")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    # -- API keys --------------------------------------------------------------
    def create_key(self, name: str, rate_limit_per_minute: float | None = None) -> tuple[str, ApiKey]:
        """A new random key (``gk_`` + 43 url-safe characters), returned once; only its hash is kept."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.connect(create=True) as con:
            cur = con.execute(
                "INSERT INTO api_keys (name, key_hash, prefix, created_at, rate_limit_per_minute) VALUES (?, ?, ?, ?, ?)",
                (name, hash_key(key), key[:10], now(), rate_limit_per_minute),
            )
            row = con.execute("SELECT * FROM api_keys WHERE id = ?", (cur.lastrowid,)).fetchone()
        return key, _key(row)

    def keys(self) -> list[ApiKey]:
        with self.connect() as con:
            return [] if con is None else [_key(r) for r in con.execute("SELECT * FROM api_keys ORDER BY id")]

    def key_by_secret(self, key: str) -> ApiKey | None:
        with self.connect() as con:
            if con is None:
                return None
            row = con.execute("SELECT * FROM api_keys WHERE key_hash = ?", (hash_key(key),)).fetchone()
        return None if row is None else _key(row)

    def revoke_key(self, key_id: int) -> ApiKey | None:
        """Revoke (idempotent); None when there is no such key."""
        with self.connect() as con:
            if con is None:
                return None
            con.execute("UPDATE api_keys SET revoked = 1, revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                        (now(), key_id))
            row = con.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return None if row is None else _key(row)

    # -- saved searches ----------------------------------------------------------
    def create_saved_search(self, key_id: int | None, query: str, assemblies: list[str] | None, callback_url: str,
                            secret: str) -> SavedSearch:
        with self.connect(create=True) as con:
            sid = new_id("ss")
            con.execute(
                "INSERT INTO saved_searches (id, key_id, query, assemblies, callback_url, secret, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sid, key_id, query, json.dumps(assemblies) if assemblies else None, callback_url, secret, now()),
            )
            row = con.execute("SELECT * FROM saved_searches WHERE id = ?", (sid,)).fetchone()
        return _saved(row)

    def saved_searches(self, key_id: int | None = None, *, everyone: bool = False) -> list[SavedSearch]:
        """The saved searches of one key (``key_id=None``: the keyless demo ones), or of everyone; oldest first."""
        with self.connect() as con:
            if con is None:
                return []
            if everyone:
                rows = con.execute("SELECT * FROM saved_searches ORDER BY rowid")
            else:
                rows = con.execute("SELECT * FROM saved_searches WHERE key_id IS ? ORDER BY rowid", (key_id,))
            return [_saved(r) for r in rows]

    def saved_search(self, sid: str, key_id: int | None) -> SavedSearch | None:
        with self.connect() as con:
            if con is None:
                return None
            row = con.execute("SELECT * FROM saved_searches WHERE id = ? AND key_id IS ?", (sid, key_id)).fetchone()
        return None if row is None else _saved(row)

    def delete_saved_search(self, sid: str, key_id: int | None) -> bool:
        """Delete one of this key's saved searches; its delivery log is kept."""
        with self.connect() as con:
            if con is None:
                return False
            cur = con.execute("DELETE FROM saved_searches WHERE id = ? AND key_id IS ?", (sid, key_id))
            if cur.rowcount:
                con.execute("DELETE FROM delivered_statements WHERE saved_search_id = ?", (sid,))
            return cur.rowcount > 0

    # -- webhook deliveries --------------------------------------------------------
    def delivered_ids(self, sid: str) -> set[str]:
        with self.connect() as con:
            if con is None:
                return set()
            rows = con.execute("SELECT statement_id FROM delivered_statements WHERE saved_search_id = ?", (sid,))
            return {r[0] for r in rows}

    def start_delivery(self, sid: str, statement_ids: list[str], index_built_at: str | None) -> Delivery:
        with self.connect(create=True) as con:
            did = new_id("dlv")
            con.execute(
                "INSERT INTO webhook_deliveries (id, saved_search_id, created_at, index_built_at, statement_ids, status)"
                " VALUES (?, ?, ?, ?, ?, 'pending')",
                (did, sid, now(), index_built_at, json.dumps(statement_ids)),
            )
            row = con.execute("SELECT * FROM webhook_deliveries WHERE id = ?", (did,)).fetchone()
        return _delivery(row)

    def log_attempt(self, delivery_id: str, attempt: int, status_code: int | None, error: str | None,
                    duration_ms: int) -> None:
        with self.connect(create=True) as con:
            con.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (delivery_id, attempt, now(), status_code, error, duration_ms),
            )
            con.execute(
                "UPDATE webhook_deliveries SET attempts = ?, last_status_code = ?, last_error = ? WHERE id = ?",
                (attempt, status_code, error, delivery_id),
            )

    def finish_delivery(self, delivery: Delivery, delivered: bool) -> None:
        """Mark the delivery; only a delivered batch counts as sent (a failed one is tried again next build)."""
        with self.connect(create=True) as con:
            con.execute("UPDATE webhook_deliveries SET status = ? WHERE id = ?",
                        ("delivered" if delivered else "failed", delivery.id))
            if delivered:
                con.executemany(
                    "INSERT OR IGNORE INTO delivered_statements (saved_search_id, statement_id, delivery_id) "
                    "VALUES (?, ?, ?)",
                    [(delivery.saved_search_id, s, delivery.id) for s in delivery.statement_ids],
                )

    def deliveries(self, sid: str | None = None, limit: int = 100) -> list[Delivery]:
        with self.connect() as con:
            if con is None:
                return []
            if sid is None:
                rows = con.execute("SELECT * FROM webhook_deliveries ORDER BY created_at DESC, rowid DESC LIMIT ?",
                                   (limit,))
            else:
                rows = con.execute(
                    "SELECT * FROM webhook_deliveries WHERE saved_search_id = ? ORDER BY created_at DESC, rowid DESC "
                    "LIMIT ?", (sid, limit))
            return [_delivery(r) for r in rows]

    def attempts(self, delivery_id: str) -> list[dict]:
        with self.connect() as con:
            if con is None:
                return []
            rows = con.execute("SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt", (delivery_id,))
            return [dict(r) for r in rows]
