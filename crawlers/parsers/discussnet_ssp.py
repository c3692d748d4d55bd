"""DiscussNet SSP (会議録検索システム, ssp.kaigiroku.net and self-hosted tenants).

The HTML pages are empty shells; everything comes from a JSON API under
``/dnp/search/`` (POST, form-encoded; some deployments answer JSONP)::

    GET  /tenant/<slug>/js/tenant.js            -> "dnp.params.tenant_id = 537"
    POST /dnp/search/councils/index            {tenant_id}                         -> councils (all years)
    POST /dnp/search/minutes/get_schedule      {tenant_id, council_id}             -> council_schedules
    POST /dnp/search/minutes/get_minute        {tenant_id, council_id, schedule_id} -> tenant_minutes

A sitting arrives already split: one ``tenant_minutes`` block per utterance,
``title`` is the speaker line (``議長（吉田崇仁）``) and ``body`` a ``<pre>``
block whose first line repeats it. ``minute_type_code`` (the app's
``dnp.config.MINUTE_TYPE_CODE``): 1 目次, 2 名簿, 3 議題, 4 議長, 5 質問, 6 答弁,
7 一覧, 8 文書, 9 資料. 目次/名簿 are front matter (the date and the title are
read from them); 4–6 are speeches; anything else is kept as unattributed text.

Every function raises ``ValueError`` for a body it cannot read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from w3lib.html import remove_tags, replace_entities
from w3lib.url import add_or_replace_parameters

from crawlers.parsers.page import MeetingLink, ParsedPage, ParsedSpeech
from crawlers.parsers.textutil import parse_date

FRONT_MATTER_CODES = frozenset({1, 2})
SPEECH_CODES = frozenset({4, 5, 6})
MATERIALS_ROOT = "資料"
"""The listing's second root beside 全会議: bill lists and tables, not sittings."""

_TENANT_ID = re.compile(rb"tenant_id\s*=\s*['\"]?(\d+)")
_JSONP = re.compile(r"^\s*[\w$.]+\s*\((.*)\)\s*;?\s*$", re.DOTALL)
_MARKERS = "○〇◯◎◆◇●△▲■□"
_RULE_LINE = re.compile(r"^[\s　]*[─━＝=―－-]{5,}[\s　]*$")


@dataclass(frozen=True)
class Council:
    """One 会議 of the listing (a 定例会, or one committee's sitting group)."""

    council_id: int
    name: str
    view_year: int | None
    type_names: tuple[str, ...]

    @property
    def is_materials(self) -> bool:
        return bool(self.type_names) and self.type_names[0] == MATERIALS_ROOT

    @property
    def meeting_kind(self) -> str | None:
        """From the listing's type path (全会議/本会議/臨時会…); None if it does not say."""
        if "委員会" in self.type_names[1:2]:
            return "委員会"
        if "本会議" in self.type_names[1:2]:
            return "臨時会" if "臨時会" in self.type_names else "本会議"
        return None

    @property
    def committee(self) -> str | None:
        """Deepest type name of a committee council, e.g. 予算特別委員会."""
        if self.meeting_kind != "委員会":
            return None
        return self.type_names[-1] if len(self.type_names) > 2 else None


@dataclass(frozen=True)
class Schedule:
    """One sitting (号) of a council."""

    schedule_id: int
    name: str


def load_json(body: bytes | str) -> Any:
    """JSON or JSONP body → Python object."""
    text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        m = _JSONP.match(stripped)
        if m:
            stripped = m.group(1)
    return json.loads(stripped)


def _expect(data: Any, key: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"unexpected JSON: no {key!r} (got {keys})")
    return data[key]


def parse_tenant_id(body: bytes) -> int:
    """``dnp.params.tenant_id = 537`` in ``tenant.js`` → 537."""
    m = _TENANT_ID.search(body)
    if not m:
        raise ValueError("tenant.js: no tenant_id assignment")
    return int(m.group(1))


def parse_councils(body: bytes | str) -> list[Council]:
    """Every council of the ``councils/index`` tree, newest year first as listed."""
    out: list[Council] = []
    for root in _expect(load_json(body), "councils"):
        for year in _expect(root, "view_years"):
            try:
                view_year = int(year.get("view_year"))
            except (TypeError, ValueError):
                view_year = None
            for ctype in year.get("council_type") or []:
                names = tuple(
                    n for n in (ctype.get(f"council_type_name{i}") for i in range(1, 6)) if n
                )
                for c in ctype.get("councils") or []:
                    out.append(Council(int(c["council_id"]), str(c["name"]), view_year, names))
    return out


def parse_schedules(body: bytes | str) -> list[Schedule]:
    return [
        Schedule(int(s["schedule_id"]), str(s["name"]))
        for s in _expect(load_json(body), "council_schedules")
    ]


def html_text(html: str) -> str:
    """``<pre>`` block → plain text, entities decoded, line breaks kept."""
    text = replace_entities(remove_tags(html.replace("<br>", "\n").replace("<br/>", "\n")))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _speech_text(body: str, title: str) -> str:
    """Body without its first line's marker and repeated speaker, and without ─── rules."""
    text = html_text(body).strip("\n")
    if title:
        text = re.sub(rf"^[\s　]*[{_MARKERS}]?[\s　]*{re.escape(title)}[\s　]*", "", text, count=1)
    lines = text.split("\n")
    while lines and (not lines[-1].strip() or _RULE_LINE.match(lines[-1])):
        lines.pop()
    return "\n".join(lines).strip()


def parse_minute(body: bytes | str, url: str = "") -> ParsedPage:
    """One sitting (``get_minute`` response) → speeches, with date and title from its 名簿."""
    blocks = _expect(load_json(body), "tenant_minutes")
    if not isinstance(blocks, list):
        raise ValueError("unexpected JSON: tenant_minutes is not a list")
    speeches: list[ParsedSpeech] = []
    front: list[str] = []
    for block in blocks:
        code = block.get("minute_type_code")
        title = _collapse(str(block.get("title") or ""))
        raw = str(block.get("body") or "")
        if code in FRONT_MATTER_CODES:
            front.append(html_text(raw))
            continue
        text = _speech_text(raw, title)
        if not text:
            continue
        speeches.append(ParsedSpeech(speaker=title if code in SPEECH_CODES else None, text=text))
    front_text = "\n".join(front)
    title = next((_collapse(line) for line in front_text.splitlines() if "会議録" in line), None)
    return ParsedPage(kind="minutes", speeches=speeches, date=parse_date(front_text), title=title)


def parse(body: bytes, url: str) -> ParsedPage:
    """Any saved DiscussNet response (tenant.js, councils, schedules, minute) → ParsedPage."""
    if re.search(rb"tenant_id\s*=", body[:2000]) and not body.lstrip().startswith(b"{"):
        tenant_id = parse_tenant_id(body)
        return ParsedPage(kind="other", title=f"tenant_id={tenant_id}")
    data = load_json(body)
    if isinstance(data, dict) and "tenant_minutes" in data:
        return parse_minute(body, url)
    if isinstance(data, dict) and "council_schedules" in data:
        return ParsedPage(
            kind="meeting_list",
            meetings=[
                MeetingLink(title=s.name, url=add_or_replace_parameters(url, {"schedule_id": str(s.schedule_id)}))
                for s in parse_schedules(body)
            ],
        )
    if isinstance(data, dict) and "councils" in data:
        return ParsedPage(
            kind="meeting_list",
            meetings=[
                MeetingLink(title=c.name, url=add_or_replace_parameters(url, {"council_id": str(c.council_id)}))
                for c in parse_councils(body)
            ],
        )
    keys = sorted(data) if isinstance(data, dict) else type(data).__name__
    raise ValueError(f"unexpected JSON: not a DiscussNet response (got {keys})")
