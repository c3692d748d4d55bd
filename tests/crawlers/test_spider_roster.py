"""Roster spider end to end: ``crawl-members --no-posts`` against the local server, in a subprocess."""

from __future__ import annotations

import json
from datetime import date as Date
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROSTERS = FIXTURES / "rosters"
ROBOTS = "User-agent: *\nDisallow: /membership/profile/055.html\nDisallow: /blogs/masuko/private/\n"

pytestmark = pytest.mark.slow


def serve_roster(site, page: str = "table/meibo.html", at: str = "/membership/") -> None:
    """The roster page at ``at``, the profile pages below it, blogs on another host name (localhost)."""
    blogs = site.base_url.replace("127.0.0.1", "localhost")

    def add(path: str, rel: str) -> None:
        site.add(path, (ROSTERS / rel).read_text(encoding="utf-8").replace("{{BLOGS}}", blogs))

    add(at, page)
    for n in ("026", "054", "055", "116"):
        add(f"/membership/profile/{n}.html", f"table/profile/{n}.html")
    site.add_dir("/blogs/", FIXTURES / "blogs")
    site.robots(ROBOTS)


def sns_env(site, crawl_environ) -> dict[str, str]:
    """Route any proxied request to the local server: an SNS request that escaped would show up there."""
    return crawl_environ(
        http_proxy=site.base_url, https_proxy=site.base_url, no_proxy="127.0.0.1,localhost",
    )


def members(raw) -> dict:
    return {r.name: r for r in RawStore(raw).latest("member").values()}


def run(run_crawl_cli, env, *args):
    result = run_crawl_cli("crawl-members", *args, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_table_roster_with_profile_pages(site, tmp_path, run_crawl_cli, crawl_environ):
    serve_roster(site)
    raw, stats_path = tmp_path / "raw", tmp_path / "stats.json"
    result = run(
        run_crawl_cli, sns_env(site, crawl_environ), "--assembly", "130001", "--start-url",
        site.url("/membership/"), "--no-posts", "--raw-dir", str(raw), "--stats-json", str(stats_path),
    )
    assert "crawl-members 130001 roster: fetched=4 stored=4 skipped=0 blocked-by-robots=1 quarantined=0" in result.stdout
    stats = json.loads(stats_path.read_text())
    assert list(stats) == ["roster"]
    assert stats["roster"]["stats"]["roster/layout/table"] == 1

    got = members(raw)
    assert set(got) == {"増子ひろき", "森澤恭子", "西沢けいた", "米倉春奈"}
    masuko = got["増子ひろき"]
    assert (masuko.source_system, masuko.source_id) == ("roster", "roster/130001/増子ひろき")
    assert (masuko.reading, masuko.party, masuko.seat) == ("ますこ ひろき", "都民ファーストの会東京都議団", "116")
    assert masuko.committees == ["厚生委員会", "議会運営委員会"]
    assert (masuko.term_start, masuko.term_end) == (Date(2017, 7, 23), Date(2021, 7, 22))
    assert masuko.url == site.url("/membership/profile/116.html")
    blogs = site.base_url.replace("127.0.0.1", "localhost")
    assert masuko.links == {
        "site": f"{blogs}/blogs/masuko/",
        "x": "https://x.com/masuko_hiroki",
        "facebook": "https://www.facebook.com/masuko.hiroki",
    }
    assert got["西沢けいた"].committees == ["経済・港湾委員会", "予算特別委員会"]
    assert got["西沢けいた"].links["line"] == "https://lin.ee/nshzw01"
    assert got["森澤恭子"].committees == ["厚生委員会", "都議会のあり方検討委員会"]
    assert set(got["森澤恭子"].links) == {"blog", "site", "instagram", "tiktok"}
    # robots.txt forbids 055.html: never fetched, the list's data is kept.
    assert site.seen("/membership/profile/055.html") == []
    yonekura = got["米倉春奈"]
    assert (yonekura.committees, yonekura.url) == (["文教委員会"], site.url("/membership/profile/055.html"))

    # SNS links were recorded, never requested: nothing reached the proxy, no download error.
    assert not [r for r in site.seen() if "masuko_hiroki" in r.path or "tokyo_gikai_koho" in r.path]
    assert not [k for k in stats["roster"]["stats"] if k.startswith("errors/")]
    # --no-posts: no blog was read.
    assert not [r for r in site.seen() if r.path.startswith("/blogs/")]

    # Re-crawl: same content, nothing new in the store.
    result = run(
        run_crawl_cli, sns_env(site, crawl_environ), "--assembly", "130001", "--start-url",
        site.url("/membership/"), "--no-posts", "--raw-dir", str(raw),
    )
    assert "stored=0" in result.stdout


def test_cards_roster(site, tmp_path, run_crawl_cli, crawl_environ):
    serve_roster(site, "cards/kaiha.html", "/membership/kaiha.html")
    raw, stats_path = tmp_path / "raw", tmp_path / "stats.json"
    run(
        run_crawl_cli, sns_env(site, crawl_environ), "--assembly", "130001", "--start-url",
        site.url("/membership/kaiha.html"), "--no-posts", "--raw-dir", str(raw), "--stats-json", str(stats_path),
    )
    stats = json.loads(stats_path.read_text())["roster"]
    got = members(raw)
    assert set(got) == {"増子ひろき", "伊藤ゆう", "西沢けいた", "森澤恭子"}
    assert got["森澤恭子"].district == "品川区"
    # Card links and profile links together; the card's note and Ameba blog are kept, never fetched.
    assert got["森澤恭子"].links["blog"] == "https://note.com/morisawa_kyoko"
    assert got["西沢けいた"].links["blog"] == "https://ameblo.jp/nishizawa-keita/"
    assert got["西沢けいた"].links["site"].endswith("/blogs/nishizawa/")
    # 伊藤ゆう's profile page does not exist here: quarantined as a 404, the card's record is kept.
    assert got["伊藤ゆう"].party == "都民ファーストの会東京都議団"
    assert stats["stats"]["quarantine/reason/http_404"] == 1
    assert stats["summary"]["blocked_by_robots"] == 0


def test_heading_per_member_roster_without_profiles(site, tmp_path, run_crawl_cli, crawl_environ):
    serve_roster(site, "profiles/giin.html", "/membership/giin.html")
    raw = tmp_path / "raw"
    result = run(
        run_crawl_cli, sns_env(site, crawl_environ), "--assembly", "130001", "--start-url",
        site.url("/membership/giin.html"), "--no-posts", "--raw-dir", str(raw),
    )
    assert "fetched=1 stored=3" in result.stdout
    got = members(raw)
    assert got["西沢けいた"].seat == "54"
    assert got["増子ひろき"].url == site.url("/membership/giin.html")


def test_unknown_assembly_and_missing_url(run_crawl_cli):
    result = run_crawl_cli("crawl-members", "--assembly", "999999")
    assert result.returncode == 2
    assert "unknown assembly code '999999'" in result.stderr
    result = run_crawl_cli("crawl-members", "--assembly", "012025")
    assert result.returncode == 2
    assert "no member list URL for assembly 012025" in result.stderr
    result = run_crawl_cli("crawl-members", "--assembly", "130001", "--blog-url", "http://127.0.0.1:9/")
    assert result.returncode == 2
    assert "--blog-url needs --member" in result.stderr
