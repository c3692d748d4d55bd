"""kensakusystem.jp spider: tree → sitting frameset → speaker index → plain-text download.

``start_url`` is any page of the tenant carrying the session token, usually the
search page ``…/cgi-bin3/Search2.exe?Code=…`` from the registry; it links to the
tree (``See.exe?Code=…``). Tree nodes are opened over GET with the node label
in ``treedepth``; year nodes older than ``since`` are not opened, and sittings
are filtered by the date in their file name before any request.

Per sitting: ``ResultFrame.exe`` (frameset) → ``r_Speakers.exe`` (speaker
index) → ``GetPerson.exe`` (every speech of the sitting as text, one request).
Records: ``source_id`` and ``url`` are the sitting's ``ResultFrame.exe`` URL
without ``startPos``, stable as long as the tenant's ``Code`` is.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from crawlers.parsers import kensakusystem
from crawlers.parsers.page import MeetingLink
from crawlers.parsers.textutil import era_year
from crawlers.spiders.base import MinutesSpider

_START_POS = re.compile(r"&startPos=[^&]*", re.IGNORECASE)


def _sitting_id(url: str) -> str:
    return _START_POS.sub("", url)


class KensakusystemSpider(MinutesSpider):
    name = "kensakusystem"
    source_system = "kensakusystem"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()
        self._pruned: set[str] = set()

    async def start(self):
        yield self.request(self.start_url, self.parse_page)

    def _node_before_since(self, url: str) -> bool:
        m = re.search(r"[?&]treedepth=([^&]*)", url)
        if not (m and self.since):
            return False
        year = era_year(unquote(m.group(1), encoding="cp932", errors="replace"))
        return bool(year and year < self.since.year)

    def parse_page(self, response):
        page = self.parse_or_quarantine(response, kensakusystem.parse)
        if page is None:
            return
        for meeting in page.meetings:
            yield from self._sitting(meeting)
        if page.kind == "minutes":
            # A tenant whose start page is a sitting: store it as it stands.
            if page.speeches:
                yield self.make_meeting_record(page, response.url, source_id=_sitting_id(response.url))
            return
        for link in page.links:
            if self._node_before_since(link):
                # Every tree page repeats the year tabs: count each one once.
                if link not in self._pruned:
                    self._pruned.add(link)
                    self.skip("before_since", link)
                continue
            yield self.request(link, self.parse_page)

    def _sitting(self, meeting: MeetingLink):
        source_id = _sitting_id(meeting.url)
        if source_id in self._seen:
            return
        self._seen.add(source_id)
        if self.wanted(meeting.url, meeting.date, source_id):
            yield self.request(meeting.url, self.parse_sitting, cb_kwargs={"meeting": meeting})

    def parse_sitting(self, response, meeting: MeetingLink):
        """Frameset and speaker index: both lead, through ``links``, to the download."""
        page = self.parse_or_quarantine(response, kensakusystem.parse)
        if page is None:
            return
        if page.kind == "minutes":
            yield from self._record(response, page, meeting)
            return
        if not page.links:
            self.quarantine(response, "no_document_link")
            return
        if page.title or page.date:
            meeting = MeetingLink(
                title=page.title or meeting.title, date=page.date or meeting.date, url=meeting.url
            )
        yield self.request(page.links[0], self.parse_sitting, cb_kwargs={"meeting": meeting})

    def _record(self, response, page, meeting: MeetingLink):
        if not page.speeches:
            self.skip("no_speeches", meeting.url)
            return
        url = _sitting_id(meeting.url)
        yield self.make_meeting_record(
            page, url, source_id=url, title=page.title or meeting.title, date=page.date or meeting.date
        )
