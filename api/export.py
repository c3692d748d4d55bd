"""Search results as files for CRMs and spreadsheets: CSV (UTF-8 with BOM, Japanese headers) and JSONL.

CSV is what Excel and most CRM importers open without asking: UTF-8 with a byte-order mark,
CRLF line ends, one row per member or statement, the evidence as statement ids and source
URLs. JSONL carries exactly the objects of the JSON API (``MemberHit``, ``Statement``), one per line.

Cells that a spreadsheet would run as a formula (starting with ``= + - @``) are prefixed
with ``'`` (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import StrEnum
from urllib.parse import quote

from pydantic import BaseModel

from api.schemas import MemberHit, Statement

BOM = "\ufeff"
EXCERPT_CHARS = 200


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


MEDIA_TYPES = {ExportFormat.csv: "text/csv; charset=utf-8", ExportFormat.jsonl: "application/x-ndjson; charset=utf-8"}


def _urls(statements: list[Statement]) -> str:
    return " ".join(dict.fromkeys(s.source_url for s in statements))


def _excerpt(s: Statement, terms: Sequence[str] = ()) -> str:
    """Date, meeting and up to EXCERPT_CHARS characters of the passage, around the first of the
    query's words it holds (``terms``), as the page and the CLI cut it."""
    from nlp.highlight import excerpt

    return f"{s.date or ''} {s.meeting_title}: {excerpt(s.text, list(terms), EXCERPT_CHARS)}"


def member_columns(terms: Sequence[str] = ()) -> list[tuple[str, Callable[[int, MemberHit], object]]]:
    """The member CSV's columns; ``terms`` (the query's words, ``nlp.highlight.query_terms``) place the excerpt."""
    return [(name, get) if name != "根拠の抜粋" else
            (name, lambda rank, m: _excerpt(m.evidence[0], terms) if m.evidence else "")
            for name, get in MEMBER_COLUMNS]


MEMBER_COLUMNS: list[tuple[str, Callable[[int, MemberHit], object]]] = [
    ("順位", lambda rank, m: rank),
    ("議員ID", lambda rank, m: m.member_id),
    ("氏名", lambda rank, m: m.name),
    ("団体コード", lambda rank, m: m.assembly_code),
    ("議会", lambda rank, m: m.assembly_name),
    ("スコア", lambda rank, m: m.score),
    ("相対スコア", lambda rank, m: m.parts.relative),
    ("質問の一致度", lambda rank, m: m.parts.focus),
    ("答弁の一致度", lambda rank, m: m.parts.answers),
    ("会議の広がり", lambda rank, m: m.parts.breadth),
    ("発言全体の一致度", lambda rank, m: m.parts.speech),
    # The fifth part of the score (JSON parts.posts): without it the parts did not add up to スコア
    # for a member with blog posts, and the CSV could not say why they ranked.
    ("投稿の一致度", lambda rank, m: m.parts.posts),
    ("トピックの加点", lambda rank, m: m.parts.topic),
    ("新しさ", lambda rank, m: m.parts.recency),
    ("一致した段落数", lambda rank, m: m.matched_passages),
    ("取り上げた会議数", lambda rank, m: m.meetings),
    ("最初の日付", lambda rank, m: m.first_date),
    ("最後の日付", lambda rank, m: m.last_date),
    ("根拠の発言ID", lambda rank, m: " ".join(e.statement_id for e in m.evidence)),
    ("根拠の出典URL", lambda rank, m: _urls(m.evidence)),
    ("根拠の抜粋", lambda rank, m: _excerpt(m.evidence[0]) if m.evidence else ""),
    ("答弁の出典URL", lambda rank, m: _urls(m.answers)),
    ("投稿の出典URL", lambda rank, m: _urls(m.posts)),
    # Last, so the columns before keep their places: the on= day when the member leads for speaking on it.
    ("指定日に発言", lambda rank, m: m.led_on or ""),
    # After it, for the same reason: the roster's 会派, else the one named in the minutes.
    ("会派", lambda rank, m: m.party or ""),
]

STATEMENT_COLUMNS: list[tuple[str, Callable[[int, Statement], object]]] = [
    ("順位", lambda rank, s: rank),
    ("発言ID", lambda rank, s: s.statement_id),
    ("スコア", lambda rank, s: s.score),
    ("日付", lambda rank, s: s.date),
    ("団体コード", lambda rank, s: s.assembly_code),
    ("議会", lambda rank, s: s.assembly_name),
    ("会議名", lambda rank, s: s.meeting_title),
    ("会議種別", lambda rank, s: s.meeting_kind),
    ("委員会", lambda rank, s: s.committee),
    ("発言者", lambda rank, s: s.speaker),
    ("肩書き", lambda rank, s: s.speaker_role),
    ("発言区分", lambda rank, s: s.role_kind),
    ("議員ID", lambda rank, s: s.member_id),
    ("議員名", lambda rank, s: s.member_name),
    ("見出し", lambda rank, s: s.heading),
    ("発言", lambda rank, s: s.text),
    ("出典URL", lambda rank, s: s.source_url),
    ("答えている質問の発言ID", lambda rank, s: s.answers_statement_id),
]


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(columns: list[tuple[str, Callable]], items: Iterable, first_rank: int = 1) -> Iterator[bytes]:
    """The BOM and header, then one encoded row at a time (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> bytes:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data.encode("utf-8")

    buffer.write(BOM)
    writer.writerow([name for name, _ in columns])
    yield flush()
    for rank, item in enumerate(items, first_rank):
        writer.writerow([_cell(get(rank, item)) for _, get in columns])
        yield flush()


def jsonl_lines(items: Iterable[BaseModel]) -> Iterator[bytes]:
    """One JSON object per line; U+2028/U+2029 escaped, so only "\\n" ends a line for any reader."""
    for item in items:
        line = json.dumps(item.model_dump(mode="json"), ensure_ascii=False)
        yield (line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n").encode("utf-8")


def content_disposition(kind: str, query: str, fmt: ExportFormat) -> str:
    """``attachment`` with an ASCII fallback name and the Japanese one (RFC 6266 ``filename*``)."""
    words = re.sub(r"[\\/:*?\"<>|\s]+", "_", query).strip("_")[:40] or "search"
    return (f'attachment; filename="gikai-{kind}.{fmt.value}"; '
            f"filename*=UTF-8''{quote(f'gikai-{kind}-{words}.{fmt.value}', safe='')}")
