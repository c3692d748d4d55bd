"""東京都議会 spider against the local server serving pages written from the documented structure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

TOKYO = Path(__file__).resolve().parents[1] / "fixtures" / "tokyo_gikai"

pytestmark = pytest.mark.slow


def test_crawl_walks_index_and_stores_minutes_written_from_documented_format(site, tmp_path, run_crawl_cli):
    site.add_dir("/record/", TOKYO / "record")
    raw, stats_path = tmp_path / "raw", tmp_path / "stats.json"

    def crawl():
        result = run_crawl_cli(
            "crawl", "--assembly", "130001", "--start-url", site.url("/record/proceedings/"),
            "--raw-dir", str(raw), "--stats-json", str(stats_path),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(stats_path.read_text())

    stats = crawl()
    # index, session index, 01, 02 and the missing 03 (404, quarantined).
    assert stats["summary"] == {"fetched": 5, "stored": 2, "skipped": 0, "blocked_by_robots": 0, "quarantined": 1}
    assert stats["stats"]["quarantine/reason/http_404"] == 1
    records = {r.source_id: r for r in RawStore(raw).latest().values()}
    second = records[site.url("/record/proceedings/2020-1/02.html")]
    assert (second.assembly_name, second.prefecture, second.meeting_kind) == ("東京都議会", "東京都", "本会議")
    assert second.title == "令和二年東京都議会会議録第二号"
    assert str(second.date) == "2020-02-26"
    assert second.speeches[3].speaker == "百十六番（増子ひろき君）"

    stats = crawl()
    assert stats["summary"]["stored"] == 0
    assert stats["stats"]["skipped/already_stored"] == 2
    assert len(site.seen("/record/proceedings/2020-1/02.html")) == 1


def test_committee_page_as_start_url_written_from_documented_format(site, tmp_path, run_crawl_cli):
    site.add_dir("/record/", TOKYO / "record")
    raw = tmp_path / "raw"
    result = run_crawl_cli(
        "crawl", "--assembly", "130001", "--start-url", site.url("/record/assembly-administration/17-06.html"),
        "--raw-dir", str(raw),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "stored=1" in result.stdout
    (record,) = RawStore(raw).latest().values()
    assert (record.meeting_kind, record.committee) == ("委員会", "議会運営委員会")
