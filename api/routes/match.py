from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException

from api.deps import (
    SearcherDep,
    SearchGateDep,
    SettingsDep,
    clean_text,
    party_filter,
    session_day_of,
    with_description_terms,
)
from api.pagination import body_page
from api.schemas import MatchHit, MatchRequest, MatchResult, MemberHit, TopicRef
from index.match import match_members
from index.search import Filters

router = APIRouter(prefix="/v1", tags=["match"])


@router.post("/match", response_model=MatchResult, summary="解決策に合う議員を探す")
async def match(body: MatchRequest, searcher: SearcherDep, settings: SettingsDep, gate: SearchGateDep) -> MatchResult:
    """会社の解決策や課題の説明文から、その課題に取り組んでいる議員を、一致した政策トピック・根拠段落・推薦理由つきで返します。

    `topics` は説明から読み取った政策トピックと、検索した議会・期間でそれに取り組む議員の段落数 (`passages`) です。
    段落が 0 のトピックは、その上位のトピックで代わりに探し、`fallback_for` に元のトピックIDを入れて `topics` に加えます
    (例: 病児保育の発言がなければ 子育て)。一致したトピックのある議員の根拠 (`evidence`) は、そのトピックに取り組む段落だけです。
    `terms` は根拠の本文で強調するとよい語です。
    `on` は `GET /v1/members/search` と同じく、その日に取り上げた議員を先頭に (`led_on`)、続けて前後 `around` 日の議員を並べます。
    `party` も同じく、順位はそのままでその会派の議員だけを返します (`topics` の段落数は会派で絞りません)。

    ページングは GET の一覧と同じです: レスポンスの `next_cursor` を、同じ本文の `cursor` に入れて送ると続きのページを返します
    (最後のページでは null)。
    """
    description = clean_text(body.description, "description", 2000)
    for code in body.assemblies or []:
        if not re.fullmatch(r"[0-9]{6}", code):
            raise HTTPException(422, f"assemblies: {code[:20]!r} is not a 6-digit 団体コード")
    if body.since and body.until and body.since > body.until:
        raise HTTPException(422, f"since ({body.since}) is after until ({body.until})")
    # Pages like the GET listings: the cursor is bound to every body field but cursor/offset/limit.
    page = body_page("/v1/match", body)
    filters = Filters(assembly=body.assemblies or None, since=body.since, until=body.until, party=party_filter(body.party))
    session_day = session_day_of(body.on, body.around, filters)
    result, terms = await gate.run("match", with_description_terms, description, match_members, searcher, description, filters,
                                    limit=page.limit, offset=page.offset, session_day=session_day)
    return MatchResult(
        description=description,
        topics=[TopicRef(**t.__dict__) for t in result.topics],
        terms=terms,
        count=len(result.members),
        offset=page.offset,
        next_cursor=page.next_cursor(len(result.members)),
        data=[
            MatchHit(**MemberHit.of(m.member).model_dump(), matched_topics=[TopicRef(**t.__dict__) for t in m.topics],
                     reason=m.reason)
            for m in result.members
        ],
    )
