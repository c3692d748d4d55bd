"""DB-Search parser on real pages from 音更町 (current template) and 青森市 (framed template)."""

from datetime import date
from pathlib import Path

import pytest

from crawlers.parsers.dbsearch import parse, stable_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dbsearch"
OTOFUKE = "https://www.town.otofuke.hokkaido.dbsr.jp"
AOMORI = "https://www.city.aomori.aomori.dbsr.jp"


def page(path: str, url: str):
    return parse((FIXTURES / path).read_bytes(), url)


# -- current template (音更町) ----------------------------------------------------


def test_view_top_links_to_result_lists():
    parsed = page("template-view/top.html", f"{OTOFUKE}/index.php")
    assert parsed.kind == "other"
    assert parsed.links[0] == f"{OTOFUKE}/index.php/100000?Template=search-library"
    assert (
        f"{OTOFUKE}/index.php/100000?QueryType=New&Template=List&Cabinet=1&TermStart=2024-12-09&TermEnd=2024-12-17"
        in parsed.links
    )
    assert len(parsed.links) == 16


def test_view_search_result_lists_ten_documents():
    parsed = page("template-view/search-result.html", f"{OTOFUKE}/index.php/848322?Template=list")
    assert parsed.kind == "meeting_list"
    assert len(parsed.meetings) == 10
    first = parsed.meetings[0]
    assert first.title == "令和６年第４回定例会（第５号） 名簿"
    assert first.date == date(2024, 12, 17)
    assert first.url == f"{OTOFUKE}/index.php/848322?Template=document&Id=1674"
    assert parsed.meetings[1].title == "令和６年第４回定例会（第５号）\u3000本文"
    assert parsed.meetings[-1].date == date(2024, 12, 9)
    assert all(m.date is not None for m in parsed.meetings)


def test_view_search_result_next_page_from_post_pager():
    parsed = page("template-view/search-result.html", f"{OTOFUKE}/index.php/848322?Template=list")
    assert parsed.links == [f"{OTOFUKE}/index.php/848322?Template=list&Page=2"]


def test_view_document_is_minutes():
    parsed = page("template-view/detail.html", f"{OTOFUKE}/index.php/848322?Template=document&Id=1673")
    assert parsed.kind == "minutes"
    assert parsed.title == "令和６年第４回定例会（第５号）\u3000本文"
    assert parsed.date == date(2024, 12, 17)
    # 全 198 発言: one speech per voice block.
    assert len(parsed.speeches) == 198
    assert [s.speaker for s in parsed.speeches[:5]] == [
        "議長（高瀬博文）",
        "議長（高瀬博文）",
        "議会事務局長（八鍬政幸）",
        "議長（高瀬博文）",
        "議会運営委員長（神長基子）",
    ]
    # The 会議の経過 header before the first speaker is not part of the speech.
    assert parsed.speeches[0].text.startswith("報告します。")
    assert parsed.speeches[4].text.startswith("おはようございます。")
    assert "〔登壇〕" not in parsed.speeches[4].text
    assert parsed.speeches[-1].text.endswith("令和６年第４回音更町議会定例会を閉会します。")
    assert parsed.links == []


# -- framed template (青森市) -----------------------------------------------------


def test_framed_top_links_to_result_lists():
    parsed = page("doc-one-frame/top.html", f"{AOMORI}/index.php/6709393")
    assert parsed.kind == "other"
    assert f"{AOMORI}/index.php/6709393?Template=search-library" in parsed.links
    assert (
        f"{AOMORI}/index.php/6709393?Template=list&QueryType=New&Cabinet=1&TermStart=2024-11-28&TermEnd=2024-12-25"
        in parsed.links
    )


def test_framed_search_result_lists_twenty_documents():
    parsed = page("doc-one-frame/search-result.html", f"{AOMORI}/index.php/3588550?Template=list")
    assert parsed.kind == "meeting_list"
    assert len(parsed.meetings) == 20
    first = parsed.meetings[0]
    assert first.title == "令和６年第４回定例会（第９号） 議事日程・名簿"
    assert first.date == date(2024, 12, 25)
    assert first.url == f"{AOMORI}/index.php/3588550?Template=doc-one-frame&VoiceType=onehit&DocumentID=1485"
    assert parsed.meetings[-1].title == "令和６年第４回定例会\u3000日程"
    assert parsed.meetings[-1].date == date(2024, 11, 28)
    assert parsed.links == [f"{AOMORI}/index.php/3588550?Template=list&Page=2"]


def test_framed_frameset_follows_the_speech_frame_only():
    parsed = page("doc-one-frame/frameset.html", f"{AOMORI}/index.php/9585096?Template=doc-one-frame&DocumentID=1486")
    assert parsed.kind == "other"
    assert parsed.links == [f"{AOMORI}/index.php/9585096?Template=doc-page"]


def test_framed_command_frame_gives_the_title():
    parsed = page("doc-one-frame/command.html", f"{AOMORI}/index.php/9585096?Template=doc-all-command")
    assert parsed.kind == "other"
    assert parsed.title == "令和６年第４回定例会（第９号）\u3000本文"
    assert parsed.meetings == []


def test_framed_page_is_minutes():
    parsed = page("doc-one-frame/page.html", f"{AOMORI}/index.php/9585096?Template=doc-page")
    assert parsed.kind == "minutes"
    assert len(parsed.speeches) == 122
    assert [s.speaker for s in parsed.speeches[:3]] == ["議長（奈良岡隆君）", "議長（奈良岡隆君）", "４番（奈良祥孝君）"]
    assert parsed.speeches[6].speaker == "９番（赤平勇人君）"
    assert parsed.speeches[6].text == "議案第146号に異議があります。"
    # 午前10時開議 before the first speaker, and the agenda after the rule, are dropped.
    assert parsed.speeches[0].text == (
        "これより本日の会議を開きます。\n\u3000本日の会議は「議事日程第９号」により会議を進めます。"
    )
    # The voice numbers in the margin are not text.
    assert not parsed.speeches[1].text.startswith("2")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"{OTOFUKE}/index.php/848322?Template=document&Id=1673#one",
            f"{OTOFUKE}/index.php?Template=document&Id=1673",
        ),
        (
            f"{AOMORI}/index.php/3588550?Template=doc-one-frame&VoiceType=onehit&DocumentID=1486",
            f"{AOMORI}/index.php?Template=doc-one-frame&VoiceType=onehit&DocumentID=1486",
        ),
    ],
)
def test_stable_url_drops_the_session_number(url, expected):
    assert stable_url(url) == expected


def test_variant_markup_list_and_document():
    """A template variant with other class names still yields documents and speeches."""
    listing = """<html><body><table>
    <tr><td><a href="/index.php/55?Template=view&amp;DocumentID=9">令和５年第１回定例会（第１号）</a></td>
        <td>令和５年３月１日</td></tr>
    <tr><td><a href="/index.php/55?Template=view&amp;DocumentID=10">令和５年第１回定例会（第２号）</a></td>
        <td>2023/03/02</td></tr></table></body></html>"""
    parsed = parse(listing.encode("utf-8"), "https://www.example.dbsr.jp/index.php/55?Template=list")
    assert [(m.title, m.date) for m in parsed.meetings] == [
        ("令和５年第１回定例会（第１号）", date(2023, 3, 1)),
        ("令和５年第１回定例会（第２号）", date(2023, 3, 2)),
    ]
    document = """<html><head><meta charset="Shift_JIS"></head><body><div id="text">
    ○議長（佐藤一郎君）　ただいまから会議を開きます。<br>
    ○３番（髙橋二郎君）　質問します。<br>　以上です。<br></div></body></html>"""
    parsed = parse(document.encode("cp932"), "https://www.example.dbsr.jp/index.php/55?Template=view&DocumentID=9")
    assert parsed.kind == "minutes"
    assert [(s.speaker, s.text) for s in parsed.speeches] == [
        ("議長（佐藤一郎君）", "ただいまから会議を開きます。"),
        ("３番（髙橋二郎君）", "質問します。\n\u3000以上です。"),
    ]
