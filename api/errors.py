"""One error shape for every error response: {"ok": false, "status": N, "error": "..."}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import DANTAI_CODE, NOT_BLANK
from index.search import IndexNotFound

log = logging.getLogger("gikai.api")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "error": message}, status_code=status, headers=headers)


def _message(err: dict) -> str:
    # The schema's constraints (min/max length, pattern) in the words the API uses everywhere.
    kind, ctx, value = err.get("type"), err.get("ctx") or {}, err.get("input")
    if kind in ("string_too_short", "string_pattern_mismatch") and isinstance(value, str) and not value.strip():
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern == DANTAI_CODE:  # the words of the query-string check (api.deps.filters)
            return f"{str(value)[:20]!r} is not a 6-digit 団体コード"
        if pattern == NOT_BLANK:
            return "must contain at least one visible character"
        return f"must match the pattern {pattern}"  # not every pattern is "not blank" (was said of any)
    if kind == "string_too_long" and isinstance(value, str):
        return f"{len(value)} characters; at most {ctx.get('max_length')} are accepted"
    return err.get("msg", "invalid")


_JSON_OBJECT = "must be a JSON object sent with Content-Type: application/json"


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _describe(exc: RequestValidationError, content_type: str | None = None) -> str:
    parts = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":  # loc is ("body", character offset), not a field
            detail = (err.get("ctx") or {}).get("error", "JSON decode error")
            parts.append(f"body: not valid JSON ({detail} at character {loc[-1] if len(loc) > 1 else 0})")
            continue
        if loc == ("body",):
            # The body as a whole: missing, not an object, or not read as JSON at all (another
            # Content-Type, or none: `curl -d` sends form encoding). Was "request: Field required" /
            # "request: Input should be a valid dictionary ...", which names neither the body nor the header.
            if not _is_json(content_type) and err.get("type") != "missing":
                shown = (content_type or "").split(";", 1)[0].strip() or "none"
                parts.append(f"body: {_JSON_OBJECT} (Content-Type was {shown})")
            else:
                parts.append(f"body: {'required' if err.get('type') == 'missing' else 'not an object'}; {_JSON_OBJECT}")
            continue
        # Drop the location kind only: a body field may itself be called "query" (saved searches).
        if loc and loc[0] in ("query", "path", "body", "header", "cookie"):
            loc = loc[1:]
        where = ".".join(str(p) for p in loc)
        parts.append(f"{where or 'request'}: {_message(err)}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _describe(exc, request.headers.get("content-type")))

    @app.exception_handler(StarletteHTTPException)
    async def http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(IndexNotFound)
    async def no_index(_: Request, exc: IndexNotFound) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url)
        return _error(500, f"internal error: {type(exc).__name__}")
