"""Member pages spider: posts from members' own sites and blogs → :class:`PostRecord`.

Targets are the ``site`` and ``blog`` links of the assembly's members in the raw
store (written by the roster spider), or one ``start_url`` with ``member_name``
(tests, one-off crawls). X, Facebook, Instagram and TikTok links are never
targets, and the SNS middleware refuses any request that would reach them anyway.

Per target:

1. a blog platform with a known feed (Ameba, note, はてな, livedoor) → its feed;
2. otherwise the start page: a feed it announces (``<link rel="alternate">``), else
   the :data:`~crawlers.parsers.posts.PROBE_PATHS` (``/feed``, ``/rss``,
   ``/atom.xml``…) tried one after the other;
3. no feed at all → article pages linked from the start page on the same site
   (at most ``max_pages``), their main text extracted with trafilatura.

Feed entries with full content become posts directly; summary-only entries fetch
the article page (within ``max_pages``) for the text. Incremental: post URLs
already stored, entries older than the member's newest stored post and entries
before ``since`` are skipped (``skipped/already_stored``, ``skipped/older_than_stored``,
``skipped/before_since``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.parsers import posts
from crawlers.parsers.links import FETCHABLE_KINDS, is_refused_url
from crawlers.rawstore import RawStore
from crawlers.records import MemberRecord, PostRecord
from crawlers.spiders.base import PARSE_ERRORS, MinutesSpider
from nlp.names import name_key

MIN_FEED_TEXT = 120
"""A feed entry shorter than this (characters) is a teaser: the article page is read instead."""


@dataclass
class Target:
    member_name: str
    url: str
    budget: int
    """Article pages this target may still fetch."""
    seen: set[str] = field(default_factory=set)

    def take(self, url: str) -> bool:
        if self.budget <= 0 or url in self.seen:
            return False
        self.seen.add(url)
        self.budget -= 1
        return True


class MemberPagesSpider(MinutesSpider):
    name = "member_pages"
    source_system = "member_pages"

    def __init__(
        self,
        assembly_code: str,
        start_url: str | None = None,
        *args: Any,
        member_name: str | None = None,
        max_pages: int | str = 20,
        **kwargs: Any,
    ):
        super().__init__(assembly_code, start_url, *args, **kwargs)
        # Never the registry's minutes URL: without a start URL the targets come from the store.
        self.start_url = start_url
        self.member_name = member_name or ""
        self.max_pages = int(max_pages)
        self._post_urls: set[str] | None = None
        self._newest: dict[str, datetime] = {}

    # -- targets and the store -------------------------------------------
    def targets(self) -> list[Target]:
        if self.start_url:
            return [Target(self.member_name, self.start_url, self.max_pages)]
        out = []
        members = RawStore(self.raw_dir).latest("member").values()
        for member in sorted(
            (m for m in members if isinstance(m, MemberRecord) and m.assembly_code == self.assembly_code),
            key=lambda m: m.name,
        ):
            for key, url in member.links.items():
                if key.split(":")[0] in FETCHABLE_KINDS and not is_refused_url(url):
                    out.append(Target(member.name, url, self.max_pages))
        self.inc("member_pages/targets", len(out))
        return out

    def _load_posts(self) -> None:
        self._post_urls = set()
        store = RawStore(self.raw_dir)
        for path in store.paths("post"):
            if path.parent.name != self.assembly_code:
                continue
            record = store.read(path)
            if record.source_system != self.source_system:
                continue
            self._post_urls.add(record.source_id)
            if record.published:
                key = name_key(record.member_name)
                if key not in self._newest or record.published > self._newest[key]:
                    self._newest[key] = record.published

    def already_stored(self, source_id: str) -> bool:
        if self._post_urls is None:
            self._load_posts()
        return source_id in self._post_urls

    def _wanted(self, target: Target, url: str, published: datetime | None) -> bool:
        if self._post_urls is None:
            self._load_posts()
        newest = self._newest.get(name_key(target.member_name))
        reason = (
            "before_since" if self.before_since(published.date() if published else None)
            else "already_stored" if self.already_stored(url)
            else "older_than_stored" if newest and published and published < newest
            else None
        )
        if reason:
            self.skip(reason, url)
        return reason is None

    # -- crawl ---------------------------------------------------------------
    async def start(self):
        for target in self.targets():
            feed = posts.platform_feed_url(target.url)
            if feed:
                yield self.request(
                    feed, self.parse_feed, cb_kwargs={"target": target},
                    errback=partial(self.feed_failed, target=target, fallback=[target.url]),
                )
            else:
                yield self.request(target.url, self.parse_home, cb_kwargs={"target": target})

    def parse_home(self, response, target: Target):
        if posts.looks_like_feed(response.body):
            yield from self.parse_feed(response, target)
            return
        try:
            feeds = posts.feed_links(response.body, response.url)
            articles = posts.article_links(response.body, response.url)
        except PARSE_ERRORS as exc:
            self.quarantine(response, "unparseable", detail=f"{type(exc).__name__}: {exc}")
            return
        if feeds:
            self.inc("feeds/announced")
            yield self.request(
                feeds[0], self.parse_feed, cb_kwargs={"target": target},
                errback=partial(self.feed_failed, target=target, articles=articles),
            )
        else:
            yield from self._probe(target, posts.probe_urls(response.url), articles)

    def _probe(self, target: Target, remaining: list[str], articles: list[str]):
        remaining = [u for u in remaining if urlsplit(u).netloc == urlsplit(target.url).netloc]
        if not remaining:
            self.inc("feeds/none")
            yield from self._articles(target, articles)
            return
        url, rest = remaining[0], remaining[1:]
        yield self.request(
            url, self.parse_probe, cb_kwargs={"target": target, "rest": rest, "articles": articles},
            errback=partial(self.probe_missed, target=target, rest=rest, articles=articles),
        )

    def parse_probe(self, response, target: Target, rest: list[str], articles: list[str]):
        if posts.looks_like_feed(response.body):
            self.inc("feeds/probed")
            yield from self.parse_feed(response, target, articles=articles)
        else:
            self.inc("feeds/probe_miss")
            yield from self._probe(target, rest, articles)

    def probe_missed(self, failure, target: Target, rest: list[str], articles: list[str]):
        """A probe answering 404 is the expected outcome, not an error to quarantine."""
        if failure.check(HttpError):
            self.inc("feeds/probe_miss")
        else:
            self.on_error(failure)
        return list(self._probe(target, rest, articles))

    def feed_failed(self, failure, target: Target, articles: list[str] | None = None, fallback=None):
        self.on_error(failure)
        if fallback:
            return [self.request(u, self.parse_home, cb_kwargs={"target": target}) for u in fallback]
        return list(self._articles(target, articles or []))

    def parse_feed(self, response, target: Target, articles: list[str] | None = None):
        try:
            entries = posts.parse_feed(response.body, response.url)
        except PARSE_ERRORS as exc:
            self.quarantine(response, "unparseable_feed", detail=f"{type(exc).__name__}: {exc}")
            yield from self._articles(target, articles or [])
            return
        self.inc("feeds/read")
        for entry in entries:
            if not self._wanted(target, entry.url, entry.published):
                continue
            if entry.full and len(entry.text) >= MIN_FEED_TEXT or not self._fetchable(target, entry.url):
                if entry.text:
                    yield self.post_record(target, entry.url, entry.title, entry.published, entry.text)
                else:
                    self.skip("no_text", entry.url)
                continue
            if target.take(entry.url):
                yield self.request(
                    entry.url, self.parse_article, cb_kwargs={"target": target, "entry": entry},
                    errback=partial(self.article_failed, target=target, entry=entry),
                )
            elif entry.text:
                yield self.post_record(target, entry.url, entry.title, entry.published, entry.text)

    def _fetchable(self, target: Target, url: str) -> bool:
        return not is_refused_url(url) and urlsplit(url).scheme in ("http", "https")

    def _articles(self, target: Target, articles: list[str]):
        if not articles:
            self.skip("no_articles", target.url)
            return
        for url in articles:
            if not self._wanted(target, url, None):
                continue
            if not target.take(url):
                self.skip("max_pages", url)
                continue
            yield self.request(url, self.parse_article, cb_kwargs={"target": target})

    def parse_article(self, response, target: Target, entry: posts.FeedEntry | None = None):
        try:
            article = posts.parse_article(response.body, response.url)
        except PARSE_ERRORS as exc:
            if entry and entry.text:
                yield self.post_record(target, entry.url, entry.title, entry.published, entry.text)
            else:
                self.skip("no_text", response.url)
                self.logger.debug("no main text in %s: %s", response.url, exc)
            return
        if entry is None and not self._wanted(target, response.url, article.published):
            return
        url = entry.url if entry else response.url
        title = (entry.title if entry else None) or article.title or url
        published = (entry.published if entry else None) or article.published
        yield self.post_record(target, url, title, published, article.text)

    def article_failed(self, failure, target: Target, entry: posts.FeedEntry):
        self.on_error(failure)
        if entry.text:
            return [self.post_record(target, entry.url, entry.title, entry.published, entry.text)]
        return []

    def post_record(
        self, target: Target, url: str, title: str, published: datetime | None, text: str
    ) -> PostRecord:
        return PostRecord(
            source_system=self.source_system,
            source_id=url,
            fetched_at=datetime.now(UTC),
            assembly_code=self.assembly_code,
            member_name=target.member_name,
            url=url,
            title=title,
            published=published,
            text=text,
        )
