from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api.deps import MemberFiltersDep, SearcherDep
from api.pagination import PageDep
from api.schemas import MemberTopic, MemberTopics, Topic, TopicMember, TopicMembers, Topics
from index import topic_profiles

router = APIRouter(tags=["topics"])


@router.get("/v1/topics", response_model=Topics, summary="政策トピックの一覧")
def list_topics(searcher: SearcherDep) -> Topics:
    """二階層の政策トピック (子育て › 病児保育 など) と、それぞれに取り組む発言・議員の数。"""
    rows = topic_profiles.list_topics(searcher)
    return Topics(count=len(rows), data=[Topic(**r) for r in rows])


@router.get("/v1/topics/{topic_id}/members", response_model=TopicMembers, summary="トピックに取り組む議員")
def topic_members(topic_id: str, searcher: SearcherDep, filters: MemberFiltersDep, page: PageDep) -> TopicMembers:
    """このトピックに取り組む質問段落が多い議員 (新しい発言ほど重い)。`party` を付けると、同じ順のままその会派の議員だけ。"""
    found = topic_profiles.topic(searcher, topic_id)
    if found is None:
        raise HTTPException(404, f"topic {topic_id!r} not found; see /v1/topics")
    rows = topic_profiles.topic_members(searcher, topic_id, filters, page.limit, page.offset)
    return TopicMembers(topic_id=topic_id, label=found["label"], count=len(rows), offset=page.offset,
                        next_cursor=page.next_cursor(len(rows)), data=[TopicMember(**r) for r in rows])


@router.get("/v1/members/{member_id}/topics", response_model=MemberTopics, summary="議員のトピック構成")
def member_topics(member_id: str, searcher: SearcherDep) -> MemberTopics:
    """議員本人の質問段落に占める各トピックの割合 (年別)。"""
    if searcher.member(member_id) is None:
        raise HTTPException(404, f"member {member_id!r} not found")
    return MemberTopics(member_id=member_id, data=[MemberTopic(**r) for r in topic_profiles.member_topics(searcher, member_id)])
