"""``MinutesSpider``: the polite base every minutes spider subclasses.

A spider for one minutes system sets ``name`` and ``source_system``, turns
responses into :class:`~crawlers.parsers.page.ParsedPage` with its pure parse
functions, and yields :class:`~crawlers.records.MeetingRecord` built by
:meth:`MinutesSpider.make_meeting_record`. The base class gives it:

- constructor arguments ``assembly_code``, ``start_url``, ``since``, ``raw_dir``
  (``gikai crawl`` passes them; ``start_url`` defaults to the registry's URL);
- :meth:`request` / :meth:`form_request`: requests whose errors are quarantined;
- :meth:`already_stored` (incremental crawls) and :meth:`before_since`;
- :meth:`skip`: counts ``skipped/<why>`` for what it chose not to fetch;
- :meth:`quarantine`: sets a bad response aside under
  ``<raw_dir>/../quarantine/<system>/<assembly>/`` and counts it;
- :meth:`parse_or_quarantine` and :meth:`record_or_quarantine`: a parser error
  (``ValueError``, ``KeyError``, ``TypeError``) or empty minutes quarantine the
  page and the crawl goes on;
- the one-line summary in the log when the spider closes.

Minimal subclass::

    class ExampleSpider(MinutesSpider):
        name = source_system = "tokyo_gikai"

        def start_requests(self):
            yield self.request(self.start_url, self.parse_minutes)

        def parse_minutes(self, response):
            page = self.parse_or_quarantine(response, tokyo_gikai.parse)
            if page and (record := self.record_or_quarantine(response, page, response.url)):
                yield record
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import date as Date
from pathlib import Path
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.parsers.page import ParsedPage
from crawlers.rawstore import RawStore
from crawlers.records import MeetingRecord, SpeechRecord
from crawlers.registry import Assembly, default_registry
from crawlers.stats import summarize, summary_line

PARSE_ERRORS = (ValueError, KeyError, TypeError)
"""What a parse function raises for a page it cannot read (json errors are ValueErrors)."""

_COMMITTEE = re.compile(
    r"([^\s　（(）)、,・「」－]*?(?:委員会|分科会|審査会|調査会|協議会)"
    r"(?:[^\s　（(）)、,・「」－]*?(?:分科会|小委員会|理事会))?)"
)
# What comes before a committee name in a title and is not part of it: the date
# (``令和　６年１２月２６日``, ``平成２５年度``) and the session (``第１回``, ``２月定例会``).
_TITLE_DATE = re.compile(
    r"(?:令和|平成|昭和)?[\s　]*[0-9０-９元]{1,4}[\s　]*年度?"
    r"(?:[\s　]*[0-9０-９]{1,2}[\s　]*月)?(?:[\s　]*[0-9０-９]{1,2}[\s　]*日)?"
)
_TITLE_SESSION = re.compile(r"第[0-9０-９]+回|[^\s　（(）)、,・「」－]*?(?:定例会|臨時会)")


def meeting_kind_from_title(title: str) -> str:
    """委員会 if the title names one, 臨時会 for an extraordinary session, else 本会議."""
    if "委員会" in title:
        return "委員会"
    if "臨時会" in title:
        return "臨時会"
    return "本会議"


def committee_from_title(title: str, assembly_name: str | None = None) -> str | None:
    """``函館市議会予算特別委員会（令和７年…）`` → ``予算特別委員会``.

    Dates and session names written before the committee are not part of it:
    ``令和　６年１２月２６日議会運営委員会－12月26日-01号`` (VOICES) → ``議会運営委員会``;
    a sub-committee keeps its parent: ``予算決算委員会都市建設分科会``.
    """
    m = _COMMITTEE.search(_TITLE_SESSION.sub(" ", _TITLE_DATE.sub(" ", title)))
    if not m:
        return None
    name = m.group(1)
    if assembly_name and name.startswith(assembly_name) and len(name) > len(assembly_name):
        name = name[len(assembly_name) :]
    return name or None


def _as_date(value: Date | str | None) -> Date | None:
    if value is None or value == "" or isinstance(value, Date):
        return value or None
    return Date.fromisoformat(str(value))


class MinutesSpider(scrapy.Spider):
    source_system: ClassVar[str] = ""
    default_start_url: ClassVar[str | None] = None
    """Used when neither ``start_url`` nor the registry gives one (the Diet API)."""

    def __init__(
        self,
        assembly_code: str,
        start_url: str | None = None,
        since: Date | str | None = None,
        raw_dir: str | None = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.assembly_code = str(assembly_code)
        self.assembly: Assembly = default_registry().get(self.assembly_code)
        self.start_url = start_url or self.assembly.url or self.default_start_url
        self.since = _as_date(since)
        self.raw_dir = raw_dir
        self._stored_ids: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.raw_dir is None:
            spider.raw_dir = crawler.settings.get("RAW_DIR")
        return spider

    # -- counters -------------------------------------------------------
    def inc(self, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(key, count)

    def skip(self, why: str, url: str) -> None:
        self.inc(f"skipped/{why}")
        self.logger.debug("skipped (%s): %s", why, url)

    # -- requests -------------------------------------------------------
    def request(self, url: str, callback: Callable, **kwargs: Any) -> Request:
        kwargs.setdefault("errback", self.on_error)
        return Request(url, callback=callback, **kwargs)

    def form_request(self, url: str, formdata: dict[str, Any], callback: Callable, **kwargs: Any) -> Request:
        kwargs.setdefault("errback", self.on_error)
        return scrapy.FormRequest(
            url, formdata={k: str(v) for k, v in formdata.items()}, callback=callback, **kwargs
        )

    def on_error(self, failure) -> None:
        """Errback of every request: HTTP errors and failed downloads are quarantined."""
        if failure.check(HttpError):
            response = failure.value.response
            self.quarantine(response, f"http_{response.status}")
        elif failure.check(IgnoreRequest):
            # robots.txt: counted and logged by CountingRobotsTxtMiddleware.
            return
        else:
            request = failure.request
            self.inc(f"errors/{failure.type.__name__}")
            self.quarantine(request, "download_error", detail=repr(failure.value))

    # -- incremental / since --------------------------------------------
    def already_stored(self, source_id: str) -> bool:
        """True if the raw store holds a record with this source id (store read once per crawl)."""
        if self._stored_ids is None:
            self._stored_ids = RawStore(self.raw_dir).source_ids(self.source_system, self.assembly_code)
        return source_id in self._stored_ids

    def before_since(self, day: Date | None) -> bool:
        return bool(self.since and day and day < self.since)

    def wanted(self, url: str, day: Date | None, source_id: str, not_minutes: bool = False) -> bool:
        """Decide whether to fetch a listed meeting; every refusal is counted under ``skipped/*``."""
        reason = (
            "not_minutes" if not_minutes
            else "before_since" if self.before_since(day)
            else "already_stored" if self.already_stored(source_id)
            else None
        )
        if reason:
            self.skip(reason, url)
        return reason is None

    # -- quarantine -----------------------------------------------------
    @property
    def quarantine_dir(self) -> Path:
        return Path(self.raw_dir).absolute().parent / "quarantine" / self.source_system / self.assembly_code

    def quarantine(self, target: Response | Request, reason: str, detail: str = "") -> Path:
        """Save the response body with its URL and the reason; count ``quarantine/*``."""
        if isinstance(target, Response):
            response, request = target, getattr(target, "request", None)
        else:
            response, request = None, target
        body = response.body if response is not None else b""
        url = response.url if response is not None else request.url
        req_body = request.body if isinstance(request, Request) else b""
        digest = hashlib.sha1(url.encode() + b"\0" + req_body + b"\0" + body).hexdigest()[:16]
        folder = self.quarantine_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{digest}.body").write_bytes(body)
        meta = {
            "url": url,
            "method": request.method if isinstance(request, Request) else None,
            "request_body": req_body.decode("utf-8", "replace"),
            "status": response.status if response is not None else None,
            "reason": reason,
            "detail": detail,
            "quarantined_at": datetime.now(UTC).isoformat(),
        }
        path = folder / f"{digest}.json"
        path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        self.inc("quarantine/count")
        self.inc(f"quarantine/reason/{reason}")
        self.logger.warning("quarantined (%s%s): %s -> %s", reason, f": {detail}" if detail else "", url, path)
        return path

    def parse_or_quarantine(self, response: Response, parse: Callable[..., Any], *args: Any) -> Any | None:
        """``parse(response.body, response.url, *args)``, or None after quarantining a page it cannot read."""
        try:
            return parse(response.body, response.url, *args)
        except PARSE_ERRORS as exc:
            reason = "malformed_json" if isinstance(exc, json.JSONDecodeError) else "unparseable"
            self.quarantine(response, reason, detail=f"{type(exc).__name__}: {exc}")
            return None

    # -- records --------------------------------------------------------
    def make_meeting_record(self, parsed: ParsedPage, url: str, **extra: Any) -> MeetingRecord:
        """Raw record for parsed minutes.

        ``extra`` overrides any field: ``source_id`` (default: ``url``), ``title``,
        ``date``, ``meeting_kind``, ``committee``, ``assembly_name``…; the kind and
        committee are guessed from the title when not given.
        """
        title = extra.pop("title", None) or parsed.title or url
        assembly_name = extra.pop("assembly_name", None) or self.assembly.name
        fields: dict[str, Any] = {
            "source_system": self.source_system,
            "source_id": url,
            "fetched_at": datetime.now(UTC),
            "assembly_code": self.assembly_code,
            "assembly_name": assembly_name,
            "prefecture": self.assembly.prefecture,
            "meeting_kind": meeting_kind_from_title(title),
            "committee": None,
            "date": parsed.date,
            "title": title,
            "url": url,
            "speeches": [
                SpeechRecord(order=i, speaker=s.speaker, text=s.text) for i, s in enumerate(parsed.speeches)
            ],
        }
        fields.update(extra)
        if fields["meeting_kind"] == "委員会" and "committee" not in extra:
            fields["committee"] = committee_from_title(title, assembly_name)
        return MeetingRecord(**fields)

    def record_or_quarantine(
        self, response: Response, parsed: ParsedPage, url: str, **extra: Any
    ) -> MeetingRecord | None:
        """The record, or None after quarantining minutes without speeches."""
        if not parsed.speeches:
            self.quarantine(response, "empty_minutes")
            return None
        return self.make_meeting_record(parsed, url, **extra)

    def closed(self, reason: str) -> None:
        line = summary_line(
            summarize(self.crawler.stats.get_stats()), f"crawl {self.assembly_code} {self.source_system}"
        )
        self.logger.info("%s (finish reason: %s)", line, reason)
