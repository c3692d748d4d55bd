"""Helpers shared by the vendor parsers: Japanese dates and HTML-to-lines.

Kept free of any vendor knowledge so each parser module only says where things
are on its pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date as Date
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from nlp.names import numeral_to_int

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

ERA_BASE = {"令和": 2018, "平成": 1988, "昭和": 1925, "大正": 1911, "明治": 1867}
_ERA_INITIAL = {"R": 2018, "H": 1988, "S": 1925, "T": 1911}

_ERA = r"(令和|平成|昭和|大正|明治)"
_NUM = r"[0-9０-９〇零一二三四五六七八九十百千]+"
_SP = r"[\s\u3000]*"
_ERA_DATE = re.compile(rf"{_ERA}{_SP}(元|{_NUM}){_SP}年{_SP}({_NUM}){_SP}月{_SP}({_NUM}){_SP}日")
_WESTERN_KANJI_DATE = re.compile(
    rf"((?:19|20)[0-9]{{2}}){_SP}年{_SP}([0-9]{{1,2}}){_SP}月{_SP}([0-9]{{1,2}}){_SP}日"
)
_ISO_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?![0-9])")
_ERA_YEAR = re.compile(rf"{_ERA}{_SP}(元|{_NUM}){_SP}年")
_MONTH_DAY = re.compile(rf"([0-9]{{1,2}}){_SP}月{_SP}([0-9]{{1,2}}){_SP}日")


def to_int(text: str) -> int | None:
    """``１２`` / ``12`` / ``十二`` / ``三十一`` / ``二〇二四`` / ``元`` → int.

    ``元`` (as in 元年) is 1; everything else is :func:`nlp.names.numeral_to_int`.
    """
    s = text.strip()
    if s == "元":
        return 1
    return numeral_to_int(s)


def _safe_date(year: int | None, month: int | None, day: int | None) -> Date | None:
    if year is None or month is None or day is None:
        return None
    try:
        return Date(year, month, day)
    except ValueError:
        return None


def era_year(text: str) -> int | None:
    """Western year of the first era year in ``text`` (``令和　６年`` → 2024)."""
    m = _ERA_YEAR.search(text)
    if not m:
        return None
    n = to_int(m.group(2))
    return ERA_BASE[m.group(1)] + n if n is not None else None


def parse_date(text: str | None) -> Date | None:
    """First date written in ``text``, in any of the forms minutes systems use.

    ``令和6年3月5日``, ``令和元年``, ``平成三十一年四月一日``, full-width digits and the
    padding spaces of fixed-width layouts (``令和　６年　３月　５日``), ``2024年3月5日``,
    ``2024-03-05`` and ``2024/3/5``. Returns ``None`` when there is none.
    """
    if not text:
        return None
    for m in _ERA_DATE.finditer(text):
        n = to_int(m.group(2))
        year = ERA_BASE[m.group(1)] + n if n is not None else None
        found = _safe_date(year, to_int(m.group(3)), to_int(m.group(4)))
        if found:
            return found
    ascii_text = text.translate(_FULLWIDTH_DIGITS)
    for pattern in (_WESTERN_KANJI_DATE, _ISO_DATE):
        m = pattern.search(ascii_text)
        if m:
            found = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if found:
                return found
    return None


def month_day(text: str) -> tuple[int, int] | None:
    """``02月22日－01号`` / ``２月　５日`` → (month, day); no range check."""
    m = _MONTH_DAY.search(text.translate(_FULLWIDTH_DIGITS))
    return (int(m.group(1)), int(m.group(2))) if m else None


def date_from_code(code: str) -> Date | None:
    """``R070214`` (era initial, era year, month, day — file names and ids) → date."""
    m = re.match(r"^([RHST])([0-9]{2})([0-9]{2})([0-9]{2})", code.strip(), re.IGNORECASE)
    if not m:
        return None
    base = _ERA_INITIAL[m.group(1).upper()]
    return _safe_date(base + int(m.group(2)), int(m.group(3)), int(m.group(4)))


_ASCII_WS = re.compile(r"[ \t\r\n\f\v]+")
_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "h1", "h2", "h3", "h4",
    "h5", "h6", "section", "article", "header", "footer", "blockquote", "form", "center",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "noscript", "head", "title", "select", "option", "button"}


def element_text(element, skip: Callable[[etree._Element], bool] | None = None) -> str:
    """Visible text of an lxml element with line breaks where the page shows them.

    Source newlines and indentation are HTML whitespace and collapse to one space;
    ``<br>`` and block elements become newlines. Only ASCII whitespace is touched:
    the full-width spaces that separate a speaker from the speech are content.
    """
    parts: list[str] = []

    def walk(el, is_root: bool) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        skipped = tag is None or tag in _SKIP_TAGS or (skip is not None and skip(el))
        if not skipped:
            if tag == "br":
                parts.append("\n")
            elif tag == "pre":
                parts.append("\n" + "".join(el.itertext()) + "\n")
            else:
                block = tag in _BLOCK_TAGS
                if block:
                    parts.append("\n")
                if el.text:
                    parts.append(_ASCII_WS.sub(" ", el.text))
                for child in el:
                    walk(child, False)
                if block:
                    parts.append("\n")
        if not is_root and el.tail:
            parts.append(_ASCII_WS.sub(" ", el.tail))

    walk(element, True)
    lines = [line.strip(" ") for line in "".join(parts).split("\n")]
    return "\n".join(lines).strip("\n")


def clean_title(text: str | None) -> str | None:
    """Trim a title taken from markup; inner spacing is kept as published."""
    if text is None:
        return None
    text = _ASCII_WS.sub(" ", text).strip()
    return text or None


def absolute_url(base: str, href: str | None) -> str | None:
    """Absolute URL of a link without its fragment; None for script, anchor and mail links."""
    if not href:
        return None
    href = href.strip()
    if not href or href.lower().startswith(("javascript:", "#", "mailto:")):
        return None
    return urlunsplit(urlsplit(urljoin(base, href))._replace(fragment=""))
