"""One error shape for every error response: {"ok": false, "status": N, "error": "..."}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
        return "must contain at least one visible character"
    if kind == "string_too_long" and isinstance(value, str):
        return f"{len(value)} characters; at most {ctx.get('max_length')} are accepted"
    return err.get("msg", "invalid")


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid":  # loc is ("body", character offset), not a field
            detail = (err.get("ctx") or {}).get("error", "JSON decode error")
            parts.append(f"body: not valid JSON ({detail} at character {loc[-1] if len(loc) > 1 else 0})")
            continue
        # Drop the location kind only: a body field may itself be called "query" (saved searches).
        if loc and loc[0] in ("query", "path", "body", "header", "cookie"):
            loc = loc[1:]
        where = ".".join(str(p) for p in loc)
        parts.append(f"{where or 'request'}: {_message(err)}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _describe(exc))

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
