"""VOICES / gijiroku.com spider: yearly ``ACT=100`` lists → ``ACT=200`` → whole document.

``start_url`` is the search page (``…/voices/g08v_search.asp``) or an ``ACT=100``
list URL. From the search page the spider asks for one meeting list per calendar
year, newest first, back to the year of ``since`` (or :attr:`FIRST_YEAR`).

Each sitting's ``ACT=200`` frameset names its first statement; the same
statement URL with ``HATSUGENMODE=1`` returns every statement of the document in
one response. If that response has no speeches, the spider falls back to the
speaker sidebar and fetches the statements one by one, in order, assembling one
record.

Records: ``source_id`` ``…/voiweb.exe?ACT=200&FINO=<n>`` (FINO numbers a document
within a host), ``url`` the sitting's ``ACT=200`` URL.
"""

from __future__ import annotations

from datetime import date as Date

from crawlers.parsers import voices
from crawlers.parsers.page import MeetingLink, ParsedPage, ParsedSpeech
from crawlers.spiders.base import MinutesSpider


class VoicesSpider(MinutesSpider):
    name = "voices"
    source_system = "voices"
    FIRST_YEAR = 1995

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cgi = voices.cgi_url(self.start_url)
        self._seen: set[str] = set()

    def list_urls(self) -> list[str]:
        if voices.act_of(self.start_url) == "100":
            return [self.start_url]
        first = self.since.year if self.since else self.FIRST_YEAR
        return [voices.list_url(self.cgi, year) for year in range(Date.today().year, first - 1, -1)]

    async def start(self):
        for url in self.list_urls():
            yield self.request(url, self.parse_list)

    def source_id(self, meeting: MeetingLink) -> str:
        fino = voices.query_param(meeting.url, "FINO")
        return f"{self.cgi}?ACT=200&FINO={fino}" if fino else meeting.url

    def parse_list(self, response):
        page = self.parse_or_quarantine(response, voices.parse)
        if page is None:
            return
        for meeting in page.meetings:
            source_id = self.source_id(meeting)
            if source_id in self._seen:
                continue
            self._seen.add(source_id)
            if self.wanted(meeting.url, meeting.date, source_id, meeting.title.endswith(("目次", "付録"))):
                yield self.request(meeting.url, self.parse_frameset, cb_kwargs={"meeting": meeting})
        for link in page.links:
            yield self.request(link, self.parse_list)

    def parse_frameset(self, response, meeting: MeetingLink):
        page = self.parse_or_quarantine(response, voices.parse)
        if page is None:
            return
        if page.kind == "minutes":
            yield from self._record(response, page, meeting)
            return
        links = list(page.links)
        if not links:
            self.quarantine(response, "no_document_link")
            return
        yield self.request(
            links[0], self.parse_document, cb_kwargs={"meeting": meeting, "fallbacks": links[1:]}
        )

    def parse_document(self, response, meeting: MeetingLink, fallbacks: list[str]):
        page = self.parse_or_quarantine(response, voices.parse)
        if page is None:
            return
        if page.kind == "minutes" and page.speeches:
            yield from self._record(response, page, meeting)
            return
        if page.kind == "other" and page.links and all(voices.act_of(u) == "203" for u in page.links):
            # The speaker sidebar: walk its statements in order.
            yield from self._next_statement(response, meeting, list(page.links), [], page)
            return
        if fallbacks:
            yield self.request(
                fallbacks[0], self.parse_document, cb_kwargs={"meeting": meeting, "fallbacks": fallbacks[1:]}
            )
        else:
            self.skip("no_speeches", meeting.url)

    def _next_statement(self, response, meeting, remaining: list[str], speeches: list[ParsedSpeech], first):
        if not remaining:
            page = ParsedPage(kind="minutes", speeches=speeches, title=first.title, date=first.date)
            yield from self._record(response, page, meeting)
            return
        yield self.request(
            remaining[0],
            self.parse_statement,
            cb_kwargs={"meeting": meeting, "remaining": remaining[1:], "speeches": speeches, "first": first},
        )

    def parse_statement(self, response, meeting, remaining, speeches, first):
        page = self.parse_or_quarantine(response, voices.parse)
        if page is not None:
            speeches = speeches + list(page.speeches)
            if first.date is None and page.date is not None:
                first = page
        yield from self._next_statement(response, meeting, remaining, speeches, first)

    def _record(self, response, page: ParsedPage, meeting: MeetingLink):
        if not page.speeches:
            self.skip("no_speeches", meeting.url)
            return
        yield self.make_meeting_record(
            page,
            meeting.url,
            source_id=self.source_id(meeting),
            title=meeting.title or page.title,
            date=meeting.date or page.date,
        )
