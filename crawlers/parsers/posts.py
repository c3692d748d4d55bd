"""Members' own sites and blogs: feed discovery, feed entries, article text.

- :func:`feed_links`: ``<link rel="alternate" type="application/rss+xml|atom+xml">``
  of a page (comment feeds left out);
- :func:`platform_feed_url`: the feed a blog platform publishes at a known place
  (Ameba ``rssblog.ameba.jp/<id>/rss20.xml``, note ``/<id>/rss``, はてな ``/rss``…);
- :data:`PROBE_PATHS`: where to look when a page announces no feed;
- :func:`parse_feed`: RSS 0.9x/1.0/2.0 and Atom through feedparser → :class:`FeedEntry`;
- :func:`article_links`: the posts an index page links to on the same site;
- :func:`parse_article`: main text, title and date of an article page (trafilatura).

Pure functions, no I/O.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html

from crawlers.encoding import decode_body
from crawlers.parsers.links import blog_platform, is_refused_url
from crawlers.parsers.textutil import absolute_url, element_text

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
PROBE_PATHS = ("feed", "rss", "atom.xml", "index.rdf", "rss.xml", "feed.xml", "index.xml")
"""Tried in this order, relative to the site's start page, when it links no feed."""

_FILES = re.compile(r"\.(?:pdf|jpe?g|png|gif|svg|webp|zip|docx?|xlsx?|pptx?|mp[34]|css|js|xml|rdf)$", re.IGNORECASE)
_NOT_POSTS = re.compile(
    r"/(?:tag|tags|category|categories|author|page|search|archive|archives|wp-admin|wp-login|login|feed|rss|"
    r"contact|profile|about|privacy)(?:/|$|\.)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    published: datetime | None
    text: str
    full: bool
    """True when the feed carries the post's full content, False for a summary only."""


@dataclass(frozen=True)
class Article:
    title: str | None
    published: datetime | None
    text: str


def looks_like_feed(body: bytes) -> bool:
    """True for an RSS, RDF or Atom document (by its first bytes)."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")) and any(
        tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")
    )


def feed_links(body: bytes, url: str) -> list[str]:
    """Feeds a page announces, in page order, without comment feeds."""
    doc = lxml.html.fromstring(decode_body(body) or "<html/>")
    out = []
    for link in doc.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        ctype = (link.get("type") or "").lower().split(";")[0].strip()
        title = (link.get("title") or "").lower()
        if "alternate" in rel and ctype in FEED_TYPES and not re.search(r"comment|コメント", title):
            if href := absolute_url(url, link.get("href")):
                out.append(href)
    return list(dict.fromkeys(out))


def platform_feed_url(url: str) -> str | None:
    """The feed a blog platform publishes for a blog URL, or None for other sites.

    >>> platform_feed_url("https://ameblo.jp/masuko-hiroki/entry-12345.html")
    'https://rssblog.ameba.jp/masuko-hiroki/rss20.xml'
    >>> platform_feed_url("https://note.com/morisawa_kyoko")
    'https://note.com/morisawa_kyoko/rss'
    """
    platform = blog_platform(url)
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    root = f"{parts.scheme}://{parts.netloc}"
    if platform == "ameba" and parts.hostname in ("ameblo.jp", "www.ameblo.jp") and segments:
        return f"https://rssblog.ameba.jp/{segments[0]}/rss20.xml"
    if platform == "note" and segments:
        return f"{root}/{segments[0]}/rss"
    if platform == "hatena":
        return f"{root}/rss"
    if platform == "livedoor":
        if parts.hostname == "blog.livedoor.jp" and segments:
            return f"{root}/{segments[0]}/atom.xml"
        return f"{root}/atom.xml"
    if platform == "wordpress":
        return f"{root}/feed"
    return None


def probe_urls(url: str) -> list[str]:
    """:data:`PROBE_PATHS` relative to the directory of ``url``."""
    base = url if url.endswith("/") else urljoin(url, ".")
    return [urljoin(base, p) for p in PROBE_PATHS]


def _html_text(html: str) -> str:
    if not html or not html.strip():
        return ""
    if "<" not in html:
        return html.strip()
    try:
        el = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return html.strip()
    return re.sub(r"\n{3,}", "\n\n", element_text(el)).strip()


def _when(parsed) -> datetime | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def parse_feed(body: bytes, url: str) -> list[FeedEntry]:
    """Entries of an RSS or Atom feed; raises ValueError for a body that is no feed."""
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise ValueError(f"not a feed: {parsed.get('bozo_exception') or 'no entries'}")
    entries = []
    for e in parsed.entries:
        link = absolute_url(url, e.get("link") or e.get("id"))
        if not link:
            continue
        content = e.get("content") or []
        full_html = max((c.get("value", "") for c in content), key=len, default="")
        summary = e.get("summary", "")
        text = _html_text(full_html or summary)
        entries.append(
            FeedEntry(
                url=link,
                title=(e.get("title") or "").strip() or link,
                published=_when(e.get("published_parsed") or e.get("updated_parsed")),
                text=text,
                full=bool(full_html.strip()),
            )
        )
    return entries


def article_links(body: bytes, url: str, limit: int = 50) -> list[str]:
    """Links of an index page to posts on the same host below the index's directory."""
    doc = lxml.html.fromstring(decode_body(body) or "<html/>")
    start = urlsplit(url)
    prefix = start.path if start.path.endswith("/") else start.path.rsplit("/", 1)[0] + "/"
    out: list[str] = []
    for a in doc.xpath("//a[@href]"):
        if a.xpath("ancestor::header|ancestor::nav|ancestor::footer"):
            continue
        link = absolute_url(url, a.get("href"))
        if not link or is_refused_url(link):
            continue
        parts = urlsplit(link)
        if parts.netloc != start.netloc or not parts.path.startswith(prefix):
            continue
        if link.rstrip("/") == url.rstrip("/") or parts.path.rstrip("/") == prefix.rstrip("/"):
            continue
        if _FILES.search(parts.path) or _NOT_POSTS.search(parts.path[len(prefix) - 1 :]):
            continue
        out.append(link)
        if len(dict.fromkeys(out)) >= limit:
            break
    return list(dict.fromkeys(out))


def _date_from_page(doc) -> datetime | None:
    for xp in (
        "//meta[@property='article:published_time']/@content",
        "//meta[@name='date']/@content",
        "//time[@datetime]/@datetime",
    ):
        for value in doc.xpath(xp):
            try:
                when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def parse_article(body: bytes, url: str) -> Article:
    """Main text of an article page (trafilatura), its title and publication date.

    Raises ValueError when the page has no main text (an index, a gallery).
    """
    import trafilatura

    html = decode_body(body)
    if not html.strip():
        raise ValueError("empty page")
    text = trafilatura.extract(
        html, url=url, favor_recall=True, include_comments=False, include_tables=True, deduplicate=True
    )
    if not text or not text.strip():
        raise ValueError("no main text")
    doc = lxml.html.fromstring(html)
    published = _date_from_page(doc)
    meta = trafilatura.extract_metadata(html, default_url=url)
    title = (meta.title if meta else None) or (doc.findtext(".//title") or "").strip() or None
    if published is None and meta is not None and meta.date:
        try:
            published = datetime.fromisoformat(meta.date).replace(tzinfo=UTC)
        except ValueError:
            published = None
    return Article(title=title, published=published, text=text.strip())
