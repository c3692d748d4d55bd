"""End-to-end kensakusystem.jp crawl against the local server serving the real 葛飾区 pages (cp932).

The captured tree has no level listing sittings; that page is generated here
(synthetic) in the shape the tree uses, under the 令和 8年 node.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest

from crawlers.rawstore import RawStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kensakusystem" / "cgi"
SJIS = "text/html; charset=Shift_JIS"
CGI = "/katsushika/cgi-bin3"
CODE = "n9goyxzrwrkcenlj8f"

pytestmark = pytest.mark.slow


def as_server_sees(label: str) -> str:
    """The treedepth value as the test server decodes the cp932 query (it assumes UTF-8)."""
    return dict(parse_qsl("treedepth=" + quote(label.encode("cp932"), safe="")))["treedepth"]


def synthetic_sittings() -> bytes:
    html = f"""<HTML><HEAD><META http-equiv="Content-Type" content="text/html;charset=x-sjis"></HEAD><BODY>
<form name="viewtree" action="{CGI}/See.exe" method="POST">
<input type="hidden" name="Code" value="{CODE}"><input type="hidden" name="treedepth" value=""></form>
<A HREF="javascript:document.viewtree.submit()" onClick="document.viewtree.treedepth.value='令和 8年'">令和 8年</A><BR>
<A href="ResultFrame.exe?Code={CODE}&fileName=R070214A&startPos=0"><IMG SRC="r.gif">（第1日 2月14日）</A><BR>
<A href="ResultFrame.exe?Code={CODE}&fileName=R060220A&startPos=0"><IMG SRC="r.gif">（第1日 2月20日）</A><BR>
</BODY></HTML>"""
    return html.encode("cp932")


def serve_katsushika(site) -> None:
    site.add(f"{CGI}/Search2.exe", file=FIXTURES / "top.html", form={"Code": CODE}, content_type=SJIS)
    site.add(f"{CGI}/See.exe", file=FIXTURES / "tree.html", form={"Code": CODE}, content_type=SJIS)
    site.add(f"{CGI}/See.exe", synthetic_sittings(), form={"Code": CODE, "treedepth": as_server_sees("令和 8年")},
             content_type=SJIS)
    site.add(f"{CGI}/ResultFrame.exe", file=FIXTURES / "frameset.html", form={"fileName": "R070214A"},
             content_type=SJIS)
    site.add(f"{CGI}/r_Speakers.exe", file=FIXTURES / "speakers.html", content_type=SJIS)
    site.add(f"{CGI}/GetPerson.exe", file=FIXTURES / "statements.txt", form={"fileName": "R070214A"},
             content_type="text/plain")


def crawl(run_cli, site, raw: Path, *extra: str):
    stats_path = raw.parent / "stats.json"
    result = run_cli(
        "crawl", "--assembly", "131229", "--system", "kensakusystem",
        "--start-url", site.url(f"{CGI}/Search2.exe?Code={CODE}&sTarget=2"),
        "--raw-dir", str(raw), "--stats-json", str(stats_path), *extra,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(stats_path.read_text(encoding="utf-8"))


def test_crawl_tree_to_download(site, tmp_path, run_crawl_cli):
    serve_katsushika(site)
    raw = tmp_path / "raw"

    stats = crawl(run_crawl_cli, site, raw, "--since", "2025-01-01")

    records = RawStore(raw).latest()
    assert list(records) == [("kensakusystem", site.url(f"{CGI}/ResultFrame.exe?Code={CODE}&fileName=R070214A"))]
    record = next(iter(records.values()))
    assert record.title == "令和 7年第1回定例会（第1日 2月14日）"
    assert record.date == date(2025, 2, 14)
    assert record.meeting_kind == "本会議"
    assert len(record.speeches) == 33
    # 德 is cp932 0xED9E, outside Shift_JIS proper.
    assert record.speeches[4].speaker == "（青木克德区長）"
    assert record.speeches[0].text.startswith("出席議員は定足数に達しております。")

    # Tabs older than --since are not opened; the older sitting is not fetched.
    assert stats["stats"]["skipped/before_since"] == 7
    assert not [r for r in site.seen(f"{CGI}/ResultFrame.exe") if "R060220A" in r.query]
    download = site.seen(f"{CGI}/GetPerson.exe")
    assert len(download) == 1 and download[0].query.count("downloadPos=") == 34
    assert stats["summary"]["quarantined"] == 0

    stats = crawl(run_crawl_cli, site, raw, "--since", "2025-01-01")
    assert stats["summary"]["stored"] == 0
    assert stats["stats"]["skipped/already_stored"] == 1
    assert len(site.seen(f"{CGI}/GetPerson.exe")) == 1
