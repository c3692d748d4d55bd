"""Japanese date parsing shared by the vendor parsers."""

from datetime import date

import pytest

from crawlers.parsers.textutil import date_from_code, era_year, month_day, parse_date, to_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和6年3月5日", date(2024, 3, 5)),
        ("令和６年３月５日", date(2024, 3, 5)),
        ("令和　６年　３月　５日", date(2024, 3, 5)),
        ("開催日：令和 7年 2月14日", date(2025, 2, 14)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成三十一年四月一日", date(2019, 4, 1)),
        ("令和二年二月二十六日", date(2020, 2, 26)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("2024-03-05", date(2024, 3, 5)),
        ("開催日: 2024-12-17", date(2024, 12, 17)),
        ("２０２４年３月５日", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("令和６年12月26日　午前９時40分開会", date(2024, 12, 26)),
        # Forms the former crawlers/parsers/jpdate.py covered (DiscussNet SSP, Tokyo).
        ("令和６年２月２２日", date(2024, 2, 22)),
        ("令和６年２月２２日（木曜日）", date(2024, 2, 22)),
        ("令和二年二月二十六日", date(2020, 2, 26)),
        ("令和元年５月１日", date(2019, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("令和6年2月30日 令和6年3月1日", date(2024, 3, 1)),
        ("令和6年2月30日", None),
        ("第１回定例会", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("１２", 12),
        ("十", 10),
        ("三十一", 31),
        ("百十六", 116),
        ("元", 1),
        ("二〇二四", 2024),
        ("二十六", 26),
        ("第", None),
        ("", None),
    ],
)
def test_to_int(text, n):
    assert to_int(text) == n


def test_era_year_and_codes():
    assert era_year("令和　６年　３月定例会") == 2024
    assert era_year("平成元年") == 1989
    assert date_from_code("R070214A") == date(2025, 2, 14)
    assert date_from_code("H310305") == date(2019, 3, 5)
    assert date_from_code("X1") is None


def test_era_year_spaced():
    assert era_year("令和　６年第１回　２月定例会") == 2024
    assert era_year("令和元年") == 2019
    assert era_year("定例会") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("02月22日－01号", (2, 22)), ("２月　５日", (2, 5)), ("12月26日", (12, 26)), ("第１回定例会", None)],
)
def test_month_day(text, expected):
    assert month_day(text) == expected
