"""National Diet spider: the NDL minutes API, one house per crawl.

``--assembly 000001`` crawls 衆議院, ``000002`` 参議院 (see ``crawlers.registry``).
Pages through ``/api/meeting`` (full text, at most 10 meetings per request) from
``since`` (default: the first Diet, 1947-05-20) to today, following
``nextRecordPosition``. One record per meeting issue; ``source_id`` and ``url`` are
its ``meetingURL``.
"""

from __future__ import annotations

from datetime import date as Date
from urllib.parse import urlencode

from crawlers.parsers import kokkai
from crawlers.registry import DIET_ASSEMBLIES, KOKKAI_API
from crawlers.spiders.base import MinutesSpider

FIRST_DIET = Date(1947, 5, 20)
PAGE_SIZE = 10  # the API's maximum for /api/meeting


class KokkaiSpider(MinutesSpider):
    name = "kokkai"
    source_system = "kokkai"
    default_start_url = KOKKAI_API

    def __init__(self, *args, until: Date | str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.assembly_code not in DIET_ASSEMBLIES:
            raise ValueError(
                f"kokkai spider: assembly {self.assembly_code} is not a house of the Diet "
                f"({', '.join(f'{c} {n}' for c, n in DIET_ASSEMBLIES.items())})"
            )
        self.house = DIET_ASSEMBLIES[self.assembly_code]
        self.until = Date.fromisoformat(str(until)) if until else Date.today()

    def page_url(self, start: int) -> str:
        query = {
            "nameOfHouse": self.house,
            "from": (self.since or FIRST_DIET).isoformat(),
            "until": self.until.isoformat(),
            "maximumRecords": PAGE_SIZE,
            "startRecord": start,
            "recordPacking": "json",
        }
        return f"{self.start_url.split('?')[0]}?{urlencode(query)}"

    async def start(self):
        yield self.request(self.page_url(1), self.parse_page)

    def parse_page(self, response):
        page = self.parse_or_quarantine(response, lambda body, url: kokkai.parse_meeting_page(body))
        if page is None:
            return
        for meeting in page.meetings:
            if self.before_since(meeting.page.date):
                self.skip("before_since", meeting.url)
                continue
            if self.already_stored(meeting.url):
                self.skip("already_stored", meeting.url)
                continue
            if not meeting.page.speeches:
                # Only the 会議録情報 front matter: nothing said, nothing to store.
                self.skip("no_speeches", meeting.url)
                continue
            record = self.record_or_quarantine(
                response,
                meeting.page,
                meeting.url,
                assembly_name=self.house,
                meeting_kind=meeting.meeting_kind,
                committee=meeting.committee,
            )
            if record is not None:
                yield record
        if page.next_record_position:
            yield self.request(self.page_url(page.next_record_position), self.parse_page)
