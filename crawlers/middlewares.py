"""Downloader middlewares: robots.txt accounting, retry backoff, fetch counting.

Stats written here (the crawl summary reads them, see ``crawlers.stats``):

- ``robots/blocked``: requests robots.txt forbade (never fetched);
- ``fetched``: responses the spiders got, robots.txt itself excluded;
- ``retry/backoff_seconds``: total time spent waiting before retries.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)

_BACKOFF_META = "gikai_retry_delay"


class CountingRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus a ``robots/blocked`` count and an INFO line per URL.

    Scrapy logs forbidden requests at DEBUG only; a crawl that silently gets
    nothing because of robots.txt must say so in its summary.
    """

    def process_request_2(self, rp, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            self._stats.inc_value("robots/blocked")
            logger.info("blocked by robots.txt, not fetched: %s %s", request.method, request.url)
            raise


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that waits ``RETRY_BACKOFF_BASE * 2**(n-1)`` s (≤ ``RETRY_BACKOFF_MAX``) before retry n.

    The wait happens in ``process_request`` of the retried request, before it
    takes a download slot, so other requests are not held up.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    def _retry(self, request, reason):
        new_request = super()._retry(request, reason)
        if new_request is not None and self.backoff_base > 0:
            times = new_request.meta.get("retry_times", 1)
            new_request.meta[_BACKOFF_META] = min(self.backoff_base * 2 ** (times - 1), self.backoff_max)
        return new_request

    async def process_request(self, request: Request, spider=None) -> None:
        delay = request.meta.pop(_BACKOFF_META, 0)
        if delay > 0:
            self.crawler.stats.inc_value("retry/backoff_seconds", delay)
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return None


class FetchStatsMiddleware:
    """Counts responses handed to spiders as ``fetched`` (robots.txt excluded)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if not request.meta.get("dont_obey_robotstxt") or not request.url.endswith("/robots.txt"):
            self.stats.inc_value("fetched")
            self.stats.inc_value(f"fetched/status/{response.status}")
        return response
