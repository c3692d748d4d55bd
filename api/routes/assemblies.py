from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import SearcherDep
from api.schemas import Assemblies, Assembly, Health

router = APIRouter(tags=["assemblies"])


@router.get("/v1/assemblies", response_model=Assemblies, summary="収録している議会")
def list_assemblies(searcher: SearcherDep) -> Assemblies:
    rows = searcher.assemblies()
    return Assemblies(count=len(rows), data=[Assembly(**r) for r in rows])


@router.get("/healthz", response_model=Health, tags=["health"], summary="稼働確認", openapi_extra={"security": []})
def health(searcher: SearcherDep) -> Health:
    return Health(ok=True, index=searcher.build_info())


@router.head("/healthz", include_in_schema=False)
def health_head(searcher: SearcherDep) -> Response:
    """For monitors that probe with HEAD: the same status as GET (503 without an index), no body."""
    searcher.build_info()
    return Response(status_code=200)
