"""Cursor pagination for list and search endpoints, next to the plain ``offset`` (kept for compatibility).

A cursor is opaque to clients: ``base64url("<offset>.<params hash>")``, where the hash covers the
path and every query parameter except ``cursor``, ``offset`` and ``limit`` (the page size may
change between pages). Sending a cursor with different parameters is a 422 — a cursor continues
exactly the listing it came from; an ``offset`` sent beside a cursor is ignored.

Use in a route (``PageDep``: default limit 10, ``Page20Dep``: 20, or ``Depends(paginate(...))``)::

    @router.get("/search")
    def search(q: QueryDep, page: PageDep) -> MemberSearch:
        hits = searcher.search_members(q, limit=page.limit, offset=page.offset)
        return MemberSearch(..., offset=page.offset, next_cursor=page.next_cursor(len(hits)))

A JSON body (``POST /v1/match``) pages the same way: ``cursor``, ``offset`` and ``limit`` are body
fields, the hash covers the path and every other body field (``body_hash``), and ``body_page`` reads
the page with the same checks and messages as the dependency.
"""

# No `from __future__ import annotations`: the dependency's annotations use closure variables.

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel

MAX_OFFSET = 10_000
_NOT_HASHED = {"cursor", "offset", "limit"}
_CURSOR = re.compile(r"(\d{1,6})\.([0-9a-f]{16})")


def params_hash(request: Request) -> str:
    items = sorted((k, v) for k, v in request.query_params.multi_items() if k not in _NOT_HASHED)
    return hashlib.sha256(f"{request.url.path}?{urlencode(items)}".encode()).hexdigest()[:16]


def body_hash(path: str, body: BaseModel) -> str:
    """The hash of a JSON request body: every field except ``cursor``, ``offset`` and ``limit``.

    Fields left out and fields sent as null hash alike (both mean the default), and a field added
    to the model later is covered without touching this function.
    """
    fields = body.model_dump(mode="json", exclude=_NOT_HASHED, exclude_none=True)
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{path}#{canonical}".encode()).hexdigest()[:16]


def encode_cursor(offset: int, digest: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}.{digest}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    m = _CURSOR.fullmatch(raw)
    if m is None:
        raise HTTPException(422, "cursor: malformed; pass the next_cursor of a previous response unchanged")
    return int(m.group(1)), m.group(2)


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int
    digest: str

    def next_cursor(self, returned: int, total: int | None = None) -> str | None:
        """The cursor of the following page, or None at the end (a short page, or ``total`` reached)."""
        end = self.offset + returned
        if returned < self.limit or (total is not None and end >= total) or end > MAX_OFFSET:
            return None
        return encode_cursor(end, self.digest)


def paginate(default_limit: int = 10, max_limit: int = 100):
    """A dependency reading ``limit``, ``offset`` and ``cursor``."""

    async def page(  # async: no thread-pool hop for pure parsing (see api.deps)
        request: Request,
        limit: Annotated[int, Query(ge=1, le=max_limit, description=f"件数 (1〜{max_limit})")] = default_limit,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="先頭からのずらし (cursor の代わりに使えます。cursor があれば無視)")] = 0,
        cursor: Annotated[str | None, Query(
            max_length=200,
            description="前のレスポンスの next_cursor をそのまま渡すと続きのページを返します (他の条件は同じにすること)",
            examples=["MTAuM2E0ZjBjMmI5ZDFlOGY3Ng"],
        )] = None,
    ) -> Page:
        return _page(params_hash(request), cursor, offset, limit,
                     "was issued for other query parameters; repeat the same parameters")

    return page


def body_page(path: str, body: BaseModel) -> Page:
    """The page a JSON body asks for, from its ``cursor`` (bound to ``body_hash``), ``offset`` and ``limit``."""
    return _page(body_hash(path, body), body.cursor, body.offset, body.limit,
                 "was issued for another request body; send the same fields (all but cursor, offset and limit)")


def _page(digest: str, cursor: str | None, offset: int, limit: int, mismatch: str) -> Page:
    if cursor is None:
        return Page(offset, limit, digest)
    # A cursor carries its own offset; an offset sent beside it is ignored (documented),
    # which keeps every schema-valid combination of parameters acceptable.
    at, issued_for = decode_cursor(cursor)
    if issued_for != digest:
        raise HTTPException(422, f"cursor: {mismatch} or start again without cursor")
    if at > MAX_OFFSET:
        raise HTTPException(422, f"cursor: beyond the last page ({MAX_OFFSET} results)")
    return Page(at, limit, digest)


PageDep = Annotated[Page, Depends(paginate(default_limit=10))]
Page20Dep = Annotated[Page, Depends(paginate(default_limit=20))]
