"""Import minutes in the PoliInfo JSON format into the raw store.

PoliInfo (NTCIR QA Lab-PoliInfo) files are lists of meetings::

    [{"Date": "2020/2/26", "Prefecture": "東京都", "ProceedingTitle": "令和二年東京都議会会議録第二号",
      "URL": "https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html",
      "Proceeding": [{"Speaker": "百十六番（増子ひろき君）", "Utterance": "…"}]}]

All PoliInfo data is from the Tokyo Metropolitan Assembly (団体コード 130001).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from crawlers.rawstore import RawStore
from crawlers.records import MeetingRecord, SpeechRecord

TOKYO = {"assembly_code": "130001", "assembly_name": "東京都議会", "prefecture": "東京都"}


class PoliInfoError(Exception):
    """A file or one of its meetings is not valid PoliInfo; the message names it."""


@dataclass
class ImportSummary:
    files: int = 0
    meetings: int = 0
    created: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"imported {self.files} file(s): {self.meetings} meetings, {self.created} new, "
            f"{self.unchanged} already stored, {len(self.rejected)} rejected"
        )


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value.strip())
    if not match:
        raise ValueError(f"unrecognised date {value!r}")
    return date(*(int(g) for g in match.groups()))


def _kind_and_committee(title: str, url: str) -> tuple[str, str | None]:
    if "臨時会" in title or "/record/extraordinary/" in url:
        return "臨時会", None
    # 速記録第二号, 会議録…, and the drafting committees' 「賀詞起草特別委員会の記録」.
    match = re.match(r"(.+?(?:委員会|審査会|小委員会))の?(?:速記録|会議録|記録)", title)
    if match or "/record/proceedings/" not in url and "委員会" in title:
        return "委員会", match.group(1) if match else None
    return "本会議", None


def meeting_from_poliinfo(item: dict, where: str) -> MeetingRecord:
    try:
        url = item["URL"]
        title = item["ProceedingTitle"]
        kind, committee = _kind_and_committee(title, url)
        speeches = [
            SpeechRecord(order=i, speaker=None if s.get("Speaker") in (None, "null") else s["Speaker"], text=s["Utterance"])
            for i, s in enumerate(item["Proceeding"])
        ]
        return MeetingRecord(
            source_system="poliinfo",
            source_id=url,
            meeting_kind=kind,
            committee=committee,
            date=_parse_date(item.get("Date")),
            title=title,
            url=url,
            speeches=speeches,
            **TOKYO,
        )
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise PoliInfoError(f"{where}: not a PoliInfo meeting: {exc}") from exc


def read_poliinfo(path: Path) -> Iterator[MeetingRecord]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoliInfoError(f"{path}: cannot read PoliInfo JSON: {exc}") from exc
    if not isinstance(data, list):
        raise PoliInfoError(f"{path}: expected a JSON list of meetings, got {type(data).__name__}")
    for i, item in enumerate(data):
        yield meeting_from_poliinfo(item, f"{path}[{i}]")


def import_files(paths: list[Path], store: RawStore) -> ImportSummary:
    summary = ImportSummary()
    for path in paths:
        files = sorted(path.glob("**/*.json")) if path.is_dir() else [path]
        for file in files:
            summary.files += 1
            try:
                for record in read_poliinfo(file):
                    summary.meetings += 1
                    result = store.put(record)
                    if result.created:
                        summary.created += 1
                    else:
                        summary.unchanged += 1
            except PoliInfoError as exc:
                summary.rejected.append(str(exc))
    return summary
