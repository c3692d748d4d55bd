"""Link classification of members' outbound links, and the SNS host rule."""

from __future__ import annotations

import pytest

from crawlers.parsers.links import REFUSED_HOSTS, classify, is_refused_url, member_links

CASES = [
    ("https://ameblo.jp/masuko-hiroki/", "", "blog", "ameba"),
    ("https://ameblo.jp/masuko-hiroki/entry-12345678901.html", "", "blog", "ameba"),
    ("https://note.com/morisawa_kyoko", "", "blog", "note"),
    ("https://nishizawa.hatenablog.com/", "", "blog", "hatena"),
    ("http://blog.livedoor.jp/nishizawa_keita/", "", "blog", "livedoor"),
    ("https://morisawa.wordpress.com/", "", "blog", "wordpress"),
    ("https://x.com/masuko_hiroki", "", "x", None),
    ("https://twitter.com/nishizawa_keita", "", "x", None),
    ("https://mobile.twitter.com/nishizawa_keita", "", "x", None),
    ("https://www.facebook.com/masuko.hiroki", "", "facebook", None),
    ("https://m.facebook.com/masuko.hiroki", "", "facebook", None),
    ("https://www.instagram.com/morisawa_kyoko/", "", "instagram", None),
    ("https://www.youtube.com/channel/UCnishizawa", "", "youtube", None),
    ("https://youtu.be/abc123", "", "youtube", None),
    ("https://line.me/R/ti/p/@nishizawa", "", "line", None),
    ("https://lin.ee/nshzw01", "", "line", None),
    ("https://www.tiktok.com/@morisawa_kyoko", "", "tiktok", None),
    ("https://masuko-hiroki.jp/", "公式ホームページ", "site", None),
    ("https://masuko-hiroki.jp/blog/", "", "blog", None),
    ("https://kyoko-morisawa.com/", "もりさわ恭子ブログ", "blog", None),
]


@pytest.mark.parametrize(("url", "text", "kind", "platform"), CASES)
def test_classify(url, text, kind, platform):
    found = classify(url, text)
    assert (found.kind, found.platform) == (kind, platform)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.gikai.metro.tokyo.lg.jp/membership/",  # the assembly itself
        "https://www.metro.tokyo.lg.jp/",  # government
        "https://get.adobe.com/jp/reader/",  # document viewer
        "mailto:masuko@example.jp",
        "javascript:void(0)",
    ],
)
def test_not_member_links(url):
    assert classify(url, "", own_host="www.gikai.metro.tokyo.lg.jp") is None


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://x.com/masuko_hiroki", True),
        ("http://twitter.com/a", True),
        ("https://api.twitter.com/2/tweets", True),
        ("https://www.facebook.com/a", True),
        ("https://fb.me/a", True),
        ("https://www.instagram.com/a/", True),
        ("https://www.tiktok.com/@a", True),
        ("https://t.co/abc", True),
        ("https://X.COM./a", True),
        ("https://ameblo.jp/a/", False),
        ("https://www.youtube.com/@a", False),
        ("https://notx.com/a", False),
        ("https://x.com.example.jp/a", False),
        ("http://127.0.0.1:8080/x.com", False),
    ],
)
def test_refused_hosts(url, refused):
    assert is_refused_url(url) is refused


def test_refused_hosts_are_exactly_the_login_walled_platforms():
    assert set(REFUSED_HOSTS) >= {"x.com", "twitter.com", "facebook.com", "instagram.com", "tiktok.com"}
    assert not any(h in REFUSED_HOSTS for h in ("youtube.com", "line.me", "ameblo.jp", "note.com"))


def test_member_links_first_of_each_kind_and_second_blog_by_platform():
    links = member_links(
        [
            ("https://ameblo.jp/masuko-hiroki/", "ブログ"),
            ("https://note.com/masuko", "note"),
            ("https://x.com/masuko_hiroki", "X"),
            ("https://twitter.com/masuko_old", "Twitter"),
            ("https://ameblo.jp/masuko-hiroki/", "ブログ"),
            ("https://www.gikai.metro.tokyo.lg.jp/", "東京都議会"),
        ],
        own_host="www.gikai.metro.tokyo.lg.jp",
    )
    assert links == {
        "blog": "https://ameblo.jp/masuko-hiroki/",
        "blog:note": "https://note.com/masuko",
        "x": "https://x.com/masuko_hiroki",
    }
