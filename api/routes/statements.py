from __future__ import annotations

from fastapi import APIRouter

from api.deps import FiltersDep, QueryDep, SearcherDep, SearchGateDep, with_terms
from api.pagination import PageDep
from api.schemas import Statement, StatementSearch

router = APIRouter(prefix="/v1/statements", tags=["statements"])


@router.get("/search", response_model=StatementSearch, summary="発言を探す")
async def search_statements(
    q: QueryDep, searcher: SearcherDep, filters: FiltersDep, page: PageDep, gate: SearchGateDep,
) -> StatementSearch:
    """議員の質問と執行部の答弁の段落を、語の一致 (BM25) と意味の近さ (埋め込み) を合わせて検索します。"""
    hits, terms = await gate.run("statements", with_terms, q, searcher.search_statements, q, limit=page.limit, offset=page.offset,
                                  filters=filters)
    return StatementSearch(query=q, terms=terms, count=len(hits), offset=page.offset, next_cursor=page.next_cursor(len(hits)),
                           data=[Statement.of(h) for h in hits])
