"""Crawl (real 函館市 responses on the local server) → build the index → search finds the speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import build, search

SAAS = Path(__file__).resolve().parents[1] / "fixtures" / "discussnet-ssp" / "saas"
API = "/dnp/search"

pytestmark = pytest.mark.slow


def test_crawl_build_search(site, tmp_path, run_crawl_cli, hakodate_councils_json):
    site.add("/tenant/hakodate/js/tenant.js", file=SAAS / "tenant.js")
    site.add(f"{API}/councils/index", hakodate_councils_json, method="POST", content_type="application/json")
    site.add(f"{API}/minutes/get_schedule", file=SAAS / "schedules.json", method="POST", form={"council_id": "1251"})
    site.add(f"{API}/minutes/get_minute", file=SAAS / "minute.json", method="POST", form={"schedule_id": "2"})
    raw = tmp_path / "raw"
    result = run_crawl_cli(
        "crawl", "--assembly", "012025", "--system", "discussnet_ssp",
        "--start-url", site.url("/tenant/hakodate/SpMinuteSearch.html"), "--raw-dir", str(raw),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stored=1" in result.stdout  # the other six sittings answer 404 here

    db = tmp_path / "index.duckdb"
    build.build_index(raw, db)
    hits = search.Searcher(db).search_statements("アーバンスポーツ", limit=5)

    assert hits, "the committee chair's report on urban sports should be found"
    assert "アーバンスポーツ" in hits[0].text
    assert hits[0].url == site.url("/tenant/hakodate/SpMinuteView.html?tenant_id=537&council_id=1251&schedule_id=2")
