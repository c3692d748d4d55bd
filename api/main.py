"""The FastAPI application: routers, error shape, and the read-only index."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from api import auth, errors
from api.etag import ETagMiddleware
from api.head import HeadAsGet
from api.ratelimit import RateLimiter
from api.routes import assemblies, export, match, members, saved_searches, statements, topics, web
from api.schedule import DeadlineGate, search_slots
from api.schemas import Error
from api.settings import get_settings
from index.search import Searcher

DESCRIPTION = """
議員サーチ API — 会社の解決策や地域の課題から、その課題に取り組んでいる地方議会議員を探し、
根拠となる会議録の発言 (会議名・日付・出典URL) とスコアの内訳を返します。

Find the local council members engaged with a need, with evidence from the minutes.
All errors share one shape: `{"ok": false, "status": 422, "error": "q: must not be empty"}`.
"""


def _document_conditional_get(app: FastAPI) -> None:
    """Put what ETagMiddleware does into the schema: the ETag header, If-None-Match and 304.

    The README promises ETag / If-None-Match (304) on the reads, but /openapi.json showed neither,
    so a client generated from it treated 304 as an undocumented status.
    """
    from api.etag import EXCLUDED, PREFIX

    generate = app.openapi  # FastAPI's own, with every setting of the app

    def schema() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        doc = generate()
        for path, ops in doc.get("paths", {}).items():
            op = ops.get("get")
            if op is None or not path.startswith(PREFIX) or path.startswith(EXCLUDED):
                continue
            op.setdefault("parameters", []).append({
                "name": "If-None-Match", "in": "header", "required": False,
                "description": "前の 200 の ETag。索引が再構築されていなければ 304 (本文なし) を返します",
                "schema": {"type": "string"},
            })
            ok = op.get("responses", {}).get("200")
            if ok is not None:
                ok.setdefault("headers", {})["ETag"] = {
                    "description": "弱い ETag: 索引のビルド・サーバのコード・リクエストURLごと (再構築・更新のたびに変わる)",
                    "schema": {"type": "string"},
                }
            op["responses"]["304"] = {"description": "Not Modified: If-None-Match が現在の ETag と一致 (本文なし)"}
        app.openapi_schema = doc
        return doc

    app.openapi = schema


def create_app(db_path: str | Path | None = None) -> FastAPI:
    settings = get_settings()
    searcher = Searcher(db_path or settings.db_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = max(1, settings.request_threads)
        try:  # concurrent requests are the parallelism: BLAS threads per request only contend with them
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
        except ImportError:
            pass
        if settings.warm_on_start:
            await anyio.to_thread.run_sync(searcher.warm)
            if settings.gc_freeze:
                gc.collect()
                gc.freeze()
        yield
        searcher.close()

    # /docs and /redoc from files in the fastapi-offline wheel (Swagger UI 5, ReDoc), not from a CDN:
    # FastAPI's own pages stay blank on a machine or network without the internet.
    app = FastAPIOffline(
        title="議員サーチ API (gikai)",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(auth.api_access)],  # keys and rate limits for every /v1/ path
        responses={status: {"model": Error} for status in (400, 401, 403, 404, 422, 429, 503)},
    )
    app.state.searcher = searcher
    # `gikai serve --workers N` sets each process's share (api/prefork.py).
    app.state.search_gate = DeadlineGate(search_slots(settings), by_deadline=settings.search_order == "deadline")
    app.state.rate_limiter = RateLimiter()
    app.add_middleware(ETagMiddleware)  # inside CORS, so a 304 gets the CORS headers too
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "If-None-Match", "Content-Type"],
            expose_headers=["ETag", "Retry-After", "X-Next-Cursor", "Link", "Content-Disposition"],
        )
    app.add_middleware(HeadAsGet)  # outermost: everything inside sees the GET it stands for
    errors.install(app)
    _document_conditional_get(app)
    app.include_router(export.router)  # before members: /v1/members/search.csv is not a member id
    app.include_router(members.router)
    app.include_router(statements.router)
    app.include_router(match.router)
    app.include_router(topics.router)
    app.include_router(assemblies.router)
    app.include_router(saved_searches.router)
    app.include_router(web.router)
    return app
