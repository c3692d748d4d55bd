"""File exports of the two searches: ``/v1/members/search.csv|.jsonl`` and ``/v1/statements/search.csv|.jsonl``.

Included before the members router, so ``/v1/members/search.csv`` is not taken for a member id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import FiltersDep, MemberFiltersDep, QueryDep, SearcherDep, SessionDayDep
from api.export import (
    MEDIA_TYPES,
    STATEMENT_COLUMNS,
    ExportFormat,
    content_disposition,
    csv_lines,
    jsonl_lines,
    member_columns,
)
from api.pagination import Page, paginate
from api.schemas import MemberHit, Statement

router = APIRouter(tags=["export"])

ExportPage = Annotated[Page, Depends(paginate(default_limit=100, max_limit=1000))]
FormatPath = Annotated[ExportFormat, Path(
    description="csv (UTF-8 BOM付き、Excel でそのまま開けます) または jsonl。CSV をダブルクリックで開くと Excel は"
                "団体コードを数値にして先頭の 0 を落とします (010006 → 10006): 「データ」→「テキストまたは CSV から」で"
                "その列を文字列として読み込んでください")]

_FILE_RESPONSES = {
    200: {
        "description": "CSV: 1行目が日本語の見出し。JSONL: 1行に1件 (JSON API と同じオブジェクト)。"
                       "続きがあるときは `X-Next-Cursor` と `Link: <...>; rel=\"next\"` ヘッダ。",
        "content": {
            "text/csv": {"example": "\ufeff順位,議員ID,氏名,団体コード,議会,スコア,...\r\n1,130001-...,増子ひろき,130001,東京都議会,..."},
            "application/x-ndjson": {"example": '{"member_id": "130001-...", "name": "増子ひろき", ...}\n'},
        },
    },
}


def _file(request: Request, lines, fmt: ExportFormat, kind: str, q: str, page: Page, returned: int) -> StreamingResponse:
    headers = {"Content-Disposition": content_disposition(kind, q, fmt)}
    following = page.next_cursor(returned)
    if following:
        headers["X-Next-Cursor"] = following
        url = request.url.remove_query_params(["offset", "cursor"]).include_query_params(cursor=following)
        headers["Link"] = f'<{url}>; rel="next"'
    return StreamingResponse(lines, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/v1/members/search.{fmt}", response_class=StreamingResponse, responses=_FILE_RESPONSES,
            summary="議員検索の結果をファイルで (CSV / JSONL)")
def export_members(
    request: Request, fmt: FormatPath, q: QueryDep, searcher: SearcherDep, filters: MemberFiltersDep,
    session_day: SessionDayDep, page: ExportPage,
    evidence: Annotated[int, Query(ge=0, le=10, description="議員ごとの根拠段落の数 (0 なら答弁・投稿も含めて根拠なし)")] = 3,
) -> StreamingResponse:
    """`/v1/members/search` と同じ条件 (`on` も) で、最大1,000人を CSV または JSONL で返します (CRM への取り込み用)。
    CSV には根拠の発言ID・出典URL・抜粋の列と、`on` の日に発言して先頭に並んだ議員ならその日付の列「指定日に発言」があります。"""
    hits = searcher.search_members(q, limit=page.limit, offset=page.offset, filters=filters, evidence=evidence,
                                   session_day=session_day)
    items = (MemberHit.of(h) for h in hits)
    if fmt is ExportFormat.csv:
        from nlp.highlight import query_terms

        lines = csv_lines(member_columns(query_terms(q)), items, page.offset + 1)
    else:
        lines = jsonl_lines(items)
    return _file(request, lines, fmt, "members", q, page, len(hits))


@router.get("/v1/statements/search.{fmt}", response_class=StreamingResponse, responses=_FILE_RESPONSES,
            summary="発言検索の結果をファイルで (CSV / JSONL)")
def export_statements(
    request: Request, fmt: FormatPath, q: QueryDep, searcher: SearcherDep, filters: FiltersDep, page: ExportPage,
) -> StreamingResponse:
    """`/v1/statements/search` と同じ条件で、最大1,000件の発言を CSV または JSONL で返します。"""
    hits = searcher.search_statements(q, limit=page.limit, offset=page.offset, filters=filters)
    items = (Statement.of(h) for h in hits)
    lines = csv_lines(STATEMENT_COLUMNS, items, page.offset + 1) if fmt is ExportFormat.csv else jsonl_lines(items)
    return _file(request, lines, fmt, "statements", q, page, len(hits))
