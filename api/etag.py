"""Conditional GET for the read endpoints: a weak ETag per (index build, server code, request URL).

A response only changes when ``gikai build`` swaps in a new index or the server's code changes
(see ``code_fingerprint``), so every successful ``GET /v1/...`` carries
``ETag: W/"<sha256(build_info, code, full URL)>"``; a client that sends it back in
``If-None-Match`` gets ``304 Not Modified`` with no body until the next build or upgrade.

One ASGI middleware for every route (streaming exports included). Preconditions are evaluated
on the response the request would get — after authentication, rate limits and validation, as
RFC 9110 §13.2.1 requires — so a 401/403/404/422/429 is never turned into a 304. A 304 saves
the transfer, not the query. Paths whose content is not a function of the index (saved
searches, deliveries) are left alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import anyio
from starlette.datastructures import URL, Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.search import IndexNotFound

PREFIX = "/v1/"
EXCLUDED = ("/v1/saved-searches",)
# Headers a 304 keeps (RFC 9110 §15.4.5) plus CORS: the body's own headers are dropped.
_KEEP_ON_304 = {b"cache-control", b"content-location", b"date", b"etag", b"expires", b"vary"}


# The code that turns an index into responses: the API, ranking/search, and query analysis.
CODE_ROOTS = ("api", "index", "nlp")
_REPO = Path(__file__).resolve().parents[1]


def code_fingerprint(root: Path = _REPO, packages: tuple[str, ...] = CODE_ROOTS) -> str:
    """A digest of the server's own source (*.py, *.yaml) under ``packages``.

    A response is a function of the index *and* of the code that ranks and serialises it: the
    README records ranking changes that need no rebuild (member embeddings 0.1 → 0, evidence
    cut-offs), and new fields are added to responses. With only the build in the ETag, a client
    revalidating after a server upgrade got 304 and kept the old ranking. Read once per process.
    """
    digest = hashlib.sha256()
    for package in packages:
        base = root / package
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file()):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def make_etag(build_id: str, url: str) -> str:
    return 'W/"' + hashlib.sha256(f"{build_id}\n{url}".encode()).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``W/"x"`` matches ``"x"``; ``*`` matches anything."""
    if not if_none_match:
        return False
    ours = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == ours:
            return True
    return False


class ETagMiddleware:
    def __init__(self, app: ASGIApp, excluded: tuple[str, ...] = EXCLUDED, code: str | None = None):
        self.app = app
        self.excluded = excluded
        self.code = code_fingerprint() if code is None else code
        self._cached: tuple[tuple[int, int], str] | None = None

    @staticmethod
    def _identity(searcher) -> tuple[int, int] | None:
        try:
            st = searcher.db_path.stat()
        except (AttributeError, FileNotFoundError):
            return None
        return st.st_ino, st.st_mtime_ns

    def _read_build_id(self, searcher, identity: tuple[int, int]) -> str | None:
        try:
            info = searcher.build_info()
        except IndexNotFound:
            return None
        build_id = "|".join(f"{k}={v}" for k, v in sorted(info.items()))  # built_at and what was built
        build_id += f"|code={self.code}"  # and the code serving it (see code_fingerprint)
        self._cached = (identity, build_id)
        return build_id

    async def _build_id(self, searcher) -> str | None:
        # A stat is microseconds: done on the event loop. Only a new index file is read, in a
        # worker thread; a thread-pool hop per request cost 1.4 ms at the median, 4 ms at p95 here.
        identity = self._identity(searcher)
        if identity is None:
            return None
        cached = self._cached
        if cached is not None and cached[0] == identity:
            return cached[1]
        return await anyio.to_thread.run_sync(self._read_build_id, searcher, identity)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not path.startswith(PREFIX)
                or path.startswith(self.excluded)):
            await self.app(scope, receive, send)
            return
        searcher = getattr(scope["app"].state, "searcher", None)
        build_id = await self._build_id(searcher)
        if build_id is None:
            await self.app(scope, receive, send)
            return
        etag = make_etag(build_id, str(URL(scope=scope)))
        not_modified = etag_matches(Headers(scope=scope).get("if-none-match"), etag)
        suppress = False

        async def send_with_etag(message: Message) -> None:
            nonlocal suppress
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"etag"]
                headers.append((b"etag", etag.encode("latin-1")))
                if not_modified:
                    suppress = True
                    kept = [(k, v) for k, v in headers
                            if k.lower() in _KEEP_ON_304 or k.lower().startswith(b"access-control-")]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and suppress:
                return  # the body of the 200 we replaced with a 304
            await send(message)

        await self.app(scope, receive, send_with_etag)
