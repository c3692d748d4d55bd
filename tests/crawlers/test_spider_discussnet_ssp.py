"""End-to-end DiscussNet crawls against the local server serving the real 函館市 responses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

SAAS = Path(__file__).resolve().parents[1] / "fixtures" / "discussnet-ssp" / "saas"
API = "/dnp/search"
GOOD_SCHEDULES = (2, 5, 6, 7, 8)

pytestmark = pytest.mark.slow


def serve_hakodate(site, councils: bytes, *, broken: bool = True) -> None:
    site.add("/tenant/hakodate/js/tenant.js", file=SAAS / "tenant.js")
    site.add(f"{API}/councils/index", councils, method="POST", content_type="application/json")
    site.add(f"{API}/minutes/get_schedule", file=SAAS / "schedules.json", method="POST", form={"council_id": "1251"})
    for schedule_id in GOOD_SCHEDULES:
        site.add(f"{API}/minutes/get_minute", file=SAAS / "minute.json", method="POST", form={"schedule_id": schedule_id})
    if broken:
        # A cut-off JSON body and a server error: both set aside, the crawl goes on.
        site.add(f"{API}/minutes/get_minute", b'{"tenant_minutes": [{"minute_id": 1, "ti', method="POST",
                 form={"schedule_id": 3}, content_type="application/json")
        site.add(f"{API}/minutes/get_minute", b"Internal Server Error", method="POST", form={"schedule_id": 4},
                 status=500, content_type="text/plain")
    else:
        for schedule_id in (3, 4):
            site.add(f"{API}/minutes/get_minute", file=SAAS / "minute.json", method="POST", form={"schedule_id": schedule_id})


def crawl(run_cli, site, raw: Path, *extra: str):
    stats_path = raw.parent / "stats.json"
    result = run_cli(
        "crawl", "--assembly", "012025", "--system", "discussnet_ssp",
        "--start-url", site.url("/tenant/hakodate/SpMinuteSearch.html"),
        "--raw-dir", str(raw), "--stats-json", str(stats_path), *extra,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result, json.loads(stats_path.read_text(encoding="utf-8"))


def test_crawl_stores_sittings_then_is_idempotent(site, tmp_path, run_crawl_cli, hakodate_councils_json):
    serve_hakodate(site, hakodate_councils_json)
    raw = tmp_path / "raw"

    result, stats = crawl(run_crawl_cli, site, raw)

    records = RawStore(raw).latest()
    assert len(records) == len(GOOD_SCHEDULES)
    assert stats["summary"] == {"fetched": 11, "stored": 5, "skipped": 0, "blocked_by_robots": 0, "quarantined": 2}
    assert "fetched=11 stored=5 skipped=0 blocked-by-robots=0 quarantined=2" in result.stdout
    assert stats["stats"]["councils/materials_ignored"] == 1
    assert stats["stats"]["quarantine/reason/malformed_json"] == 1
    assert stats["stats"]["quarantine/reason/http_500"] == 1

    first = records[("discussnet_ssp", site.url(
        "/tenant/hakodate/SpMinuteView.html?tenant_id=537&council_id=1251&schedule_id=2"))]
    assert first.assembly_code == "012025"
    assert first.assembly_name == "函館市議会"
    assert first.prefecture == "北海道"
    assert first.meeting_kind == "本会議"
    assert first.title == "令和 ６年第１回 ２月定例会 02月22日－01号"
    assert str(first.date) == "2024-02-22"  # from the 名簿 of the minute itself
    assert len(first.speeches) == 20
    assert first.speeches[0].speaker == "議長（吉田崇仁）"

    # The quarantine keeps body, URL and reason beside the raw store.
    quarantined = sorted((tmp_path / "quarantine" / "discussnet_ssp" / "012025").glob("*.json"))
    reasons = sorted(json.loads(p.read_text(encoding="utf-8"))["reason"] for p in quarantined)
    assert reasons == ["http_500", "malformed_json"]
    for meta in quarantined:
        info = json.loads(meta.read_text(encoding="utf-8"))
        assert info["url"] == site.url(f"{API}/minutes/get_minute")
        assert "schedule_id=" in info["request_body"]
        assert meta.with_suffix(".body").exists()

    # Second run: stored sittings are not fetched again, nothing new is written.
    before = sorted(p.name for p in RawStore(raw).paths())
    minute_requests = len(site.seen(f"{API}/minutes/get_minute"))
    result, stats = crawl(run_crawl_cli, site, raw)
    assert sorted(p.name for p in RawStore(raw).paths()) == before
    assert stats["summary"]["stored"] == 0
    assert stats["summary"]["skipped"] == 5
    # Only the two failed sittings are asked for again (500 retried once).
    assert len(site.seen(f"{API}/minutes/get_minute")) - minute_requests == 3


def test_since_skips_older_sittings(site, tmp_path, run_crawl_cli, hakodate_councils_json):
    serve_hakodate(site, hakodate_councils_json, broken=False)
    raw = tmp_path / "raw"
    _, stats = crawl(run_crawl_cli, site, raw, "--since", "2024-03-12")
    dates = sorted(str(r.date) for r in RawStore(raw).latest().values())
    assert dates == ["2024-02-22", "2024-02-22", "2024-02-22"]  # one fixture minute served for every sitting
    assert stats["stats"]["skipped/before_since"] == 4
    sids = sorted(s.form["schedule_id"] for s in site.seen(f"{API}/minutes/get_minute"))
    assert sids == ["6", "7", "8"]


def test_robots_disallowed_requests_are_counted_and_never_fetched(site, tmp_path, run_crawl_cli, hakodate_councils_json):
    serve_hakodate(site, hakodate_councils_json)
    site.robots("User-agent: *\nDisallow: /dnp/search/minutes/get_minute\n")
    raw = tmp_path / "raw"

    result, stats = crawl(run_crawl_cli, site, raw)

    assert site.seen(f"{API}/minutes/get_minute") == []
    assert stats["summary"]["blocked_by_robots"] == 7
    assert stats["summary"]["stored"] == 0
    assert stats["summary"]["quarantined"] == 0
    assert "blocked-by-robots=7" in result.stdout
    assert list(RawStore(raw).paths()) == []


def test_truncated_download_is_quarantined(site, tmp_path, run_crawl_cli, hakodate_councils_json):
    serve_hakodate(site, hakodate_councils_json, broken=False)
    site.routes[f"{API}/minutes/get_minute"] = [
        r for r in site.routes[f"{API}/minutes/get_minute"] if r.form.get("schedule_id") != "8"
    ]
    site.add(f"{API}/minutes/get_minute", file=SAAS / "minute.json", method="POST", form={"schedule_id": 8},
             truncate=True)
    raw = tmp_path / "raw"
    _, stats = crawl(run_crawl_cli, site, raw)
    assert stats["summary"]["stored"] == 6
    assert stats["summary"]["quarantined"] == 1
    assert stats["stats"]["quarantine/reason/download_error"] == 1


def test_unknown_assembly_is_a_usage_error(run_crawl_cli):
    result = run_crawl_cli("crawl", "--assembly", "999999")
    assert result.returncode == 2
    assert "unknown assembly code '999999'" in result.stderr


def test_permitted_assembly_ignores_robots(site, tmp_path, run_crawl_cli, crawl_environ, hakodate_councils_json):
    serve_hakodate(site, hakodate_councils_json, broken=False)
    site.robots("User-agent: *\nDisallow: /dnp/\n")
    permissions = tmp_path / "permissions.yaml"
    permissions.write_text('"012025": "test agreement"\n', encoding="utf-8")
    result = run_crawl_cli(
        "crawl", "--assembly", "012025", "--system", "discussnet_ssp",
        "--start-url", site.url("/tenant/hakodate/SpMinuteSearch.html"), "--raw-dir", str(tmp_path / "raw"),
        env=crawl_environ(GIKAI_PERMISSIONS_FILE=str(permissions)),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stored=7" in result.stdout and "blocked-by-robots=0" in result.stdout
    assert "test agreement" in result.stderr
    assert site.seen("/robots.txt") == []


def test_jobdir_and_httpcache(site, tmp_path, run_crawl_cli, hakodate_councils_json):
    serve_hakodate(site, hakodate_councils_json, broken=False)
    _, stats = crawl(run_crawl_cli, site, tmp_path / "raw", "--jobdir", str(tmp_path / "job"), "--httpcache")
    assert stats["summary"]["stored"] == 7
    assert (tmp_path / "job" / "requests.seen").exists()
    assert (tmp_path / "httpcache" / "discussnet_ssp").is_dir()


def test_raw_dir_defaults_to_gikai_raw_dir(site, tmp_path, run_crawl_cli, crawl_environ, hakodate_councils_json):
    """Without --raw-dir the crawl writes where `gikai import` and `gikai build` read: $GIKAI_RAW_DIR."""
    serve_hakodate(site, hakodate_councils_json, broken=False)
    raw = tmp_path / "store" / "raw"
    result = run_crawl_cli(
        "crawl", "--assembly", "012025", "--system", "discussnet_ssp",
        "--start-url", site.url("/tenant/hakodate/SpMinuteSearch.html"),
        env=crawl_environ(GIKAI_RAW_DIR=str(raw)),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stored=7" in result.stdout
    assert "ScrapyDeprecationWarning" not in result.stderr  # was: RANDOMIZE_DOWNLOAD_DELAY in every crawl's log
    records = RawStore(raw).latest()
    assert len(records) == 7
    first = records[("discussnet_ssp", site.url(
        "/tenant/hakodate/SpMinuteView.html?tenant_id=537&council_id=1251&schedule_id=2"))]
    assert first.speeches[0].speaker == "議長（吉田崇仁）"



def _spider(tmp_path, since: str):
    from scrapy.utils.test import get_crawler

    from crawlers.spiders.discussnet_ssp import DiscussNetSSPSpider

    crawler = get_crawler(DiscussNetSSPSpider, {"RAW_DIR": str(tmp_path / "raw")})
    return crawler._create_spider(
        assembly_code="012025", start_url="https://ssp.kaigiroku.net/tenant/hakodate/SpMinuteSearch.html", since=since
    )


def test_fiscal_year_committee_is_dated_by_its_listing_year(tmp_path):
    """平成２５年度…決算特別委員会 (council 122) sits in 2014 and the real listing files it under 2014:
    a crawl --since 2014-06-01 must still ask for its sittings."""
    from scrapy.http import TextResponse

    from crawlers.parsers import discussnet_ssp as ssp
    from crawlers.spiders.discussnet_ssp import council_year

    body = (SAAS / "councils.json").read_bytes()
    councils = {c.council_id: c for c in ssp.parse_councils(body)}
    assert councils[122].name == "平成２５年度函館市各会計決算特別委員会"
    assert council_year(councils[122]) == 2014  # the name's 平成25 is 2013
    assert councils[115].name == "平成２４年度函館市各会計決算特別委員会"
    assert council_year(councils[115]) == 2013
    assert council_year(councils[121]) == 2014  # 平成２６年度…予算特別委員会 sits in March 2014
    assert council_year(councils[1251]) == 2024

    spider = _spider(tmp_path, "2014-06-01")
    response = TextResponse("https://ssp.kaigiroku.net/dnp/search/councils/index", body=body, encoding="utf-8")
    asked = {r.cb_kwargs["council"].council_id for r in spider.parse_councils(response, tenant_id=537)}
    assert {122, 121, 1251} <= asked
    assert 115 not in asked
    assert spider.crawler.stats.get_value("skipped/before_since") == len(
        [c for c in councils.values() if not c.is_materials and council_year(c) < 2014]
    )
