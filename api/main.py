"""The FastAPI application: routers, error shape, and the read-only index."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import auth, errors
from api.etag import ETagMiddleware
from api.ratelimit import RateLimiter
from api.routes import assemblies, export, match, members, saved_searches, statements, topics, web
from api.schemas import Error
from api.settings import get_settings
from index.search import Searcher

DESCRIPTION = """
議員サーチ API — 会社の解決策や地域の課題から、その課題に取り組んでいる地方議会議員を探し、
根拠となる会議録の発言 (会議名・日付・出典URL) とスコアの内訳を返します。

Find the local council members engaged with a need, with evidence from the minutes.
All errors share one shape: `{"ok": false, "status": 422, "error": "q: must not be empty"}`.
"""


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

    app = FastAPI(
        title="議員サーチ API (gikai)",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(auth.api_access)],  # keys and rate limits for every /v1/ path
        responses={status: {"model": Error} for status in (400, 401, 403, 404, 422, 429, 503)},
    )
    app.state.searcher = searcher
    app.state.rate_limiter = RateLimiter()
    app.add_middleware(ETagMiddleware)  # inside CORS, so a 304 gets the CORS headers too
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "If-None-Match", "Content-Type"],
            expose_headers=["ETag", "Retry-After", "X-Next-Cursor", "Link", "Content-Disposition"],
        )
    errors.install(app)
    app.include_router(export.router)  # before members: /v1/members/search.csv is not a member id
    app.include_router(members.router)
    app.include_router(statements.router)
    app.include_router(match.router)
    app.include_router(topics.router)
    app.include_router(assemblies.router)
    app.include_router(saved_searches.router)
    app.include_router(web.router)
    return app
