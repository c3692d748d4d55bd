"""kensakusystem.jp parser on real Shift_JIS pages from 葛飾区."""

from datetime import date
from pathlib import Path

from crawlers.parsers.kensakusystem import file_name, parse, tree_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kensakusystem" / "cgi"
BASE = "https://www.kensakusystem.jp/katsushika"
CGI = f"{BASE}/cgi-bin3"
CODE = "n9goyxzrwrkcenlj8f"
SPEAKERS_URL = f"{CGI}/r_Speakers.exe?{CODE}/R070214A/0/0//10/1/268435455:0/1870/1//0/0/0"


def page(name: str, url: str):
    return parse((FIXTURES / name).read_bytes(), url)


def test_search_page_links_to_the_tree():
    parsed = page("top.html", f"{CGI}/Search2.exe?Code={CODE}&sTarget=2")
    assert parsed.kind == "other"
    assert parsed.links == [f"{CGI}/See.exe?Code={CODE}"]


def test_tree_nodes_become_get_links_in_cp932():
    parsed = page("tree.html", f"{CGI}/See.exe?Code={CODE}")
    assert parsed.kind == "other"
    assert len(parsed.links) == 13
    # 'document.viewtree.treedepth.value='令和 8年'' → cp932 percent-encoding.
    assert parsed.links[0] == f"{CGI}/See.exe?Code={CODE}&treedepth=%97%DF%98a%208%94N"
    # The trailing space of a node label is part of it.
    assert parsed.links[-1] == tree_url(f"{CGI}/See.exe", CODE, "令和 8年 議会運営委員会理事会 ")
    assert parsed.links[-1].endswith("%20")


def test_frameset_follows_the_speaker_index():
    parsed = page("frameset.html", f"{CGI}/ResultFrame.exe?Code={CODE}&fileName=R070214A&startPos=0")
    assert parsed.kind == "other"
    assert parsed.title == "令和 7年第1回定例会（第1日 2月14日）"
    assert parsed.date == date(2025, 2, 14)
    assert parsed.links == [SPEAKERS_URL]


def test_speaker_index_gives_one_download_for_the_sitting():
    parsed = page("speakers.html", SPEAKERS_URL)
    assert parsed.kind == "other"
    assert parsed.title == "令和 7年第1回定例会（第1日 2月14日）"
    assert parsed.date == date(2025, 2, 14)
    assert len(parsed.links) == 1
    download = parsed.links[0]
    assert download.startswith(f"{CGI}/GetPerson.exe?Code={CODE}&fileName=R070214A&downloadPos=226&downloadPos=8502&")
    # 議事日程 plus 33 speeches.
    assert download.count("downloadPos=") == 34


def test_download_is_minutes():
    parsed = page("statements.txt", f"{CGI}/GetPerson.exe?Code={CODE}&fileName=R070214A&downloadPos=226")
    assert parsed.kind == "minutes"
    assert parsed.title == "令和 7年第1回定例会（第1日 2月14日）"
    assert parsed.date == date(2025, 2, 14)
    # The speaker index lists No.1 … No.33; ○議事日程 is not a speech.
    assert len(parsed.speeches) == 33
    assert [s.speaker for s in parsed.speeches[:5]] == [
        "（伊藤よしのり議長）",
        "（伊藤よしのり議長）",
        "（伊藤よしのり議長）",
        "（伊藤よしのり議長）",
        "（青木克德区長）",
    ]
    assert parsed.speeches[0].text.startswith("出席議員は定足数に達しております。")
    assert parsed.speeches[-1].text == "本日はこれをもって散会いたします。\n\u3000午後３時７分散会"
    assert {s.speaker for s in parsed.speeches} >= {"２２番（筒井たかひさ議員）", "（植竹　貴副区長）", "２９番（木村ひでこ議員）"}


def test_speeches_match_the_speaker_index():
    index = (FIXTURES / "speakers.html").read_bytes().decode("cp932")
    parsed = page("statements.txt", f"{CGI}/GetPerson.exe?Code={CODE}&fileName=R070214A")
    names = [s.speaker.split("（")[-1].rstrip("）").replace("\u3000", "") for s in parsed.speeches]
    for name in names:
        assert name in index


def test_tree_level_listing_sittings_is_a_meeting_list():
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html;charset=x-sjis"></head><body>
    <form name="viewtree" action="/katsushika/cgi-bin3/See.exe" method="POST">
    <input type="hidden" name="Code" value="{CODE}"><input type="hidden" name="treedepth" value=""></form>
    <A HREF="javascript:document.viewtree.submit()" onClick="document.viewtree.treedepth.value='令和 7年'">令和 7年</A>
    <A href="ResultFrame.exe?Code={CODE}&fileName=R070214A&startPos=0"><IMG src="x.gif">（第1日 2月14日）</A>
    <A href="ResultFrame.exe?Code={CODE}&fileName=R070226A&startPos=0"><IMG src="x.gif">（第2日 2月26日）</A>
    </body></html>"""
    url = tree_url(f"{CGI}/See.exe", CODE, "令和 7年 令和 7年第1回定例会 ")
    parsed = parse(html.encode("cp932"), url)
    assert parsed.kind == "meeting_list"
    assert [(m.title, m.date) for m in parsed.meetings] == [
        ("令和 7年第1回定例会（第1日 2月14日）", date(2025, 2, 14)),
        ("令和 7年第1回定例会（第2日 2月26日）", date(2025, 2, 26)),
    ]
    assert parsed.meetings[0].url == f"{CGI}/ResultFrame.exe?Code={CODE}&fileName=R070214A&startPos=0"
    assert parsed.links == [tree_url(f"{CGI}/See.exe", CODE, "令和 7年")]


def test_file_name():
    assert file_name(SPEAKERS_URL) == "R070214A"
    assert file_name(f"{CGI}/GetPerson.exe?Code={CODE}&fileName=H310305A") == "H310305A"
