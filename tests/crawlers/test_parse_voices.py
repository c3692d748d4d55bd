"""VOICES / gijiroku.com parser on real Shift_JIS pages from つくば市."""

import re
from datetime import date
from pathlib import Path

from crawlers.parsers.voices import cgi_url, list_url, parse, title_from_url, whole_document_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gijiroku-com" / "standard"
CGI = "https://www.city.tsukuba.ibaraki.gijiroku.com/voices/cgi/voiweb.exe"
LIST_URL = f"{CGI}?ACT=100&KENSAKU=0&SORT=0&KTYP=0,1,2,3&KGTP=1,3&FYY=2024&TYY=2024"


def page(name: str, url: str):
    return parse((FIXTURES / name).read_bytes(), url)


def test_meeting_list_has_all_190_sittings():
    parsed = page("search-result.html", LIST_URL)
    assert parsed.kind == "meeting_list"
    # 「190件の日程がヒットしました。」
    assert len(parsed.meetings) == 190
    first = parsed.meetings[0]
    assert first.title == "令和　６年１２月２６日議会運営委員会－12月26日-01号"
    assert first.date == date(2024, 12, 26)
    assert first.url.startswith(f"{CGI}?ACT=200&")
    assert "FINO=2778" in first.url and "UNID=K_R06122614011" in first.url
    # Shift_JIS percent-encoding is passed on as is.
    assert "TITL_SUBT=%97%DF%98a%81@%82U%94N" in first.url
    last = parsed.meetings[-1]
    assert last.title == "令和　６年　１月１０日広報広聴委員会－01月10日-01号"
    assert last.date == date(2024, 1, 10)
    assert parsed.links == []


def test_meeting_list_dates_agree_with_the_sitting_labels():
    parsed = page("search-result.html", LIST_URL)
    for meeting in parsed.meetings:
        m = re.search(r"(\d\d)月(\d\d)日", meeting.title)
        assert m, meeting.title
        assert (meeting.date.month, meeting.date.day) == (int(m.group(1)), int(m.group(2))), meeting.title
        assert meeting.date.year == 2024


def test_session_rows_of_a_regular_session():
    parsed = page("search-result.html", LIST_URL)
    regular = [m for m in parsed.meetings if "定例会" in m.title]
    assert regular[1].title == "令和　６年第２回定例会１２月定例会議－12月05日-01号"
    assert regular[1].date == date(2024, 12, 5)


def test_sidebar_lists_statements_in_order():
    parsed = page("sidebar.html", f"{CGI}?ACT=201&FINO=2778")
    assert parsed.kind == "other"
    assert len(parsed.links) == 15
    assert parsed.links[0] == (
        f"{CGI}?ACT=203&KENSAKU=0&SORT=0&KTYP=0,1,2,3&KGTP=1,3&HUID=338563&KGNO=&FINO=2778"
        "&HATSUGENMODE=0&HYOUJIMODE=0&STYLE=0"
    )
    assert "HUID=338577" in parsed.links[-1]


def test_first_statement_is_the_roll_call():
    parsed = page("header.html", f"{CGI}?ACT=203&HUID=338563&FINO=2778")
    assert parsed.kind == "minutes"
    assert parsed.title == "令和　６年１２月２６日議会運営委員会"
    assert parsed.date == date(2024, 12, 26)
    # 出席委員, 議事日程 and the staff list are not speeches.
    assert parsed.speeches == []


def test_statement_page_is_one_speech():
    parsed = page("huid-page.html", f"{CGI}?ACT=203&HUID=338564&FINO=2778")
    assert parsed.kind == "minutes"
    assert len(parsed.speeches) == 1
    speech = parsed.speeches[0]
    assert speech.speaker == "塩田　委員長"
    assert speech.text.startswith("改めましておはようございます。議会運営委員各位には")
    assert speech.text.endswith("御協議願いたくお集りいただいた次第であります。")


def test_whole_document_in_one_response():
    """With HATSUGENMODE=1 the statements come back together, each under its HUID anchor."""
    header = (FIXTURES / "header.html").read_bytes().decode("cp932")
    statement = (FIXTURES / "huid-page.html").read_bytes().decode("cp932")
    body_of = lambda html: html.split("</SCRIPT>", 1)[1].split("<P><FORM", 1)[0]  # noqa: E731
    html = header.replace(body_of(header), body_of(header) + body_of(statement))
    parsed = parse(html.encode("cp932"), f"{CGI}?ACT=203&FINO=2778&HATSUGENMODE=1")
    assert parsed.title == "令和　６年１２月２６日議会運営委員会"
    assert parsed.date == date(2024, 12, 26)
    assert [s.speaker for s in parsed.speeches] == ["塩田　委員長"]


def test_frameset_asks_for_the_whole_document_first():
    html = (
        '<HTML><FRAMESET COLS="30%,*"><FRAME NAME="sidebar" SRC="voiweb.exe?ACT=201&amp;FINO=2778">'
        '<FRAME NAME="hat" SRC="voiweb.exe?ACT=203&amp;KENSAKU=0&amp;HUID=338563&amp;FINO=2778&amp;HATSUGENMODE=0">'
        "</FRAMESET></HTML>"
    )
    url = f"{CGI}?ACT=200&KENSAKU=0&TITL_SUBT=%97%DF%98a%81@%82U%94N&FINO=2778"
    parsed = parse(html.encode("cp932"), url)
    assert parsed.kind == "other"
    assert parsed.title == "令和　６年"
    assert parsed.links == [
        f"{CGI}?ACT=203&KENSAKU=0&HUID=338563&FINO=2778&HATSUGENMODE=1",
        f"{CGI}?ACT=201&FINO=2778",
        f"{CGI}?ACT=203&KENSAKU=0&HUID=338563&FINO=2778&HATSUGENMODE=0",
    ]


def test_list_variant_with_href_links_and_pager():
    html = """<TABLE><TR><TD>令和　７年１２月定例会,
    <A HREF="voiweb.exe?ACT=200&amp;KGNO=221&amp;FINO=978&amp;UNID=K_R07112800011">11月28日-01号</A></TD></TR>
    <TR><TD><A HREF="voiweb.exe?ACT=100&amp;KENSAKU=0&amp;PAGE=2&amp;HIT=983">2</A>
    <A HREF="voiweb.exe?ACT=100&amp;KENSAKU=0&amp;TITL_SUBT=%97%DF&amp;PAGE=2&amp;HIT=983">2</A></TD></TR></TABLE>"""
    parsed = parse(html.encode("cp932"), f"{CGI}?ACT=100&PAGE=1")
    assert [(m.title, m.date) for m in parsed.meetings] == [("令和　７年１２月定例会｜11月28日-01号", date(2025, 11, 28))]
    assert parsed.links == [f"{CGI}?ACT=100&KENSAKU=0&PAGE=2&HIT=983"]


def test_url_helpers():
    assert title_from_url(LIST_URL) is None
    assert cgi_url("https://www.city.tsukuba.ibaraki.gijiroku.com/voices/g08v_search.asp") == CGI
    assert list_url(CGI, 2023) == f"{CGI}?ACT=100&KENSAKU=0&SORT=0&KTYP=0,1,2,3&KGTP=1,3&FYY=2023&TYY=2023"
    assert whole_document_url(f"{CGI}?ACT=203&HUID=1&HATSUGENMODE=0") == f"{CGI}?ACT=203&HUID=1&HATSUGENMODE=1"
