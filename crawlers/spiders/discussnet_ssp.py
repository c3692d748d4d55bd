"""DiscussNet SSP spider: tenant.js → councils/index → minutes/get_schedule → minutes/get_minute.

``start_url`` is any page of the tenant (``https://ssp.kaigiroku.net/tenant/hakodate/SpMinuteSearch.html``
or a self-hosted ``http://giji.city.yokohama.lg.jp/tenant/yokohama/MinuteSearch.html``);
the API lives on the same host under ``/dnp/search/``. One record per sitting, with
the sitting's viewer URL (``SpMinuteView.html?tenant_id=…&council_id=…&schedule_id=…``)
as ``source_id`` and ``url``.

Note: ``ssp.kaigiroku.net/robots.txt`` disallows ``/dnp/``; with robots.txt obeyed
a SaaS crawl stops at the first API call and reports it as blocked.
"""

from __future__ import annotations

import re
from datetime import date as Date
from urllib.parse import urlsplit

from crawlers.parsers import discussnet_ssp as ssp
from crawlers.parsers.textutil import era_year, month_day
from crawlers.spiders.base import MinutesSpider

_SLUG = re.compile(r"/tenant/([^/]+)/")


class DiscussNetSSPSpider(MinutesSpider):
    name = "discussnet_ssp"
    source_system = "discussnet_ssp"

    def __init__(self, *args, tenant_id: int | str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        parts = urlsplit(self.start_url)
        m = _SLUG.search(parts.path)
        if not m:
            raise ValueError(f"not a DiscussNet tenant URL (no /tenant/<slug>/): {self.start_url}")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.slug = m.group(1)
        self.tenant_id = int(tenant_id) if tenant_id else None

    def api(self, endpoint: str) -> str:
        return f"{self.base}/dnp/search/{endpoint}"

    def viewer_url(self, tenant_id: int, council_id: int, schedule_id: int) -> str:
        return (
            f"{self.base}/tenant/{self.slug}/SpMinuteView.html"
            f"?tenant_id={tenant_id}&council_id={council_id}&schedule_id={schedule_id}"
        )

    async def start(self):
        if self.tenant_id:
            yield self._councils_request(self.tenant_id)
        else:
            yield self.request(f"{self.base}/tenant/{self.slug}/js/tenant.js", self.parse_tenant)

    # The tenant id travels with each request (cb_kwargs), not on the spider:
    # with --redis another process may handle the follow-up requests.
    def _councils_request(self, tenant_id: int):
        return self.form_request(
            self.api("councils/index"), {"tenant_id": tenant_id}, self.parse_councils,
            cb_kwargs={"tenant_id": tenant_id},
        )

    def parse_tenant(self, response):
        try:
            tenant_id = ssp.parse_tenant_id(response.body)
        except ValueError as exc:
            self.quarantine(response, "unparseable", detail=str(exc))
            return
        yield self._councils_request(tenant_id)

    def parse_councils(self, response, tenant_id: int):
        councils = self.parse_or_quarantine(response, lambda body, url: ssp.parse_councils(body))
        for council in councils or []:
            if council.is_materials:
                # 議案・日程表 etc.: documents without speeches, not sittings.
                self.inc("councils/materials_ignored")
                continue
            year = council_year(council)
            if self.since and year and year < self.since.year:
                self.skip("before_since", f"council {council.council_id} {council.name}")
                continue
            yield self.form_request(
                self.api("minutes/get_schedule"),
                {"tenant_id": tenant_id, "council_id": council.council_id},
                self.parse_schedules,
                cb_kwargs={"tenant_id": tenant_id, "council": council},
            )

    def parse_schedules(self, response, tenant_id: int, council: ssp.Council):
        schedules = self.parse_or_quarantine(response, lambda body, url: ssp.parse_schedules(body))
        year = council_year(council)
        for schedule in schedules or []:
            url = self.viewer_url(tenant_id, council.council_id, schedule.schedule_id)
            day = _schedule_date(year, schedule.name)
            if self.before_since(day):
                self.skip("before_since", url)
                continue
            if self.already_stored(url):
                self.skip("already_stored", url)
                continue
            yield self.form_request(
                self.api("minutes/get_minute"),
                {
                    "tenant_id": tenant_id,
                    "council_id": council.council_id,
                    "schedule_id": schedule.schedule_id,
                },
                self.parse_minute,
                cb_kwargs={"url": url, "council": council, "schedule": schedule, "day": day},
            )

    def parse_minute(self, response, url: str, council: ssp.Council, schedule: ssp.Schedule, day: Date | None):
        page = self.parse_or_quarantine(response, ssp.parse_minute)
        if page is None:
            return
        extra = {"title": f"{' '.join(council.name.split())} {schedule.name}", "date": page.date or day}
        # The listing's type path says 本会議/臨時会/委員会 more reliably than the title.
        if council.meeting_kind:
            extra["meeting_kind"] = council.meeting_kind
        if council.committee:
            extra["committee"] = council.committee
        record = self.record_or_quarantine(response, page, url, **extra)
        if record is not None:
            yield record


def council_year(council: ssp.Council) -> int | None:
    """Calendar year of a council's sittings: the listing's year tab, else the year in its name.

    The name gives the fiscal year, not the calendar year, for a 決算 committee:
    ``平成２５年度函館市各会計決算特別委員会`` sits in 2014 and is listed under 2014.
    """
    return council.view_year or era_year(council.name)


def _schedule_date(year: int | None, label: str) -> Date | None:
    md = month_day(label)
    if not (year and md):
        return None
    try:
        return Date(year, *md)
    except ValueError:
        return None
