"""Members beyond the minutes: roster entries and members' own posts, joined to minutes speakers.

Entity resolution is by (assembly, ``nlp.names.name_key``): spacing, honorifics
and variant characters are folded, so 「もり　　愛」 in a roll call, 「もり愛」 in a
speaker line and 「もり 愛」 on a roster are one person. A post whose author
cannot be matched to exactly one member of its assembly is counted and left
out, never attached to a guess.

Posts become passages with ``role_kind = 'post'`` (and a pseudo meeting of kind
ブログ holding their URL), so BM25, topics and vectors treat them like any
text, while ranking and the API keep them apart from assembly statements.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crawlers.records import MemberRecord, PostRecord
from nlp.names import name_key
from nlp.passages import clean_speech_text, split_passages

POST_KIND = "ブログ"


@dataclass
class RosterInfo:
    reading: str | None = None
    party: str | None = None
    seat: str | None = None
    district: str | None = None
    committees: list[str] = field(default_factory=list)
    term_start: object = None
    term_end: object = None
    profile_url: str | None = None
    links: dict[str, str] = field(default_factory=dict)


def roster_by_member(records: list[MemberRecord], member_id) -> tuple[dict[str, RosterInfo], list[dict]]:
    """Latest roster info per member id, and every roster record as a dated affiliation row."""
    latest: dict[str, tuple] = {}
    affiliations = []
    for rec in records:
        mid = member_id(rec.assembly_code, name_key(rec.name))
        stamp = rec.fetched_at.isoformat() if rec.fetched_at else ""
        affiliations.append({
            "member_id": mid, "assembly_code": rec.assembly_code, "party": rec.party, "seat": rec.seat,
            "district": rec.district, "committees": list(rec.committees), "term_start": rec.term_start,
            "term_end": rec.term_end, "source_url": rec.url, "observed_at": _utc(rec.fetched_at), "source": "roster",
        })
        if mid not in latest or stamp >= latest[mid][0]:
            latest[mid] = (stamp, RosterInfo(
                reading=rec.reading, party=rec.party, seat=rec.seat, district=rec.district,
                committees=list(rec.committees), term_start=rec.term_start, term_end=rec.term_end,
                profile_url=rec.url, links=dict(rec.links),
            ))
    return {mid: info for mid, (_, info) in latest.items()}, affiliations


def _utc(moment: datetime | None) -> datetime | None:
    """A naive UTC timestamp (the column's convention; ``index.search`` puts the zone back)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def post_id(post: PostRecord) -> str:
    return "post-" + hashlib.sha1(post.url.encode("utf-8")).hexdigest()[:16]


def post_rows(post: PostRecord, mid: str, member_name: str, first_passage_id: int) -> tuple[dict, dict, list[dict]]:
    """Meeting-like, speech-like and passage rows for one post."""
    pid = post_id(post)
    day = post.published.date() if post.published else None
    meeting = {
        "meeting_id": pid, "assembly_code": post.assembly_code, "source_system": post.source_system,
        "source_id": post.source_id, "kind": POST_KIND, "committee": None, "date": day, "title": post.title,
        "url": post.url, "content_hash": post.content_hash(),
    }
    text = clean_speech_text(post.text)
    speech = {
        "speech_id": f"{pid}-0", "meeting_id": pid, "ord": 0, "speaker_raw": post.member_name, "role": POST_KIND,
        "role_kind": "post", "speaker_name": member_name, "seat": None, "member_id": mid,
        "answers_speech_id": None, "text": text,
    }
    passages = [
        {
            "passage_id": first_passage_id + i, "statement_id": f"{pid}-0-p{p.ordinal}", "speech_id": f"{pid}-0",
            "meeting_id": pid, "assembly_code": post.assembly_code, "date": day, "member_id": mid,
            "role_kind": "post", "ordinal": p.ordinal, "heading": post.title if p.ordinal == 0 else None,
            "text": p.text, "answers_passage_id": None, "n_tokens": 0, "_answers_speech": None,
            "speaker_name": member_name, "speaker_role": POST_KIND,
        }
        for i, p in enumerate(split_passages(text))
    ]
    return meeting, speech, passages
