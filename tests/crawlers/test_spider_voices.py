"""End-to-end VOICES crawls against the local server serving the real つくば市 pages (Shift_JIS).

The captures have no ``ACT=200`` frameset and no whole-document (``HATSUGENMODE=1``)
response; both are generated here from the real pages and marked synthetic.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from crawlers.rawstore import RawStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gijiroku-com" / "standard"
SJIS = "text/html; charset=Shift_JIS"
CGI = "/voices/cgi/voiweb.exe"
SINCE_FINOS = ("2778", "2779", "2774", "2773", "2772", "2776")  # sittings of 2024-12-24 … 12-26

pytestmark = pytest.mark.slow


def synthetic_frameset(fino: str) -> bytes:
    return (
        '<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS"></HEAD>'
        f'<FRAMESET COLS="30%,*"><FRAME NAME="sidebar" SRC="voiweb.exe?ACT=201&amp;FINO={fino}">'
        f'<FRAME NAME="hat" SRC="voiweb.exe?ACT=203&amp;HUID=338563&amp;FINO={fino}&amp;HATSUGENMODE=0">'
        "</FRAMESET></HTML>"
    ).encode("cp932")


def synthetic_whole_document() -> bytes:
    """The roll-call statement followed by the 委員長's, as one ACT=203 page."""
    header = (FIXTURES / "header.html").read_bytes().decode("cp932")
    statement = (FIXTURES / "huid-page.html").read_bytes().decode("cp932")

    def body_of(html: str) -> str:
        return html.split("</SCRIPT>", 1)[1].split("<P><FORM", 1)[0]

    return header.replace(body_of(header), body_of(header) + body_of(statement)).encode("cp932")


def serve_tsukuba(site) -> None:
    site.add(CGI, file=FIXTURES / "search-result.html", form={"ACT": "100", "FYY": "2024"}, content_type=SJIS)
    site.add(CGI, "<HTML><BODY>0件の日程がヒットしました。</BODY></HTML>".encode("cp932"), form={"ACT": "100"},
             content_type=SJIS)
    for fino in SINCE_FINOS:
        site.add(CGI, synthetic_frameset(fino), form={"ACT": "200", "FINO": fino}, content_type=SJIS)
    site.add(CGI, synthetic_whole_document(), form={"ACT": "203", "HATSUGENMODE": "1"}, content_type=SJIS)
    # FINO=2778 has no whole-document view: the spider walks the sidebar statement by statement.
    site.add(CGI, file=FIXTURES / "header.html", form={"ACT": "203", "HATSUGENMODE": "1", "FINO": "2778"},
             content_type=SJIS)
    site.add(CGI, file=FIXTURES / "sidebar.html", form={"ACT": "201", "FINO": "2778"}, content_type=SJIS)
    site.add(CGI, file=FIXTURES / "header.html", form={"ACT": "203", "HUID": "338563", "HATSUGENMODE": "0"},
             content_type=SJIS)
    site.add(CGI, file=FIXTURES / "huid-page.html", form={"ACT": "203", "HATSUGENMODE": "0"}, content_type=SJIS)


def crawl(run_cli, site, raw: Path, *extra: str):
    stats_path = raw.parent / "stats.json"
    result = run_cli(
        "crawl", "--assembly", "082201", "--system", "voices", "--start-url", site.url("/voices/g08v_search.asp"),
        "--raw-dir", str(raw), "--stats-json", str(stats_path), *extra,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(stats_path.read_text(encoding="utf-8"))


def test_crawl_whole_documents_and_sidebar_fallback(site, tmp_path, run_crawl_cli):
    serve_tsukuba(site)
    raw = tmp_path / "raw"

    stats = crawl(run_crawl_cli, site, raw, "--since", "2024-12-24")

    records = RawStore(raw).latest()
    assert len(records) == len(SINCE_FINOS)
    assert stats["stats"]["skipped/not_minutes"] == 12  # the year's 目次 and 付録 documents
    assert stats["summary"]["quarantined"] == 0

    whole = records[("voices", site.url(f"{CGI}?ACT=200&FINO=2779"))]
    assert whole.title == "令和　６年１２月２６日議会運営委員会－12月26日-02号"
    assert whole.date == date(2024, 12, 26)
    assert whole.meeting_kind == "委員会"
    assert whole.committee == "議会運営委員会"  # not "６年１２月２６日議会運営委員会"
    assert whole.url.startswith(site.url(f"{CGI}?ACT=200&"))
    assert [s.speaker for s in whole.speeches] == ["塩田　委員長"]
    assert whole.speeches[0].text.startswith("改めましておはようございます。")

    walked = records[("voices", site.url(f"{CGI}?ACT=200&FINO=2778"))]
    # 15 sidebar entries: the roll-call (no speech) and 14 statements.
    assert len(walked.speeches) == 14
    assert len(site.seen(CGI, "GET")) >= 15

    # Incremental: a second run fetches only the yearly lists.
    stats = crawl(run_crawl_cli, site, raw, "--since", "2024-12-24")
    assert stats["summary"]["stored"] == 0
    assert stats["stats"]["skipped/already_stored"] == len(SINCE_FINOS)
