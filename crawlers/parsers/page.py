"""What a parser makes of one saved response, independent of Scrapy.

``gikai parse`` prints this as JSON; spiders use the same parse functions and
turn ``ParsedPage`` into requests (``links``/``meetings``) and raw records
(``speeches``).
"""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import BaseModel, Field


class MeetingLink(BaseModel):
    title: str
    date: Date | None = None
    url: str


class ParsedSpeech(BaseModel):
    speaker: str | None
    text: str


class ParsedPage(BaseModel):
    kind: Literal["meeting_list", "minutes", "other"]
    meetings: list[MeetingLink] = Field(default_factory=list)
    speeches: list[ParsedSpeech] = Field(default_factory=list)
    date: Date | None = None
    title: str | None = None
    # Navigation the spider should follow next (frames, next result page, …);
    # not printed by ``gikai parse``.
    links: list[str] = Field(default_factory=list, exclude=True)

    def to_json_dict(self) -> dict:
        return self.model_dump(mode="json", include={"kind", "meetings", "speeches", "date", "title"})
