"""Kokkai API parser on responses written from the documented format (see tests/fixtures/kokkai/SOURCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.parsers import kokkai

KOKKAI = Path(__file__).resolve().parents[1] / "fixtures" / "kokkai"


def test_meeting_page_written_from_documented_format():
    page = kokkai.parse_meeting_page((KOKKAI / "meeting-page1.json").read_bytes())
    assert page.number_of_records == 3
    assert page.next_record_position == 3
    plenary, budget = page.meetings
    assert plenary.url == "https://kokkai.ndl.go.jp/txt/121305254X00120240126"
    assert plenary.page.title == "第213回国会 衆議院 本会議 第1号"
    assert str(plenary.page.date) == "2024-01-26"
    assert (plenary.meeting_kind, plenary.committee) == ("本会議", None)
    assert (budget.meeting_kind, budget.committee) == ("委員会", "予算委員会")


def test_speeches_written_from_documented_format():
    plenary = kokkai.parse_meeting_page((KOKKAI / "meeting-page1.json").read_bytes()).meetings[0]
    # speechOrder 0 (会議録情報) is front matter; the speaker line becomes the speaker.
    assert [s.speaker for s in plenary.page.speeches] == ["議長（山田一郎君）", "議長（山田一郎君）", "佐藤花子君"]
    assert plenary.page.speeches[0].text == "これより会議を開きます。"
    assert plenary.page.speeches[1].text.endswith("〔「異議なし」と呼ぶ者あり〕")


def test_last_page_has_no_next_written_from_documented_format():
    page = kokkai.parse_meeting_page((KOKKAI / "meeting-page2.json").read_bytes())
    assert page.next_record_position is None
    assert len(page.meetings) == 1


def test_parse_single_meeting_is_minutes_written_from_documented_format():
    page = kokkai.parse((KOKKAI / "meeting-page2.json").read_bytes(), "u")
    assert page.to_json_dict() == {
        "kind": "minutes",
        "meetings": [],
        "speeches": [{"speaker": "議長（山田一郎君）", "text": "これより会議を開きます。"}],
        "date": "2024-02-01",
        "title": "第213回国会 衆議院 本会議 第2号",
    }


def test_parse_several_meetings_is_a_list_written_from_documented_format():
    page = kokkai.parse((KOKKAI / "meeting-page1.json").read_bytes(), "u")
    assert page.kind == "meeting_list"
    assert [m.url for m in page.meetings] == [
        "https://kokkai.ndl.go.jp/txt/121305254X00120240126",
        "https://kokkai.ndl.go.jp/txt/121304261X00120240130",
    ]


def test_speech_api_written_from_documented_format():
    page = kokkai.parse((KOKKAI / "speech.json").read_bytes(), "u")
    assert [s.speaker for s in page.speeches] == ["佐藤花子君"]


def test_api_error_raises_with_its_message_written_from_documented_format():
    with pytest.raises(ValueError, match="kokkai API error: 検索条件の指定が不正です。"):
        kokkai.parse((KOKKAI / "error.json").read_bytes(), "u")


@pytest.mark.parametrize("body", [b"[]", b'{"foo": 1}', b"not json"])
def test_unexpected_json_raises(body):
    with pytest.raises(ValueError):
        kokkai.parse_meeting_page(body)


@pytest.mark.parametrize(
    "speech, speaker, text",
    [
        ("○議長（山田一郎君）　これより会議を開きます。", "議長（山田一郎君）", "これより会議を開きます。"),
        ("○鈴木委員長　休憩いたします。\n――――◇―――――", "鈴木委員長", "休憩いたします。"),
        ("速記を止めてください。", "会議録情報", "速記を止めてください。"),
    ],
)
def test_split_speech(speech, speaker, text):
    assert kokkai.split_speech(speech, speaker) == kokkai.ParsedSpeech(speaker=speaker, text=text)
