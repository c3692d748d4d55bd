"""End-to-end DB-Search crawls against the local server serving the real 青森市 and 音更町 pages."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dbsearch"
HTML = "text/html; charset=utf-8"
OTOFUKE_HOST = "https://www.town.otofuke.hokkaido.dbsr.jp"

pytestmark = pytest.mark.slow


def crawl(run_cli, site, raw: Path, assembly: str, start: str, *extra: str):
    stats_path = raw.parent / "stats.json"
    result = run_cli(
        "crawl", "--assembly", assembly, "--system", "dbsearch", "--start-url", site.url(start),
        "--raw-dir", str(raw), "--stats-json", str(stats_path), *extra,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(stats_path.read_text(encoding="utf-8"))


def serve_aomori(site) -> None:
    """The framed template; its links are host-relative, so the pages are served unchanged."""
    top = (FIXTURES / "doc-one-frame" / "top.html").read_bytes()
    site.add("/index.php/", top, content_type=HTML)
    site.add("/index.php/6709393", top, form={"Template": "search-library"}, content_type=HTML)
    for number in ("6709393", "3588550"):  # every session list, and the next page, show the one result page
        site.add(f"/index.php/{number}", file=FIXTURES / "doc-one-frame" / "search-result.html",
                 form={"Template": "list"}, content_type=HTML)
    site.add("/index.php/3588550", file=FIXTURES / "doc-one-frame" / "frameset.html",
             form={"Template": "doc-one-frame"}, content_type=HTML)
    site.add("/index.php/9585096", file=FIXTURES / "doc-one-frame" / "page.html",
             form={"Template": "doc-page"}, content_type=HTML)


def test_framed_template_crawl_then_incremental(site, tmp_path, run_crawl_cli):
    serve_aomori(site)
    raw = tmp_path / "raw"

    stats = crawl(run_crawl_cli, site, raw, "022012", "/index.php/", "--since", "2024-12-06")

    records = RawStore(raw).latest()
    # 本文 documents of 2024-12-06 … 12-25; 名簿, 目次, 署名, 資料 skipped by title, two older 本文 by date.
    assert sorted(str(r.date) for r in records.values()) == [
        "2024-12-06", "2024-12-09", "2024-12-10", "2024-12-11", "2024-12-12", "2024-12-25",
    ]
    assert stats["stats"]["skipped/not_minutes"] == 12
    assert stats["stats"]["skipped/before_since"] >= 2
    assert stats["summary"]["quarantined"] == 0

    record = records[("dbsearch", site.url("/index.php?Template=doc-one-frame&VoiceType=onehit&DocumentID=1486"))]
    assert record.url == site.url("/index.php/3588550?Template=doc-one-frame&VoiceType=onehit&DocumentID=1486")
    assert record.title == "令和６年第４回定例会（第９号）\u3000本文"
    assert record.date == date(2024, 12, 25)
    assert record.assembly_name.startswith("青森市")
    assert record.meeting_kind == "本会議"
    assert len(record.speeches) == 122
    assert record.speeches[2].speaker == "４番（奈良祥孝君）"

    # Second run: nothing is fetched again.
    frames_before = len(site.seen("/index.php/9585096"))
    stats = crawl(run_crawl_cli, site, raw, "022012", "/index.php/", "--since", "2024-12-06")
    assert stats["summary"]["stored"] == 0
    assert stats["stats"]["skipped/already_stored"] == 6
    assert len(site.seen("/index.php/9585096")) == frames_before


def serve_otofuke(site) -> None:
    """The current template writes absolute links; they are pointed at the local server as served."""

    def local(name: str) -> bytes:
        return (FIXTURES / "template-view" / name).read_bytes().replace(OTOFUKE_HOST.encode(), site.url("").encode())

    site.add("/index.php", local("top.html"), content_type=HTML)
    site.add("/index.php/100000", local("top.html"), form={"Template": "search-library"}, content_type=HTML)
    site.add("/index.php/100000", local("search-result.html"), form={"Template": "List"}, content_type=HTML)
    site.add("/index.php/848322", local("search-result.html"), form={"Template": "list"}, content_type=HTML)
    site.add("/index.php/848322", local("detail.html"), form={"Template": "document"}, content_type=HTML)


def test_current_template_crawl_builds_a_searchable_index(site, tmp_path, run_crawl_cli):
    serve_otofuke(site)
    raw = tmp_path / "raw"

    stats = crawl(run_crawl_cli, site, raw, "016314", "/index.php/4880599?Template=search-detail",
                  "--since", "2024-12-01")

    records = RawStore(raw).latest()
    # Five 本文 documents in the list (the same captured document is served for each).
    assert len(records) == 5
    assert stats["stats"]["skipped/not_minutes"] == 5
    record = records[("dbsearch", site.url("/index.php?Template=document&Id=1673"))]
    assert record.title == "令和６年第４回定例会（第５号）\u3000本文"
    assert record.date == date(2024, 12, 17)
    assert len(record.speeches) == 198
    assert record.speeches[0].speaker == "議長（高瀬博文）"
    # The pager's next page was asked for over GET.
    assert any(r.query == "Template=list&Page=2" for r in site.seen("/index.php/848322"))

    from index.build import build_index
    from index.search import Searcher

    db = tmp_path / "gikai.duckdb"
    build_index(raw, db)
    hits = Searcher(db).search_statements("公営住宅", limit=10)
    assert hits
    assert any("公営住宅" in hit.text for hit in hits)
    assert all(hit.url.startswith(site.url("/index.php/848322?Template=document&Id=")) for hit in hits)


def test_document_answered_by_another_page_is_quarantined(site, tmp_path, run_crawl_cli):
    """A document URL that shows the top page (as an expired session does) is set aside and counted,
    not silently lost, and the lists it links to are not walked again."""
    serve_aomori(site)
    site.add("/index.php/3588550", file=FIXTURES / "doc-one-frame" / "top.html",
             form={"Template": "doc-one-frame", "DocumentID": "1484"}, content_type=HTML)
    raw = tmp_path / "raw"

    stats = crawl(run_crawl_cli, site, raw, "022012", "/index.php/", "--since", "2024-12-06")

    dates = sorted(str(r.date) for r in RawStore(raw).latest().values())
    assert dates == ["2024-12-06", "2024-12-09", "2024-12-10", "2024-12-11", "2024-12-25"]  # not 12-12 (第８号)
    assert stats["summary"]["quarantined"] == 1
    assert stats["stats"]["quarantine/reason/no_document"] == 1
    (meta,) = (tmp_path / "quarantine" / "dbsearch" / "022012").glob("*.json")
    info = json.loads(meta.read_text(encoding="utf-8"))
    assert info["url"].endswith("Template=doc-one-frame&VoiceType=onehit&DocumentID=1484")
    assert info["reason"] == "no_document"
    # The top page's library link is asked for once, by the crawl's own start, not again from the document.
    assert len([r for r in site.seen("/index.php/6709393") if "search-library" in r.query]) <= 1
