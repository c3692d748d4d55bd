"""Member pages spider end to end: roster → members' sites and blogs (RSS, Atom, no feed) → posts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROSTERS = FIXTURES / "rosters"
ROBOTS = "User-agent: *\nDisallow: /membership/profile/055.html\nDisallow: /blogs/masuko/private/\n"

pytestmark = pytest.mark.slow


def serve(site) -> str:
    blogs = site.base_url.replace("127.0.0.1", "localhost")
    for path, rel in [("/membership/", "table/meibo.html")] + [
        (f"/membership/profile/{n}.html", f"table/profile/{n}.html") for n in ("026", "054", "055", "116")
    ]:
        site.add(path, (ROSTERS / rel).read_text(encoding="utf-8").replace("{{BLOGS}}", blogs))
    site.add_dir("/blogs/", FIXTURES / "blogs")
    site.robots(ROBOTS)
    return blogs


def env(site, crawl_environ):
    # Any request that escaped the SNS rule would be proxied to the local server and show up in site.seen().
    return crawl_environ(http_proxy=site.base_url, https_proxy=site.base_url, no_proxy="127.0.0.1,localhost")


def posts(raw) -> dict:
    return {r.url: r for r in RawStore(raw).latest("post").values()}


def test_roster_then_posts_rss_atom_and_pages_without_feed(site, tmp_path, run_crawl_cli, crawl_environ):
    blogs = serve(site)
    raw, stats_path = tmp_path / "raw", tmp_path / "stats.json"

    def crawl():
        result = run_crawl_cli(
            "crawl-members", "--assembly", "130001", "--start-url", site.url("/membership/"),
            "--raw-dir", str(raw), "--stats-json", str(stats_path), env=env(site, crawl_environ),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result, json.loads(stats_path.read_text())

    result, stats = crawl()
    pages = stats["member_pages"]["stats"]
    assert "crawl-members 130001 roster: fetched=4 stored=4" in result.stdout
    assert stats["member_pages"]["summary"]["stored"] == 6, pages
    assert pages["member_pages/targets"] == 4  # 増子 site, 西沢 site, 森澤 blog + site; 米倉 has none

    got = posts(raw)
    assert {(p.member_name, p.url.removeprefix(blogs)) for p in got.values()} == {
        ("増子ひろき", "/blogs/masuko/2020/02/ippan-shitsumon.html"),
        ("増子ひろき", "/blogs/masuko/2020/03/kosei-iinkai.html"),
        ("西沢けいた", "/blogs/nishizawa/2020/02/28/chusho-kigyo/"),
        ("西沢けいた", "/blogs/nishizawa/2020/03/15/telework.html"),
        ("森澤恭子", "/blogs/morisawa/entry/hoikuen.html"),
        ("森澤恭子", "/blogs/morisawa/entry/kosodate.html"),
    }
    # RSS 2.0 announced by <link rel=alternate>: full content:encoded taken from the feed...
    rss_full = got[f"{blogs}/blogs/nishizawa/2020/02/28/chusho-kigyo/"]
    assert rss_full.title == "中小企業への緊急支援を求めました"
    assert rss_full.published == datetime(2020, 2, 28, 0, 0, tzinfo=UTC)
    assert "無利子・無担保の緊急融資枠の拡大" in rss_full.text
    assert (rss_full.source_system, rss_full.assembly_code) == ("member_pages", "130001")
    # ...a teaser entry is completed from its article page (trafilatura), nav and footer left out.
    teaser = got[f"{blogs}/blogs/nishizawa/2020/03/15/telework.html"]
    assert teaser.title == "テレワーク導入助成について"
    assert "手続きの簡素化と専門家による無料相談の拡充" in teaser.text
    assert "西沢けいた事務所" not in teaser.text
    # Atom found by probing /atom.xml after /feed and /rss answered 404.
    atom = got[f"{blogs}/blogs/morisawa/entry/hoikuen.html"]
    assert "保育士の確保が最大の課題" in atom.text
    assert atom.published == datetime(2020, 3, 4, 3, 0, tzinfo=UTC)
    assert pages["feeds/probed"] == 1 and pages["feeds/announced"] == 1
    # No feed at all: article pages linked from the index, main text by trafilatura.
    article = got[f"{blogs}/blogs/masuko/2020/03/kosei-iinkai.html"]
    assert "保健所への応援職員の派遣を拡大する" in article.text
    assert article.published is not None and article.published.date().isoformat() == "2020-03-10"
    assert pages["feeds/none"] == 1

    # robots.txt obeyed on the member's site.
    assert site.seen("/blogs/masuko/private/draft.html") == []
    assert pages["robots/blocked"] == 1
    # SNS: 森澤's "site" meta-refreshes to X — refused, never requested; X/Facebook links on pages not followed.
    assert pages["sns/refused"] == 1
    assert pages["sns/refused/x.com"] == 1
    assert not [r for r in site.seen() if "morisawa_kyoko" in r.path or "masuko_hiroki" in r.path]
    for stage in ("roster", "member_pages"):
        assert not [k for k in stats[stage]["stats"] if k.startswith("errors/")], stats[stage]["stats"]
    assert stats["member_pages"]["summary"]["quarantined"] == 0

    # Incremental: the second run stores nothing and fetches no article twice.
    result, stats = crawl()
    assert stats["member_pages"]["summary"]["stored"] == 0
    assert stats["member_pages"]["stats"]["skipped/already_stored"] == 6
    assert len(site.seen("/blogs/masuko/2020/03/kosei-iinkai.html")) == 1
    assert len(site.seen("/blogs/nishizawa/2020/03/15/telework.html")) == 1


def test_one_blog_by_url_since_and_max_pages(site, tmp_path, run_crawl_cli, crawl_environ):
    serve(site)
    raw = tmp_path / "raw"
    result = run_crawl_cli(
        "crawl-members", "--assembly", "130001", "--blog-url", site.url("/blogs/masuko/"),
        "--member", "増子ひろき", "--max-pages", "1", "--raw-dir", str(raw), env=env(site, crawl_environ),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "crawl-members 130001 member_pages:" in result.stdout
    (post,) = posts(raw).values()
    assert post.member_name == "増子ひろき"
    assert post.url.endswith("/blogs/masuko/2020/02/ippan-shitsumon.html")
    assert site.seen("/membership/") == []  # no roster crawl

    raw2 = tmp_path / "raw2"
    result = run_crawl_cli(
        "crawl-members", "--assembly", "130001", "--blog-url", site.url("/blogs/morisawa/"),
        "--member", "森澤恭子", "--since", "2020-03-01", "--raw-dir", str(raw2), env=env(site, crawl_environ),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert [p.title for p in posts(raw2).values()] == ["保育園の待機児童対策"]


def test_crawl_members_writes_to_gikai_raw_dir_by_default(site, tmp_path, run_crawl_cli, crawl_environ):
    serve(site)
    raw = tmp_path / "env-raw"
    result = run_crawl_cli(
        "crawl-members", "--assembly", "130001", "--start-url", site.url("/membership/"), "--no-posts",
        env={**env(site, crawl_environ), "GIKAI_RAW_DIR": str(raw)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "crawl-members 130001 roster: fetched=4 stored=4" in result.stdout
    members = {m.name for m in RawStore(raw).latest("member").values()}
    assert "増子ひろき" in members and len(members) == 4
