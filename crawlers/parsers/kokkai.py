"""国会会議録検索システム API (National Diet Library), JSON responses.

``GET https://kokkai.ndl.go.jp/api/meeting?nameOfHouse=衆議院&from=2024-01-01&until=…
&maximumRecords=10&startRecord=1&recordPacking=json`` answers::

    {"numberOfRecords": 123, "numberOfReturn": 10, "startRecord": 1, "nextRecordPosition": 11,
     "meetingRecord": [{"issueID": "121405254X00120240126", "session": 214, "nameOfHouse": "衆議院",
                        "nameOfMeeting": "本会議", "issue": "第1号", "date": "2024-01-26",
                        "meetingURL": "https://kokkai.ndl.go.jp/txt/121405254X00120240126",
                        "speechRecord": [{"speechID": "…_000", "speechOrder": 0, "speaker": "会議録情報",
                                          "speech": "…", "speechURL": "…"}, …]}]}

``/api/speech`` answers ``speechRecord`` at the top level, each speech carrying its
meeting's fields. ``nextRecordPosition`` is absent (or null) on the last page. An
error is ``{"message": …, "details": […]}``. Speech 0 (``会議録情報``) is the
front matter. A speech's text starts with its speaker line, ``○議長（額賀福志郎君）　…``;
that line is what ``speaker`` keeps (as the local minutes print it), and the
text is what follows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date as Date
from typing import Any

from crawlers.parsers.page import MeetingLink, ParsedPage, ParsedSpeech

FRONT_MATTER_SPEAKER = "会議録情報"
_SPEAKER_LINE = re.compile(r"^[\s　]*[○◯〇][\s　]*(?P<speaker>[^\s　]+)[\s　]*(?P<text>.*)$", re.DOTALL)
_RULE_TAIL = re.compile(r"(?:\n[\s　]*[―─－-]+[◇◆○]?[―─－-]*[\s　]*)+$")
_COMMITTEE_WORDS = ("委員会", "調査会", "審査会", "分科会", "小委員会", "協議会")


@dataclass(frozen=True)
class KokkaiMeeting:
    page: ParsedPage
    url: str
    issue_id: str
    house: str
    name_of_meeting: str
    session: int | None

    @property
    def meeting_kind(self) -> str:
        if "本会議" in self.name_of_meeting:
            return "本会議"
        if any(w in self.name_of_meeting for w in _COMMITTEE_WORDS):
            return "委員会"
        return "その他"

    @property
    def committee(self) -> str | None:
        return self.name_of_meeting if self.meeting_kind == "委員会" else None


@dataclass(frozen=True)
class MeetingPage:
    meetings: list[KokkaiMeeting]
    number_of_records: int
    next_record_position: int | None


def load(body: bytes | str) -> dict[str, Any]:
    data = json.loads(body.decode("utf-8-sig") if isinstance(body, bytes) else body)
    if not isinstance(data, dict):
        raise ValueError(f"unexpected JSON: top level is {type(data).__name__}")
    if "message" in data and "numberOfRecords" not in data:
        details = "; ".join(str(d) for d in data.get("details") or [])
        raise ValueError(f"kokkai API error: {data['message']}{': ' + details if details else ''}")
    if "numberOfRecords" not in data:
        raise ValueError(f"unexpected JSON: no numberOfRecords (got {sorted(data)})")
    return data


def split_speech(speech: str, speaker_field: str | None) -> ParsedSpeech:
    m = _SPEAKER_LINE.match(speech or "")
    if m:
        return ParsedSpeech(speaker=m.group("speaker"), text=_RULE_TAIL.sub("", m.group("text")).strip())
    return ParsedSpeech(speaker=speaker_field or None, text=_RULE_TAIL.sub("", speech or "").strip())


def _date(value: Any) -> Date | None:
    try:
        return Date.fromisoformat(str(value))
    except ValueError:
        return None


def _meeting(record: dict[str, Any]) -> KokkaiMeeting:
    speeches = [
        split_speech(s.get("speech", ""), s.get("speaker"))
        for s in sorted(record.get("speechRecord") or [], key=lambda s: int(s.get("speechOrder", 0)))
        if s.get("speaker") != FRONT_MATTER_SPEAKER and int(s.get("speechOrder", 1)) != 0
    ]
    speeches = [s for s in speeches if s.text]
    session = record.get("session")
    house = str(record.get("nameOfHouse") or "")
    name = str(record.get("nameOfMeeting") or "")
    title = " ".join(
        p for p in (f"第{session}回国会" if session else "", house, name, str(record.get("issue") or "")) if p
    )
    issue_id = str(record["issueID"])
    url = record.get("meetingURL") or f"https://kokkai.ndl.go.jp/txt/{issue_id}"
    page = ParsedPage(kind="minutes", speeches=speeches, date=_date(record.get("date")), title=title)
    return KokkaiMeeting(page, url, issue_id, house, name, int(session) if session else None)


def parse_meeting_page(body: bytes | str) -> MeetingPage:
    """An ``/api/meeting`` response → its meetings and the next ``startRecord`` (None at the end)."""
    data = load(body)
    records = data.get("meetingRecord") or []
    if not isinstance(records, list):
        raise ValueError("unexpected JSON: meetingRecord is not a list")
    nxt = data.get("nextRecordPosition")
    return MeetingPage(
        [_meeting(r) for r in records], int(data["numberOfRecords"]), int(nxt) if nxt else None
    )


def parse(body: bytes, url: str) -> ParsedPage:
    """One saved response: a single meeting → its minutes; several → the list; ``/api/speech`` → the speeches."""
    data = load(body)
    if "meetingRecord" in data or not data.get("speechRecord"):
        meetings = parse_meeting_page(body).meetings
        if len(meetings) == 1:
            return meetings[0].page
        return ParsedPage(
            kind="meeting_list",
            meetings=[MeetingLink(title=m.page.title or m.issue_id, date=m.page.date, url=m.url) for m in meetings],
        )
    speeches = [split_speech(s.get("speech", ""), s.get("speaker")) for s in data["speechRecord"]]
    return ParsedPage(kind="other", speeches=[s for s in speeches if s.text])
