"""東京都議会 spider: walk the static ``/record/`` index pages, store each minutes page.

Starts at ``start_url`` (an index such as ``/record/proceedings/``), follows index
links on the same host below ``/record/``, and requests the minutes pages listed
there unless already stored. One record per page; ``source_id`` is the page URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawlers.parsers import tokyo_gikai
from crawlers.spiders.base import MinutesSpider


class TokyoGikaiSpider(MinutesSpider):
    name = "tokyo_gikai"
    source_system = "tokyo_gikai"

    async def start(self):
        yield self.request(self.start_url, self.parse_page)

    def _same_site(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.start_url).netloc

    def parse_page(self, response):
        page = self.parse_or_quarantine(response, tokyo_gikai.parse)
        if page is None:
            return
        if page.kind == "minutes":
            yield from self._minutes(response, page)
            return
        for link in page.meetings:
            if not self._same_site(link.url):
                continue
            if self.before_since(link.date):
                self.skip("before_since", link.url)
            elif self.already_stored(link.url):
                self.skip("already_stored", link.url)
            else:
                yield self.request(link.url, self.parse_page)
        for url in page.links:
            if self._same_site(url):
                yield self.request(url, self.parse_page)

    def _minutes(self, response, page):
        if self.before_since(page.date):
            self.skip("before_since", response.url)
            return
        record = self.record_or_quarantine(response, page, response.url)
        if record is not None:
            yield record
