from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Query

from api.deps import (
    _NOT_BLANK,
    FiltersDep,
    MemberFiltersDep,
    QueryDep,
    SearcherDep,
    SearchGateDep,
    SessionDayDep,
    SettingsDep,
    clean_text,
    with_terms,
)
from api.pagination import Page20Dep, PageDep
from api.schemas import Member, MemberHit, MemberSearch, MemberStatements, Statement
from nlp.highlight import query_terms

router = APIRouter(prefix="/v1/members", tags=["members"])


@router.get("/search", response_model=MemberSearch, summary="課題に取り組む議員を探す")
async def search_members(
    q: QueryDep, searcher: SearcherDep, filters: MemberFiltersDep, session_day: SessionDayDep, page: PageDep,
    gate: SearchGateDep, evidence: int = Query(3, ge=0, le=10, description="議員ごとの根拠段落の数 (0 なら答弁・投稿も含めて根拠を返さず、氏名とスコアだけ)"),
) -> MemberSearch:
    """その課題について質問を重ねている議員を、スコアの内訳と根拠となる発言 (会議名・日付・出典URL) 付きで返します。

    `on` を付けると、その日に課題を強く取り上げた議員 (その日だけで測ったスコアがその日の最高の半分以上) を先頭に
    その日のスコア・根拠で並べ (`led_on` = その日)、続けて前後 `around` 日に取り上げた議員を並べます。
    `party` を付けると、同じ順位のままその会派の議員だけを返します。
    """
    hits, terms = await gate.run("members", with_terms, q, searcher.search_members, q, limit=page.limit, offset=page.offset,
                                  filters=filters, evidence=evidence, session_day=session_day)
    return MemberSearch(query=q, terms=terms, count=len(hits), offset=page.offset, next_cursor=page.next_cursor(len(hits)),
                        data=[MemberHit.of(h) for h in hits])


@router.get("/{member_id}", response_model=Member, summary="議員の基本情報")
def read_member(member_id: str, searcher: SearcherDep) -> Member:
    row = searcher.member(member_id)
    if row is None:
        raise HTTPException(404, f"member {member_id!r} not found")
    fields = {k: row[k] for k in Member.model_fields if k in row}
    fields["committees"] = row.get("committees") or []
    fields["links"] = json.loads(row["links"]) if row.get("links") else {}
    return Member(**fields, **searcher.member_extras(member_id, party=row.get("party")))


@router.get("/{member_id}/statements", response_model=MemberStatements, summary="議員の発言 (抜粋)")
def member_statements(
    member_id: str, searcher: SearcherDep, settings: SettingsDep, filters: FiltersDep, page: Page20Dep,
    q: str | None = Query(None, min_length=1, max_length=1000, pattern=_NOT_BLANK,
                          description="この語を含む発言に絞る (1,000字まで)"),
) -> MemberStatements:
    """議員本人の質問段落を新しい順 (q があれば一致順: 語の一致に、q が名指す政策トピックに取り組む段落を
    `POST /v1/match` と同じ重みで加えた順) に返します。出典URL付きの抜粋であり、全文集ではありません。"""
    if searcher.member(member_id) is None:
        raise HTTPException(404, f"member {member_id!r} not found")
    if q is not None:
        q = clean_text(q, "q", settings.max_query_chars)
    total, hits = searcher.member_statements(member_id, limit=page.limit, offset=page.offset, q=q, filters=filters)
    return MemberStatements(member_id=member_id, total=total, terms=query_terms(q, description=True) if q else [], offset=page.offset,
                            next_cursor=page.next_cursor(len(hits), total=total), data=[Statement.of(h) for h in hits])
