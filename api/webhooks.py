"""Webhooks of saved searches: after each ``gikai build``, POST the new matching statements to each callback.

For integrators
---------------
Create a saved search with ``POST /v1/saved-searches`` ``{"query": "待機児童", "assemblies": ["130001"],
"callback_url": "https://crm.example.com/hooks/gikai", "secret": "…at least 16 characters…"}``.
After every index build, statements that match it and were never delivered to it before are
POSTed to ``callback_url`` as JSON, at most 100 per request::

    {"event": "saved_search.new_statements", "delivery_id": "dlv_…", "index_built_at": "…",
     "saved_search": {"id": "ss_…", "query": "待機児童", "assemblies": ["130001"]},
     "count": 2, "data": [<Statement, as in GET /v1/statements/search>, …]}

Headers: ``X-Gikai-Delivery: dlv_…`` (the same on every retry of one delivery: use it to drop
duplicates) and ``X-Gikai-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``. Verify the
signature on the raw bytes before parsing them, in constant time::

    from api.webhooks import verify_signature   # or copy its six lines
    if not verify_signature(SECRET, request_body_bytes, headers.get("X-Gikai-Signature")):
        return 401

Answer with any 2xx within 10 seconds. Network errors, 408, 429 and 5xx are retried with
exponential backoff (1, 2, 4, 8 s; 5 attempts); other answers fail the delivery at once. A
failed delivery is logged (``GET /v1/saved-searches/{id}/deliveries``) and its statements are
offered again after the next build: delivery is at-least-once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.schemas import Statement
from api.settings import get_settings
from api.state import Delivery, SavedSearch, StateDB
from index.search import Filters, Searcher

log = logging.getLogger("gikai.webhooks")

SIGNATURE_HEADER = "X-Gikai-Signature"
DELIVERY_HEADER = "X-Gikai-Delivery"
EVENT = "saved_search.new_statements"
BATCH_SIZE = 100
MAX_MATCHES = 500  # best-matching statements considered per saved search and build
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` (the ``X-Gikai-Signature`` value) signs exactly ``body`` with ``secret``."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), header.strip().encode("ascii", "replace"))


@dataclass
class DeliverySummary:
    saved_searches: int = 0
    deliveries: int = 0
    delivered: int = 0
    failed: int = 0
    statements: int = 0

    def line(self) -> str:
        return (f"webhooks: {self.saved_searches} saved searches, {self.deliveries} deliveries "
                f"({self.delivered} delivered, {self.failed} failed), {self.statements} statements delivered")


def payload(delivery: Delivery, saved: SavedSearch, statements: list[Statement]) -> bytes:
    return json.dumps({
        "event": EVENT,
        "delivery_id": delivery.id,
        "index_built_at": delivery.index_built_at,
        "saved_search": {"id": saved.id, "query": saved.query, "assemblies": saved.assemblies},
        "count": len(statements),
        "data": [s.model_dump(mode="json") for s in statements],
    }, ensure_ascii=False).encode("utf-8")


def _post(http: httpx.Client, state: StateDB, delivery: Delivery, saved: SavedSearch, body: bytes,
          max_attempts: int, backoff: float, sleep: Callable[[float], None]) -> bool:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "gikai-webhooks/1",
        SIGNATURE_HEADER: sign(saved.secret, body),
        DELIVERY_HEADER: delivery.id,
    }
    for attempt in range(1, max_attempts + 1):
        started = time.perf_counter()
        status, error = None, None
        try:
            response = http.post(saved.callback_url, content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            # InvalidURL is not an HTTPError, and a bad IDNA host raises UnicodeError (a ValueError):
            # either one, for a URL stored before the API checked it, failed the whole run for everyone.
            error = f"{type(exc).__name__}: {exc}"[:500]
            if not isinstance(exc, httpx.HTTPError):  # the URL itself: retrying cannot help
                state.log_attempt(delivery.id, attempt, None, error, 0)
                log.warning("webhook %s to %r: unusable callback URL (%s)", delivery.id, saved.callback_url, error)
                return False
        state.log_attempt(delivery.id, attempt, status, error, int((time.perf_counter() - started) * 1000))
        if error is None:
            return True
        if status is not None and status not in RETRYABLE:
            log.warning("webhook %s to %s refused (%s); not retried", delivery.id, saved.callback_url, error)
            return False
        if attempt < max_attempts:
            sleep(backoff * 2 ** (attempt - 1))
    log.warning("webhook %s to %s failed after %d attempts (%s)", delivery.id, saved.callback_url, max_attempts, error)
    return False


def deliver_new_matches(
    db_path: str | Path, state_path: str | Path, *, client: httpx.Client | None = None,
    max_attempts: int | None = None, backoff: float | None = None, sleep: Callable[[float], None] = time.sleep,
    max_matches: int = MAX_MATCHES, batch_size: int = BATCH_SIZE,
) -> DeliverySummary:
    """POST every saved search's not-yet-delivered matches in the index at ``db_path``; log every attempt."""
    settings = get_settings()
    max_attempts = max(1, max_attempts or settings.webhook_max_attempts)
    backoff = settings.webhook_backoff_seconds if backoff is None else backoff
    state = StateDB(state_path)
    summary = DeliverySummary()
    searches = state.saved_searches(everyone=True)
    summary.saved_searches = len(searches)
    if not searches:
        return summary
    searcher = Searcher(db_path)
    own_client = client is None
    http = client or httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
    try:
        built_at = searcher.build_info().get("built_at")
        for saved in searches:
            hits = searcher.search_statements(saved.query, limit=max_matches,
                                              filters=Filters(assembly=saved.assemblies or None))
            seen = state.delivered_ids(saved.id)
            new = [Statement.of(h) for h in hits if h.statement_id not in seen]
            for start in range(0, len(new), batch_size):
                batch = new[start:start + batch_size]
                delivery = state.start_delivery(saved.id, [s.statement_id for s in batch], built_at)
                ok = _post(http, state, delivery, saved, payload(delivery, saved, batch), max_attempts, backoff, sleep)
                state.finish_delivery(delivery, ok)
                summary.deliveries += 1
                if ok:
                    summary.delivered += 1
                    summary.statements += len(batch)
                else:
                    summary.failed += 1
                    break  # the receiver is down: the rest waits for the next build, not for more timeouts
    finally:
        searcher.close()
        if own_client:
            with contextlib.suppress(Exception):
                http.close()
    return summary
