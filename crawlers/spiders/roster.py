"""Roster spider: an assembly's member list → one :class:`MemberRecord` per member.

Starts at ``start_url`` (``--start-url``, else the assembly's entry in
``crawlers/rosters.yaml``), reads the list with :func:`crawlers.parsers.roster.parse`
(the entry's selectors, if any, replace the generic extractor), follows the
``pages`` of the configuration, and follows each member's profile page on the
same site to add committees and outbound links. A profile page that fails (404,
robots.txt) still leaves the member's record from the list.

``source_id`` is ``roster/<assembly>/<name_key>``: the same member keeps the same
id across re-crawls and site redesigns; the newest record wins in the store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from crawlers.parsers import roster
from crawlers.parsers.roster import RosterConfig, RosterEntry
from crawlers.records import MemberRecord
from crawlers.spiders.base import PARSE_ERRORS, MinutesSpider
from nlp.names import name_key

ROSTERS_PATH = Path(__file__).resolve().parents[1] / "rosters.yaml"


def load_roster_configs(path: Path = ROSTERS_PATH) -> dict[str, RosterConfig]:
    """``crawlers/rosters.yaml`` → ``{assembly_code: RosterConfig}``; a bad entry raises ValueError naming it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping assembly_code -> roster settings")
    out = {}
    for code, entry in data.items():
        code = str(code).zfill(6)
        try:
            out[code] = RosterConfig.from_mapping(entry)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: entry {code}: {exc}") from None
    return out


def roster_config(assembly_code: str, path: Path = ROSTERS_PATH) -> RosterConfig:
    return load_roster_configs(path).get(str(assembly_code), RosterConfig())


def member_source_id(assembly_code: str, name: str) -> str:
    return f"roster/{assembly_code}/{name_key(name)}"


class RosterSpider(MinutesSpider):
    name = "roster"
    source_system = "roster"

    def __init__(self, assembly_code: str, start_url: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(assembly_code, start_url, *args, **kwargs)
        self.config = roster_config(self.assembly_code)
        # The base class falls back to the minutes URL of the registry; a roster never does.
        self.start_url = start_url or self.config.start_url
        if not self.start_url:
            raise ValueError(
                f"no member list URL for assembly {self.assembly_code}: give --start-url or add it to {ROSTERS_PATH}"
            )

    async def start(self):
        yield self.request(self.start_url, self.parse_list)

    def parse_list(self, response):
        page = self.parse_or_quarantine(response, roster.parse, self.config)
        if page is None:
            return
        if not page.members and not page.pages:
            self.quarantine(response, "no_members")
            return
        self.inc(f"roster/layout/{page.layout}")
        for url in page.pages:
            yield self.request(url, self.parse_list)
        for entry in page.members:
            if self.config.follow_profiles and entry.profile_url and entry.profile_url != response.url:
                yield self.request(
                    entry.profile_url,
                    self.parse_profile,
                    cb_kwargs={"entry": entry, "list_url": response.url},
                    errback=partial(self.profile_failed, entry=entry, list_url=response.url),
                )
            else:
                yield self.member_record(entry, response.url)

    def parse_profile(self, response, entry: RosterEntry, list_url: str):
        try:
            extra = roster.parse_profile(response.body, response.url, self.config, name=entry.name)
        except PARSE_ERRORS as exc:
            self.quarantine(response, "unparseable", detail=f"{type(exc).__name__}: {exc}")
            extra = RosterEntry()
        self.inc("roster/profiles")
        yield self.member_record(entry.merged(extra), list_url)

    def profile_failed(self, failure, entry: RosterEntry, list_url: str):
        """The profile page is out of reach: keep what the list said."""
        self.on_error(failure)
        return [self.member_record(entry, list_url)]

    def member_record(self, entry: RosterEntry, list_url: str) -> MemberRecord:
        return MemberRecord(
            source_system=self.source_system,
            source_id=member_source_id(self.assembly_code, entry.name),
            fetched_at=datetime.now(UTC),
            assembly_code=self.assembly_code,
            name=entry.name,
            reading=entry.reading,
            party=entry.party,
            seat=entry.seat,
            district=entry.district,
            committees=entry.committees,
            term_start=entry.term_start,
            term_end=entry.term_end,
            url=entry.profile_url or list_url,
            links=entry.links,
        )
