"""Decoding of response bodies: cp932 for Shift_JIS labels, UTF-8 when the bytes say so."""

from pathlib import Path

import pytest

from crawlers.encoding import declared_charset, decode_body, normalize_charset

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# NEC row 13 (①, ㈱), NEC-selected IBM extensions (髙, 﨑, 德) — all outside JIS X 0208.
EXTENSION_TEXT = "○３番（髙橋①郎君）　㈱﨑山建設と青木克德区長について伺います。"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("shift-jis", "cp932"),
        ("x-sjis", "cp932"),
        ("SJIS", "cp932"),
        ("Windows-31J", "cp932"),
        ("UTF-8", "utf-8"),
        ("EUC-JP", "euc_jp"),
        (None, None),
        ("", None),
    ],
)
def test_normalize_charset(label, codec):
    assert normalize_charset(label) == codec


def test_shift_jis_declaration_decodes_extension_characters():
    html = f'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>{EXTENSION_TEXT}</p>'
    body = html.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        body.decode("shift_jis")
    assert EXTENSION_TEXT in decode_body(body)
    assert EXTENSION_TEXT in decode_body(body, "Shift_JIS")


def test_utf8_bytes_win_over_a_shift_jis_declaration():
    html = f'<meta charset="Shift_JIS"><p>{EXTENSION_TEXT}</p>'
    assert EXTENSION_TEXT in decode_body(html.encode("utf-8"), "Shift_JIS")


def test_utf8_declaration_with_cp932_bytes_falls_back():
    assert decode_body(EXTENSION_TEXT.encode("cp932"), "utf-8") == EXTENSION_TEXT


def test_no_declaration_plain_text_cp932():
    assert decode_body(EXTENSION_TEXT.encode("cp932")) == EXTENSION_TEXT


def test_bom_is_removed():
    assert decode_body(b"\xef\xbb\xbf" + "議長".encode()) == "議長"


def test_full_width_characters_are_not_normalised():
    text = "令和６年３月５日　第１回定例会　ＳＤＧｓ"
    assert decode_body(text.encode("cp932"), "Shift_JIS") == text


def test_corrupt_byte_costs_one_character_not_the_page():
    body = "議長".encode("cp932") + b"\xff" + "発言".encode("cp932")
    text = decode_body(body, "Shift_JIS")
    assert text.startswith("議長") and text.endswith("発言")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'<meta charset="utf-8">', None, "utf-8"),
        (b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">', None, "Shift_JIS"),
        (b'<meta http-equiv="Content-Type" content="text/html;charset=x-sjis">', None, "x-sjis"),
        (b'<?xml version="1.0" encoding="EUC-JP"?>', None, "EUC-JP"),
        (b'<meta charset="utf-8">', "text/html; charset=Shift_JIS", "Shift_JIS"),
        (b'<meta charset="utf-8">', b"text/html; charset=EUC-JP", "EUC-JP"),
        (b"plain text", "text/plain", None),
    ],
)
def test_declared_charset(body, content_type, expected):
    assert declared_charset(body, content_type) == expected


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("kensakusystem/cgi/statements.txt", "○（青木克德区長）"),
        ("kensakusystem/cgi/speakers.html", "青木克德区長"),
        ("kensakusystem/cgi/tree.html", "葛飾区議会/会議録検索システム"),
        ("gijiroku-com/standard/huid-page.html", "○塩田　委員長"),
        ("dbsearch/template-view/detail.html", "◯議長（高瀬博文）"),
    ],
)
def test_real_pages_decode(path, needle):
    assert needle in decode_body((FIXTURES / path).read_bytes())
