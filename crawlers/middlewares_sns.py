"""The SNS rule, enforced for every request of every spider: X/Twitter, Facebook,
Instagram and TikTok are never requested.

Their pages are login-walled and their terms forbid scraping, so members' links
to them are recorded (``MemberRecord.links``) and nothing more; reading posts
there is only done through official APIs (:mod:`crawlers.sns`).

:class:`SnsRefusalMiddleware` runs first among the downloader middlewares (before
robots.txt, so not even ``/robots.txt`` of those hosts is fetched) and also sees
every redirect and meta refresh, which Scrapy re-schedules as new requests.
Refusals are counted as ``sns/refused`` and ``sns/refused/<host>``. The host
list is :data:`crawlers.parsers.links.REFUSED_HOSTS` and is deliberately not a
setting: no configuration switches the rule off.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from crawlers.parsers.links import is_refused_url

logger = logging.getLogger(__name__)


class SnsRefused(IgnoreRequest):
    """A request to an SNS host was refused (never sent)."""


class SnsRefusalMiddleware:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_request(self, request: Request, spider=None) -> None:
        if is_refused_url(request.url):
            host = (urlsplit(request.url).hostname or "").lower()
            self.stats.inc_value("sns/refused")
            self.stats.inc_value(f"sns/refused/{host}")
            logger.info("SNS host, never requested (links only): %s", request.url)
            raise SnsRefused(f"SNS host {host} is never requested: {request.url}")
        return None
