"""Person names and numerals as they appear in Japanese minutes.

Minutes pad names to a fixed width with full-width spaces (``平　　慶翔``,
``もり　　愛``), add honorifics (``君``, ``議員``) and sometimes use variant
characters (髙/高, 﨑/崎). Display keeps what the minutes print; ``name_key``
folds all of that so one person gets one id.
"""

from __future__ import annotations

import re
import unicodedata

HONORIFICS = ("君", "議員", "さん", "氏", "殿")

# Variant (異体字/旧字体) → common form. Only characters seen in personal names;
# folding 澤→沢 etc. is safe for matching because the display name is kept.
_VARIANTS = str.maketrans(
    {
        "髙": "高",
        "﨑": "崎",
        "嵜": "崎",
        "邊": "辺",
        "邉": "辺",
        "齋": "斎",
        "齊": "斎",
        "澤": "沢",
        "濱": "浜",
        "櫻": "桜",
        "廣": "広",
        "國": "国",
        "眞": "真",
        "冨": "富",
        "籠": "篭",
        "德": "徳",
        "惠": "恵",
        "圓": "円",
        "藏": "蔵",
        "龍": "竜",
        "瀨": "瀬",
        "靜": "静",
        "實": "実",
        "榮": "栄",
        "彌": "弥",
        "淺": "浅",
        "與": "与",
    }
)

_SPACES = re.compile(r"[\s\u3000]+")


def display_name(raw: str) -> str:
    """A name as a person would write it: padding spaces and honorifics removed."""
    name = _SPACES.sub("", raw.strip())
    for suffix in HONORIFICS:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return name


def name_key(raw: str) -> str:
    """Matching key: NFKC, no spaces or honorifics, variant characters folded."""
    name = display_name(unicodedata.normalize("NFKC", raw))
    return name.translate(_VARIANTS)


_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}


def numeral_to_int(text: str) -> int | None:
    """Parse 百十六, 二〇二〇, 116, １１６ → int; None when it is not a number."""
    text = unicodedata.normalize("NFKC", text.strip())
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(c in _KANJI_DIGITS for c in text):
        # Positional form used for years and seat numbers: 二〇二〇.
        return int("".join(str(_KANJI_DIGITS[c]) for c in text))
    total, current = 0, 0
    for char in text:
        if char in _KANJI_DIGITS:
            current = _KANJI_DIGITS[char]
        elif char in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[char]
            current = 0
        else:
            return None
    return total + current
