"""The Japanese search page: plain HTML + CSS + one ES module from `api/web/`, no build step.

`/`, `/members/{id}` and `/assemblies/{code}` all return the same `index.html`; the module
routes on the client with the history API. `/static/...` serves the files next to it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
INDEX = WEB_DIR / "index.html"

router = APIRouter(tags=["web"], include_in_schema=False)
# Served through a route rather than `router.mount`, which older FastAPI versions drop from include_router.
_static = StaticFiles(directory=WEB_DIR)


def _page() -> FileResponse:
    return FileResponse(INDEX, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


@router.api_route("/", methods=["GET", "HEAD"])
def home() -> FileResponse:
    return _page()


@router.api_route("/members/{member_id}", methods=["GET", "HEAD"])
def member_page(member_id: str) -> FileResponse:
    return _page()


@router.api_route("/assemblies/{code}", methods=["GET", "HEAD"])
def assembly_page(code: str) -> FileResponse:
    return _page()


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
async def static(path: str, request: Request) -> Response:
    response = await _static.get_response(path, request.scope)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response
