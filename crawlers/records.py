"""Raw records: the one schema every source (importers and spiders) writes.

A raw record is what a source said, unchanged except for decoding: one record
per meeting (minutes), per member (roster entry) or per post (a member's blog
entry). Speaker strings and texts are kept verbatim; parsing them is the build's
job (``nlp``), so a better parser never needs a re-crawl.

Example::

    MeetingRecord(
        source_system="poliinfo",
        source_id="https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html",
        assembly_code="130001", assembly_name="東京都議会", prefecture="東京都",
        meeting_kind="本会議", date=Date(2020, 2, 26),
        title="令和二年東京都議会会議録第二号",
        url="https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html",
        speeches=[SpeechRecord(order=0, speaker="百十六番（増子ひろき君）", text="…")],
    )
"""

from __future__ import annotations

import hashlib
import json
from datetime import date as Date
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

SCHEMA_VERSION = 1

MeetingKind = Literal["本会議", "委員会", "臨時会", "その他"]

SOURCE_SYSTEMS = (
    "poliinfo",
    "discussnet_ssp",
    "dbsearch",
    "voices",
    "kensakusystem",
    "kokkai",
    "tokyo_gikai",
    "roster",
    "member_pages",
    # Benchmark corpora made by index/synth.py from real sentences; never a real source.
    "synthetic",
)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = SCHEMA_VERSION
    source_system: str = Field(description="Which importer or spider produced the record.")
    source_id: str = Field(
        min_length=1,
        description="Stable id of the thing at its source (usually its URL); "
        "a re-crawl of the same meeting yields the same source_id.",
    )
    # Fetch time is metadata: it is excluded from the content hash so that
    # re-fetching unchanged minutes is recognised as a duplicate.
    fetched_at: datetime | None = None

    @field_validator("source_system")
    @classmethod
    def _known_system(cls, v: str) -> str:
        if v not in SOURCE_SYSTEMS:
            raise ValueError(f"unknown source_system {v!r}; expected one of {SOURCE_SYSTEMS}")
        return v

    def content_hash(self) -> str:
        payload = self.model_dump(mode="json", exclude={"fetched_at"})
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class SpeechRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    order: int = Field(ge=0, description="Position of the speech in the meeting, from 0.")
    speaker: str | None = Field(
        default=None, description="Speaker string verbatim, e.g. 百十六番（増子ひろき君）; None for unattributed text."
    )
    text: str


class MeetingRecord(_Record):
    record_type: Literal["meeting"] = "meeting"
    assembly_code: str = Field(pattern=r"^\d{6}$", description="全国地方公共団体コード (6 digits, with check digit).")
    assembly_name: str
    prefecture: str | None = None
    meeting_kind: MeetingKind
    committee: str | None = Field(default=None, description="Committee name for 委員会 minutes.")
    date: Date | None = Field(default=None, description="Meeting date; None only when the source gives none.")
    title: str
    url: str = Field(min_length=1, description="Where a person can read these minutes.")
    speeches: list[SpeechRecord]


class MemberRecord(_Record):
    """One roster entry of a member as published by an assembly or a member's own site."""

    record_type: Literal["member"] = "member"
    assembly_code: str = Field(pattern=r"^\d{6}$")
    name: str
    reading: str | None = None
    party: str | None = None
    seat: str | None = None
    district: str | None = Field(default=None, description="選挙区 as the roster prints it.")
    committees: list[str] = []
    term_start: Date | None = None
    term_end: Date | None = None
    url: str
    links: dict[str, str] = Field(default_factory=dict, description="kind (site, blog, x, facebook…) → URL")


class PostRecord(_Record):
    """One post from a member's blog or feed."""

    record_type: Literal["post"] = "post"
    assembly_code: str = Field(pattern=r"^\d{6}$")
    member_name: str
    url: str
    title: str
    published: datetime | None = None
    text: str


RawRecord = Annotated[MeetingRecord | MemberRecord | PostRecord, Field(discriminator="record_type")]


_ADAPTER: TypeAdapter[MeetingRecord | MemberRecord | PostRecord] = TypeAdapter(RawRecord)


def parse_record(data: dict[str, Any]) -> MeetingRecord | MemberRecord | PostRecord:
    """Validate a stored JSON object back into its record class."""
    return _ADAPTER.validate_python(data)
