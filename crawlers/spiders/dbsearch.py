"""DB-Search spider: top page → result lists → documents (→ speech frame).

``start_url`` is any page of the host; a search-form page (the registry often
lists ``…/index.php/<n>?Template=search-detail``) is replaced by the top page,
whose session links and 会議録ライブラリ reach every result list. Every link is
taken from the responses: the ``index.php/<n>`` numbers are session-bound.

One record per document with speeches; the id is the document URL without the
session number (:func:`crawlers.parsers.dbsearch.stable_url`), so a re-crawl
recognises what it stored. Attendance lists, tables of contents and appendices
(``名簿``, ``目次``, ``資料``, ``署名``) are skipped by title before fetching.
A document URL answered by anything but the document or its frameset (the top
page or a result list, as an expired session shows them) is quarantined as
``no_document``.
"""

from __future__ import annotations

import re
from datetime import date as Date
from urllib.parse import urlsplit, urlunsplit

from crawlers.parsers import dbsearch
from crawlers.parsers.page import MeetingLink
from crawlers.spiders.base import MinutesSpider

_SEARCH_FORM = re.compile(r"[?&]Template=search-(?!library)", re.IGNORECASE)
_TERM_END = re.compile(r"[?&]TermEnd=(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_DOC_FRAME = re.compile(r"[?&]Template=doc-", re.IGNORECASE)
NOT_MINUTES = re.compile(r"名簿|目次|資料|署名|[\s\u3000]日程$|日程[\s\u3000]*[］\]]")


class DBSearchSpider(MinutesSpider):
    name = "dbsearch"
    source_system = "dbsearch"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seen_documents: set[str] = set()
        self._pruned: set[str] = set()

    def entry_url(self) -> str:
        if _SEARCH_FORM.search(self.start_url):
            parts = urlsplit(self.start_url)
            return urlunsplit((parts.scheme, parts.netloc, "/index.php", "", ""))
        return self.start_url

    async def start(self):
        yield self.request(self.entry_url(), self.parse_page)

    def parse_page(self, response, meeting: MeetingLink | None = None):
        page = self.parse_or_quarantine(response, dbsearch.parse)
        if page is None:
            return
        if page.kind == "minutes":
            yield from self._record(response, page, meeting)
        elif meeting is not None:
            # Inside a document only its frames lead on. Any other page (the top
            # page or a result list, as an expired session shows them) means the
            # document could not be read: set it aside rather than lose it silently
            # or walk the lists again.
            frames = [link for link in page.links if _DOC_FRAME.search(link)]
            if not frames:
                self.quarantine(response, "no_document", detail=f"{page.title or 'untitled page'} for {meeting.url}")
            for link in frames:
                # The frame URLs (…/index.php/<n>?Template=doc-page) name the session's
                # current document, not a document: two documents can share one, so
                # they must not be deduplicated.
                yield self.request(link, self.parse_page, cb_kwargs={"meeting": meeting}, dont_filter=True)
        elif page.kind == "meeting_list":
            yield from self._documents(page.meetings)
            for link in page.links:
                yield self.request(link, self.parse_page)
        else:
            for link in page.links:
                if self._list_before_since(link):
                    if link not in self._pruned:
                        self._pruned.add(link)
                        self.skip("before_since", link)
                    continue
                yield self.request(link, self.parse_page)

    def _list_before_since(self, url: str) -> bool:
        m = _TERM_END.search(url)
        return bool(m and self.before_since(Date.fromisoformat(m.group(1))))

    def _documents(self, meetings: list[MeetingLink]):
        for meeting in meetings:
            source_id = dbsearch.stable_url(meeting.url)
            if source_id in self._seen_documents:
                continue
            self._seen_documents.add(source_id)
            if self.wanted(meeting.url, meeting.date, source_id, bool(NOT_MINUTES.search(meeting.title))):
                yield self.request(meeting.url, self.parse_page, cb_kwargs={"meeting": meeting})

    def _record(self, response, page, meeting: MeetingLink | None):
        url = meeting.url if meeting else response.url
        if not page.speeches:
            # A document without speech headings (a roll-call or a table) that
            # its title did not give away: nothing to store, nothing broken.
            self.skip("no_speeches", url)
            return
        yield self.make_meeting_record(
            page,
            url,
            source_id=dbsearch.stable_url(url),
            title=page.title or (meeting.title if meeting else None),
            date=page.date or (meeting.date if meeting else None),
        )
