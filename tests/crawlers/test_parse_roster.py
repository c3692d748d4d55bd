"""Roster parser on three layouts (table, cards, heading-per-member profiles), profile pages and helpers."""

from __future__ import annotations

from datetime import date as Date
from pathlib import Path

import pytest

from crawlers.parsers import roster
from crawlers.parsers.roster import RosterConfig

ROSTERS = Path(__file__).resolve().parents[1] / "fixtures" / "rosters"
BASE = "https://www.gikai.metro.tokyo.lg.jp/membership/"
BLOGS = "https://blogs.example.jp"


def load(rel: str) -> bytes:
    return (ROSTERS / rel).read_text(encoding="utf-8").replace("{{BLOGS}}", BLOGS).encode("utf-8")


def by_name(page):
    return {m.name: m for m in page.members}


# -- (a) table -------------------------------------------------------------
@pytest.fixture(scope="module")
def table():
    return roster.parse(load("table/meibo.html"), BASE)


def test_table_layout_and_members(table):
    assert table.layout == "table"
    assert list(by_name(table)) == ["森澤恭子", "西沢けいた", "米倉春奈", "増子ひろき"]


@pytest.mark.parametrize(
    ("name", "reading", "party", "seat", "committees", "profile"),
    [
        ("増子ひろき", "ますこ ひろき", "都民ファーストの会東京都議団", "116", ["厚生委員会"], "profile/116.html"),
        ("森澤恭子", "もりさわ きょうこ", "東京みらい", "26", ["厚生委員会"], "profile/026.html"),
        ("西沢けいた", "にしざわ けいた", "立憲民主党・民主クラブ", "54", ["経済・港湾委員会"], "profile/054.html"),
    ],
)
def test_table_fields(table, name, reading, party, seat, committees, profile):
    m = by_name(table)[name]
    assert (m.reading, m.party, m.seat, m.committees) == (reading, party, seat, committees)
    assert m.profile_url == BASE + profile


def test_table_ignores_the_assemblys_own_sns_in_header_and_footer(table):
    assert all(m.links == {} for m in table.members)


def test_table_with_party_subheading_rows_and_name_cell_with_reading():
    html = """<html><body><h2>議員一覧</h2><table>
      <tr><th>議席</th><th>氏名（ふりがな）</th><th>選挙区</th></tr>
      <tr><th colspan="3">都民ファーストの会東京都議団（2名）</th></tr>
      <tr><td>百十六</td><td>増子ひろき<br>ますこ ひろき</td><td>北区</td></tr>
      <tr><td>32</td><td><ruby>伊藤<rt>いとう</rt>ゆう<rt>ゆう</rt></ruby></td><td>目黒区</td></tr>
      <tr><th colspan="3">立憲民主党・民主クラブ</th></tr>
      <tr><td>54</td><td>西沢けいた（にしざわけいた）</td><td>中野区</td></tr>
    </table></body></html>"""
    page = roster.parse(html.encode(), BASE)
    got = {m.name: (m.party, m.seat, m.reading, m.district) for m in page.members}
    assert got == {
        "増子ひろき": ("都民ファーストの会東京都議団", "116", "ますこ ひろき", "北区"),
        "伊藤ゆう": ("都民ファーストの会東京都議団", "32", "いとうゆう", "目黒区"),
        "西沢けいた": ("立憲民主党・民主クラブ", "54", "にしざわけいた", "中野区"),
    }


# -- (b) cards -------------------------------------------------------------
@pytest.fixture(scope="module")
def cards():
    return roster.parse(load("cards/kaiha.html"), BASE + "kaiha.html")


def test_cards_layout_party_from_heading(cards):
    assert cards.layout == "cards"
    assert {m.name: m.party for m in cards.members} == {
        "増子ひろき": "都民ファーストの会東京都議団",
        "伊藤ゆう": "都民ファーストの会東京都議団",
        "西沢けいた": "立憲民主党・民主クラブ",
        "森澤恭子": "東京みらい",
    }


def test_cards_fields_and_links(cards):
    m = by_name(cards)
    assert (m["増子ひろき"].reading, m["増子ひろき"].seat, m["増子ひろき"].district) == ("ますこ ひろき", "116", "北区")
    assert m["増子ひろき"].profile_url == BASE + "profile/116.html"
    assert m["増子ひろき"].links == {"x": "https://x.com/masuko_hiroki"}
    assert m["西沢けいた"].links == {
        "x": "https://twitter.com/nishizawa_keita",
        "blog": "https://ameblo.jp/nishizawa-keita/",
    }
    assert m["森澤恭子"].links == {"blog": "https://note.com/morisawa_kyoko"}


def test_navigation_lists_are_not_cards():
    html = """<html><body><ul class="menu"><li class="item"><a href="/a">議会の構成</a></li>
      <li class="item"><a href="/b">会議録検索</a></li><li class="item"><a href="/c">傍聴案内</a></li></ul></body></html>"""
    assert roster.parse(html.encode(), BASE).members == []


# -- (c) heading per member ------------------------------------------------
@pytest.fixture(scope="module")
def profiles():
    return roster.parse(load("profiles/giin.html"), BASE + "giin.html")


def test_heading_per_member(profiles):
    m = by_name(profiles)
    assert list(m) == ["増子ひろき", "森澤恭子", "西沢けいた"]
    masuko = m["増子ひろき"]
    assert (masuko.reading, masuko.seat, masuko.party) == ("ますこ ひろき", "116", "都民ファーストの会東京都議団")
    assert masuko.committees == ["厚生委員会", "議会運営委員会"]
    assert (masuko.term_start, masuko.term_end) == (Date(2017, 7, 23), Date(2021, 7, 22))
    assert masuko.links == {"blog": "https://ameblo.jp/masuko-hiroki/"}
    assert m["森澤恭子"].links == {
        "blog": "https://note.com/morisawa_kyoko",
        "facebook": "https://www.facebook.com/morisawa.kyoko",
    }
    assert m["西沢けいた"].links == {"site": "https://nishizawa-keita.jp/"}


def test_profile_blocks_extractor_directly():
    doc = roster._document(load("profiles/giin.html"))
    assert [(m.name, m.seat) for m in roster.parse_profiles(doc, BASE)] == [
        ("増子ひろき", "116"), ("森澤恭子", "26"), ("西沢けいた", "54"),
    ]


# -- profile pages -----------------------------------------------------------
def test_profile_dl_page():
    p = roster.parse_profile(load("table/profile/116.html"), BASE + "profile/116.html", name="増子ひろき")
    assert p.committees == ["厚生委員会", "議会運営委員会"]
    assert (p.term_start, p.term_end) == (Date(2017, 7, 23), Date(2021, 7, 22))
    # The footer's 東京都議会公式X is the assembly's, not the member's.
    assert p.links == {
        "site": f"{BLOGS}/blogs/masuko/",
        "x": "https://x.com/masuko_hiroki",
        "facebook": "https://www.facebook.com/masuko.hiroki",
    }


def test_profile_two_column_table_page():
    p = roster.parse_profile(load("table/profile/054.html"), BASE + "profile/054.html", name="西沢けいた")
    assert (p.name, p.reading, p.seat) == ("西沢けいた", "にしざわ けいた", "54")
    assert p.committees == ["経済・港湾委員会", "予算特別委員会"]
    assert p.links == {
        "site": f"{BLOGS}/blogs/nishizawa/",
        "x": "https://twitter.com/nishizawa_keita",
        "youtube": "https://www.youtube.com/channel/UCnishizawa",
        "line": "https://lin.ee/nshzw01",
    }


def test_profile_free_text_page():
    p = roster.parse_profile(load("table/profile/026.html"), BASE + "profile/026.html", name="森澤恭子")
    assert (p.name, p.party) == ("森澤恭子", "東京みらい")
    assert p.committees == ["厚生委員会", "都議会のあり方検討委員会"]
    assert p.links == {
        "blog": f"{BLOGS}/blogs/morisawa/",
        "site": f"{BLOGS}/blogs/morisawa-site/",
        "instagram": "https://www.instagram.com/morisawa_kyoko/",
        "tiktok": "https://www.tiktok.com/@morisawa_kyoko",
    }


def test_list_entry_merged_with_profile():
    table = by_name(roster.parse(load("table/meibo.html"), BASE))
    profile = roster.parse_profile(load("table/profile/116.html"), BASE + "profile/116.html", name="増子ひろき")
    merged = table["増子ひろき"].merged(profile)
    assert merged.seat == "116" and merged.party == "都民ファーストの会東京都議団"
    assert merged.committees == ["厚生委員会", "議会運営委員会"]
    assert merged.links["site"] == f"{BLOGS}/blogs/masuko/"


# -- configured selectors ----------------------------------------------------
def test_configured_selectors_replace_the_generic_guess():
    html = """<html><body><div class="g"><p class="n">増子ひろき</p><p class="k">都民ファーストの会</p>
      <a class="more" href="/m/116">詳しく</a></div>
      <div class="g"><p class="n">西沢けいた</p><p class="k">立憲民主党</p><a class="more" href="/m/54">詳しく</a></div>
      <p><a class="next" href="?page=2">次へ</a></p></body></html>"""
    config = RosterConfig.from_mapping(
        {"member": "div.g", "selectors": {"name": "p.n", "party": "./p[@class='k']", "profile_link": "a.more"},
         "pages": "a.next"}
    )
    page = roster.parse(html.encode(), BASE, config)
    assert page.layout == "config"
    assert [(m.name, m.party, m.profile_url) for m in page.members] == [
        ("増子ひろき", "都民ファーストの会", "https://www.gikai.metro.tokyo.lg.jp/m/116"),
        ("西沢けいた", "立憲民主党", "https://www.gikai.metro.tokyo.lg.jp/m/54"),
    ]
    assert page.pages == [BASE + "?page=2"]


def test_config_rejects_unknown_selector():
    with pytest.raises(ValueError, match="unknown roster selector"):
        RosterConfig.from_mapping({"selectors": {"nmae": "p"}})


def test_rosters_yaml_loads():
    from crawlers.spiders.roster import load_roster_configs

    configs = load_roster_configs()
    assert configs["130001"].start_url.startswith("https://www.gikai.metro.tokyo.lg.jp/")


def test_empty_page_is_an_error():
    with pytest.raises(ValueError):
        roster.parse(b"   ", BASE)


# -- helpers -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("氏名", "name"), ("議員名", "name"), ("氏名（ふりがな）", "name"), ("ふりがな", "reading"),
        ("よみがな", "reading"), ("会派", "party"), ("所属会派", "party"), ("議席番号", "seat"),
        ("選挙区", "district"), ("所属委員会", "committees"), ("常任委員会", "committees"), ("任期", "term"),
        ("ホームページ", "links"), ("経歴", None), ("", None),
    ],
)
def test_label_field(label, field):
    assert roster.label_field(label) == field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("厚生委員会（副委員長）、議会運営委員会", ["厚生委員会", "議会運営委員会"]),
        ("経済・港湾委員会\n予算特別委員会", ["経済・港湾委員会", "予算特別委員会"]),
        ("環境・建設委員会　委員長", ["環境・建設委員会"]),
        ("なし", []),
    ],
)
def test_committees_from(text, expected):
    assert roster.committees_from(text) == expected


@pytest.mark.parametrize(("text", "seat"), [("１１６", "116"), ("百十六番", "116"), ("第26番", "26"), ("54", "54")])
def test_seat_from(text, seat):
    assert roster.seat_from(text) == seat


def test_term_from():
    assert roster.term_from("令和3年7月23日～令和7年7月22日") == (Date(2021, 7, 23), Date(2025, 7, 22))
