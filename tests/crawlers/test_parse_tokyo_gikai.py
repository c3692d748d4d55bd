"""東京都議会 record pages, written from the documented structure (see tests/fixtures/tokyo_gikai/SOURCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.parsers import tokyo_gikai

RECORD = Path(__file__).resolve().parents[1] / "fixtures" / "tokyo_gikai" / "record"
BASE = "https://www.gikai.metro.tokyo.lg.jp/record/"


def parse(rel: str, url_rel: str | None = None):
    return tokyo_gikai.parse((RECORD / rel).read_bytes(), BASE + (url_rel if url_rel is not None else rel))


def test_plenary_minutes_written_from_documented_format():
    page = parse("proceedings/2020-1/02.html")
    assert page.kind == "minutes"
    assert page.title == "令和二年東京都議会会議録第二号"
    assert str(page.date) == "2020-02-26"
    assert [s.speaker for s in page.speeches] == [
        "議長（石川良一君）", "議長（石川良一君）", "議長（石川良一君）",
        "百十六番（増子ひろき君）", "知事（小池百合子君）", "副知事（宮坂学君）",
    ]
    assert page.speeches[0].text == "これより本日の会議を開きます。"
    # The stage direction stays in the chair's speech that announces the member.
    assert page.speeches[2].text.endswith("〔百十六番増子ひろき君登壇〕")
    assert "\n\n" not in page.speeches[4].text


def test_roll_call_and_site_chrome_are_not_speeches_written_from_documented_format():
    page = parse("proceedings/2020-1/02.html")
    assert all("出席議員" not in s.text and "西新宿" not in s.text for s in page.speeches)


def test_committee_minutes_written_from_documented_format():
    page = parse("assembly-administration/17-06.html")
    assert page.title == "議会運営委員会速記録第六号"
    assert str(page.date) == "2006-02-15"
    assert [s.speaker for s in page.speeches] == ["野村委員長", "新藤副委員長", "野村委員長"]


def test_session_index_lists_minutes_written_from_documented_format():
    page = parse("proceedings/2020-1/index.html", "proceedings/2020-1/")
    assert page.kind == "meeting_list"
    assert [m.url for m in page.meetings] == [BASE + f"proceedings/2020-1/0{i}.html" for i in (1, 2, 3)]
    assert str(page.meetings[1].date) == "2020-02-26"
    assert page.links == [BASE + "proceedings/"]


def test_top_index_links_to_sessions_written_from_documented_format():
    page = parse("proceedings/index.html", "proceedings/")
    assert page.meetings == []
    assert page.links == [BASE + "proceedings/2020-1/"]


def test_empty_page_raises():
    with pytest.raises(ValueError):
        tokyo_gikai.parse(b"   ", BASE + "proceedings/2020-1/09.html")


@pytest.mark.parametrize(
    "url, expected",
    [
        (BASE + "proceedings/2020-1/02.html", True),
        (BASE + "assembly-administration/17-06.html", True),
        (BASE + "proceedings/2020-1/", False),
        (BASE + "proceedings/index.html", False),
    ],
)
def test_is_minutes_url(url, expected):
    assert tokyo_gikai.is_minutes_url(url) is expected
