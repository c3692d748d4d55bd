"""Kokkai spider against the local server serving API pages written from the documented format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

KOKKAI = Path(__file__).resolve().parents[1] / "fixtures" / "kokkai"

pytestmark = pytest.mark.slow


def test_crawl_pages_through_meetings_written_from_documented_format(site, tmp_path, run_crawl_cli):
    site.add("/api/meeting", file=KOKKAI / "meeting-page1.json", form={"startRecord": "1"})
    site.add("/api/meeting", file=KOKKAI / "meeting-page2.json", form={"startRecord": "3"})
    raw, stats_path = tmp_path / "raw", tmp_path / "stats.json"

    result = run_crawl_cli(
        "crawl", "--assembly", "000001", "--start-url", site.url("/api/meeting"), "--since", "2024-01-01",
        "--raw-dir", str(raw), "--stats-json", str(stats_path),
    )

    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(stats_path.read_text())["summary"]
    assert summary == {"fetched": 2, "stored": 3, "skipped": 0, "blocked_by_robots": 0, "quarantined": 0}
    queries = [r.query for r in site.seen("/api/meeting")]
    assert "nameOfHouse=%E8%A1%86%E8%AD%B0%E9%99%A2" in queries[0]  # 衆議院
    assert "from=2024-01-01" in queries[0] and "maximumRecords=10" in queries[0]
    records = {r.source_id: r for r in RawStore(raw).latest().values()}
    budget = records["https://kokkai.ndl.go.jp/txt/121304261X00120240130"]
    assert (budget.assembly_code, budget.assembly_name, budget.prefecture) == ("000001", "衆議院", None)
    assert (budget.meeting_kind, budget.committee) == ("委員会", "予算委員会")
    assert budget.speeches[0].speaker == "鈴木委員長"


def test_api_error_is_quarantined_written_from_documented_format(site, tmp_path, run_crawl_cli):
    site.add("/api/meeting", file=KOKKAI / "error.json", form={"startRecord": "1"})
    raw, stats_path = tmp_path / "raw", tmp_path / "stats.json"
    result = run_crawl_cli(
        "crawl", "--assembly", "000002", "--start-url", site.url("/api/meeting"),
        "--raw-dir", str(raw), "--stats-json", str(stats_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(stats_path.read_text())["stats"]
    assert stats["quarantine/reason/unparseable"] == 1
    info = json.loads(next((tmp_path / "quarantine" / "kokkai" / "000002").glob("*.json")).read_text())
    assert "kokkai API error" in info["detail"]
