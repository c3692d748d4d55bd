"""A member's outbound links: what each one is, and which hosts we never request.

:func:`classify` names a link by its host (and, for sites we cannot tell by host,
by its anchor text): ``site``, ``blog``, ``x``, ``facebook``, ``instagram``,
``youtube``, ``line``, ``tiktok``. Blogs also get a platform (``ameba``,
``note``, ``hatena``, ``livedoor``, ``wordpress``…) that
:func:`crawlers.spiders.member_pages` uses to find the feed.

SNS rule: X/Twitter, Facebook, Instagram and TikTok pages are login-walled and
their terms forbid scraping. Their links are recorded, never fetched;
:func:`is_refused_url` is the one predicate, enforced for every request by
:class:`crawlers.middlewares_sns.SnsRefusalMiddleware`.

Example::

    >>> classify("https://ameblo.jp/masuko-hiroki/")
    LinkKind(kind='blog', platform='ameba')
    >>> classify("https://x.com/masuko_hiroki").kind
    'x'
    >>> is_refused_url("https://mobile.twitter.com/masuko_hiroki")
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

KINDS = ("site", "blog", "x", "facebook", "instagram", "youtube", "line", "tiktok")

SNS_KINDS = frozenset({"x", "facebook", "instagram", "tiktok"})
"""Kinds whose pages are never requested (login walls, terms forbid scraping)."""

FETCHABLE_KINDS = frozenset({"site", "blog"})
"""Kinds the member pages spider reads posts from."""

# host suffix → kind. A suffix matches the host itself and its subdomains.
_SOCIAL_HOSTS: dict[str, str] = {
    "x.com": "x",
    "twitter.com": "x",
    "t.co": "x",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.me": "facebook",
    "fb.watch": "facebook",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "line.me": "line",
    "lin.ee": "line",
}

REFUSED_HOSTS = tuple(sorted(h for h, k in _SOCIAL_HOSTS.items() if k in SNS_KINDS))
"""Hosts (and their subdomains) no spider may request: x.com, twitter.com, facebook.com…"""

# host suffix → blog platform.
_BLOG_HOSTS: dict[str, str] = {
    "ameblo.jp": "ameba",
    "ameba.jp": "ameba",
    "note.com": "note",
    "note.mu": "note",
    "hatenablog.com": "hatena",
    "hatenablog.jp": "hatena",
    "hateblo.jp": "hatena",
    "hatenadiary.jp": "hatena",
    "hatenadiary.com": "hatena",
    "blog.hatena.ne.jp": "hatena",
    "livedoor.jp": "livedoor",
    "livedoor.blog": "livedoor",
    "blog.jp": "livedoor",
    "wordpress.com": "wordpress",
    "blogspot.com": "blogger",
    "blogger.com": "blogger",
    "fc2.com": "fc2",
    "seesaa.net": "seesaa",
    "goo.ne.jp": "goo",
    "jugem.jp": "jugem",
    "exblog.jp": "excite",
    "cocolog-nifty.com": "cocolog",
}

# Links that are never a member's own: document viewers, maps, the government.
_IGNORED_HOSTS = (
    "adobe.com",
    "get.adobe.com",
    "www.google.com",
    "www.google.co.jp",
    "maps.google.com",
    "maps.google.co.jp",
    "goo.gl",
    "maps.app.goo.gl",
    "apple.com",
    "microsoft.com",
    "go.jp",
    "lg.jp",
    "kaigiroku.net",
    "dbsr.jp",
    "gijiroku.com",
    "kensakusystem.jp",
    "discussvision.net",
)

_BLOG_TEXT = re.compile(r"ブログ|blog|日記|活動報告", re.IGNORECASE)
_SITE_TEXT = re.compile(r"ホームページ|ＨＰ|HP|公式|サイト|web|ウェブ|事務所", re.IGNORECASE)


@dataclass(frozen=True)
class LinkKind:
    kind: str
    platform: str | None = None


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _match(host: str, suffixes: Iterable[str]) -> str | None:
    for suffix in suffixes:
        if host == suffix or host.endswith("." + suffix):
            return suffix
    return None


def is_refused_host(host: str) -> bool:
    """True for X/Twitter, Facebook, Instagram and TikTok hosts and their subdomains."""
    return _match(host.lower().rstrip("."), REFUSED_HOSTS) is not None


def is_refused_url(url: str) -> bool:
    """True if ``url`` points at a host of :data:`REFUSED_HOSTS` (never requested)."""
    return is_refused_host(_host(url))


def blog_platform(url: str) -> str | None:
    """``ameba`` for ameblo.jp, ``note`` for note.com…; None for a host we do not know as a blog host."""
    host = _host(url)
    suffix = _match(host, _BLOG_HOSTS)
    if suffix:
        return _BLOG_HOSTS[suffix]
    return None


def classify(url: str, text: str = "", own_host: str | None = None) -> LinkKind | None:
    """What a link on a member's page is, or None when it is not one of the member's own links.

    ``text`` is the anchor text (``ブログ``, ``公式ホームページ``) and decides
    between ``blog`` and ``site`` for hosts we cannot tell by name. Links to
    ``own_host`` (the assembly's site), to government hosts and to document
    viewers are not member links.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return None
    host = _host(url)
    if not host:
        return None
    social = _match(host, _SOCIAL_HOSTS)
    if social:
        return LinkKind(_SOCIAL_HOSTS[social])
    blog = _match(host, _BLOG_HOSTS)
    if blog:
        return LinkKind("blog", _BLOG_HOSTS[blog])
    if own_host and host == own_host.lower():
        return None
    if _match(host, _IGNORED_HOSTS):
        return None
    path = parts.path.lower()
    if _BLOG_TEXT.search(text) or re.search(r"(^|/)(blog|diary)(/|$)", path):
        if "wp-content" in path or "/wp/" in path:
            return LinkKind("blog", "wordpress")
        return LinkKind("blog", None)
    return LinkKind("site", None)


def member_links(anchors: Iterable[tuple[str, str]], own_host: str | None = None) -> dict[str, str]:
    """``{kind: url}`` from ``(url, anchor text)`` pairs; the first link of each kind wins.

    A second, different blog is kept as ``blog:<platform>`` (``blog:note``) so a
    member with an Ameba blog and a note account keeps both.
    """
    out: dict[str, str] = {}
    for url, text in anchors:
        found = classify(url, text, own_host)
        if found is None:
            continue
        key = found.kind
        if key in out:
            if out[key] == url or key != "blog":
                continue
            key = f"blog:{found.platform or 'other'}"
            if key in out:
                continue
        out[key] = url
    return out
