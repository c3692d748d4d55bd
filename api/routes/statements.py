from __future__ import annotations

from fastapi import APIRouter

from api.deps import FiltersDep, LimitDep, OffsetDep, QueryDep, SearcherDep
from api.schemas import Statement, StatementSearch

router = APIRouter(prefix="/v1/statements", tags=["statements"])


@router.get("/search", response_model=StatementSearch, summary="発言を探す")
def search_statements(
    q: QueryDep, searcher: SearcherDep, filters: FiltersDep, limit: LimitDep = 10, offset: OffsetDep = 0,
) -> StatementSearch:
    """議員の質問と執行部の答弁の段落を BM25 で検索します。"""
    hits = searcher.search_statements(q, limit=limit, offset=offset, filters=filters)
    return StatementSearch(query=q, count=len(hits), offset=offset, data=[Statement.of(h) for h in hits])
