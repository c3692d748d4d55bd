"""From a company's description of its solution to members who care about that problem.

A description ("病児保育のオンライン予約システム。LINEから予約できる") is longer
and vaguer than a search query. We read the policy topics it names from the
taxonomy, rank members with the same hybrid ranking as search but with the
tagger's evidence for those topics weighing more, and explain each member by
the topics their evidence shares with the description.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.members import MemberScore
from index.search import Filters, Searcher
from index.session_day import SessionDay, lead_members
from nlp.description import description_tokens

TOPIC_MIN = 0.3
MAX_QUERY_TOPICS = 5
# The topics a description names lift passages the tagger says engage with them (search uses
# 0.2). Measured on the dev member queries sent as descriptions (nDCG@10 topic / summary,
# date-filtered; whole index) and on ten company descriptions (share of the top-5 members'
# evidence passages tagged with a topic of the description):
#   seed terms of each topic added to the query (6 per topic, the previous way):
#       0.876 / 0.880; 0.636 / 0.725; evidence on topic 70 %
#   no expansion, weight 0.2: 0.913 / 0.923; 0.808 / 0.866; 57 %
#   no expansion, weight 1.0: 0.909 / 0.923; 0.809 / 0.863; 67 %   ← kept
#   (1 seed + 0.5: 0.912 / 0.911, 0.778 / 0.839, 69 %; weight 2.0: whole-index summary 0.848)
# Seed terms match words the member never tied to the need (予約 in 教習所の予約待ち).
MATCH_TOPIC_WEIGHT = 1.0
# A topic the searched minutes never take up (病児保育 in a town whose members never said it) is
# searched through its parent (子育て) at this share of its confidence: members who work on the
# wider field are the ones to approach, and without it the ranking falls back on the description's
# other words (自治体, 負担, 対応 in a company's text) and shows unrelated evidence.
PARENT_FALLBACK = 0.5


@dataclass
class TopicScore:
    topic_id: str
    label: str
    score: float
    # Members' own passages in the searched selection that engage with the topic: all members'
    # for the description's topics (0 says the minutes searched never take it up), the member's own
    # for a member's matched topics.
    passages: int | None = None
    # Set on a parent topic searched in place of a topic of the description that no passage takes
    # up: that topic's id.
    fallback_for: str | None = None


@dataclass
class MatchedMember:
    member: MemberScore
    topics: list[TopicScore]
    reason: str


@dataclass
class MatchOutcome:
    topics: list[TopicScore]
    members: list[MatchedMember]


def _reason(member: MemberScore, topics: list[TopicScore], passages: int, meetings: int) -> str:
    # Counts say what is true of the named topics: the member's passages tagged with them, not
    # every passage that shares a word with the description. Without a shared topic: related words.
    if topics:
        text = f"{'、'.join(t.label for t in topics[:3])}について{meetings}回の会議で{passages}件の発言"
    else:
        text = f"説明に近い内容について{member.meetings}回の会議で{member.matched_passages}件の発言"
    latest = max(member.evidence, key=lambda h: (h.date is not None, h.date), default=None)
    if latest is not None:
        text += f"（最新: {latest.date or '日付不明'}「{latest.meeting_title}」）"
    if member.answers:
        text += "。執行部の答弁を引き出している"
    return text + "。"


def description_topics(searcher: Searcher, description: str,
                       filters: Filters) -> tuple[list[TopicScore], dict[str, np.ndarray]]:
    """The topics a description names (``passages``: members' passages in the selection on each), then
    the parents searched in place of those no passage takes up; and those passages per topic."""
    from nlp.topics import default_tagger

    tagger = default_tagger()
    found = [
        TopicScore(tid, tagger.taxonomy.get(tid).label, round(score, 3))
        for tid, score in tagger.topics_for_query(description)[:MAX_QUERY_TOPICS]
        if score >= TOPIC_MIN
    ]
    engaged = searcher.topic_passages([t.topic_id for t in found], filters, TOPIC_MIN)
    for topic in found:
        topic.passages = len(engaged[topic.topic_id])
    return found + _parent_fallbacks(searcher, tagger, found, filters, engaged), engaged


def ranking_settings(description: str, found: list[TopicScore]) -> dict:
    """The fusion settings (``Searcher.ranking``) a description's passages are ranked with: its topics at
    MATCH_TOPIC_WEIGHT and, when a parent stands in for a topic the minutes lack, that parent too."""
    settings: dict = {"topic_weight": MATCH_TOPIC_WEIGHT}
    fallbacks = [(t.topic_id, t.score) for t in found if t.fallback_for]
    if fallbacks:
        from nlp.topics import default_tagger

        # What the search reads from the text, plus the parents standing in for the missing topics.
        read = default_tagger().topics_for_query(description)
        settings["query_topics"] = read + [f for f in fallbacks if f[0] not in {tid for tid, _ in read}]
    return settings


def description_ranking(searcher: Searcher, description: str, filters: Filters) -> dict:
    """``ranking_settings`` for a text in a selection: for rankings of the same text outside the match
    (a member's own passages on the member page), so they weigh the same topics."""
    return ranking_settings(description, description_topics(searcher, description, filters)[0])


def match_members(searcher: Searcher, description: str, filters: Filters, limit: int = 10,
                  offset: int = 0, session_day: SessionDay | None = None) -> MatchOutcome:
    """Members for a description; with ``session_day``, those who took it up on its day lead (``index.session_day``),
    and the description's topics are counted over the days around it."""
    if session_day is not None:
        need = offset + limit
        on_day = match_members(searcher, description, session_day.on_day(filters), need)
        around = match_members(searcher, description, session_day.window(filters), need)
        ranked = lead_members(session_day, on_day.members, around.members, lambda m: m.member)
        return MatchOutcome(around.topics, ranked[offset:need])
    found, engaged = description_topics(searcher, description, filters)
    topic_ids = [t.topic_id for t in found]

    def on_need(pids: np.ndarray) -> np.ndarray:
        return searcher.passages_on_topics(pids, topic_ids, TOPIC_MIN)

    with searcher.ranking(**ranking_settings(description, found)):
        members = searcher.rank_members_for_tokens(description, description_tokens(description), filters, limit, offset,
                                                   on_need=on_need if found else None)
    own = searcher.own_passages(engaged, [m.member_id for m in members])
    outcome = []
    for member in members:
        # A topic is shared when one of the evidence passages shown is among the member's passages on it
        # (evidence is the member's own passages in the same selection, so no second topic lookup).
        mine = own[member.member_id]
        shown = np.asarray([h.passage_id for h in member.evidence], dtype=np.int32)
        shared = [TopicScore(t.topic_id, t.label, t.score, len(mine[t.topic_id]), t.fallback_for)
                  for t in found if np.isin(shown, mine[t.topic_id]).any()]
        union = (np.unique(np.concatenate([mine[t.topic_id] for t in shared])) if shared
                 else np.zeros(0, dtype=np.int32))
        # The reason names the shared topics, so only the passages that take them up are shown: a passage
        # sharing only a word (予約 in 教習所の予約待ち, 自治体 and 負担 of a company's text) does not support it.
        # A member without a shared topic keeps their nearest passages, and the page says the match is weak.
        on_topic = set(union.tolist())
        if on_topic:
            member.evidence = [h for h in member.evidence if h.passage_id in on_topic]
        outcome.append(MatchedMember(member, shared, _reason(member, shared, len(union), searcher.meetings_of(union))))
    return MatchOutcome(found, outcome)


def _parent_fallbacks(searcher: Searcher, tagger, found: list[TopicScore], filters: Filters,
                      engaged: dict[str, np.ndarray]) -> list[TopicScore]:
    """Parents of the description's topics that no passage in the selection takes up, when the parent is
    taken up and is not a topic of the description already; ``engaged`` gains their passages."""
    named = {t.topic_id for t in found}
    out: dict[str, TopicScore] = {}
    for topic in found:
        parent = tagger.taxonomy.get(topic.topic_id).parent
        if topic.passages or not parent or parent in named:
            continue
        score = round(topic.score * PARENT_FALLBACK, 3)
        if parent not in out or out[parent].score < score:
            out[parent] = TopicScore(parent, tagger.taxonomy.get(parent).label, score, fallback_for=topic.topic_id)
    if not out:
        return []
    engaged.update(searcher.topic_passages(list(out), filters, TOPIC_MIN))
    kept = []
    for topic in out.values():
        topic.passages = len(engaged[topic.topic_id])
        if topic.passages:
            kept.append(topic)
    return kept
