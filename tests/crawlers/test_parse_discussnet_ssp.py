"""DiscussNet SSP parser on the real 函館市 responses (tenant hakodate, 令和６年第１回２月定例会)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.parsers import discussnet_ssp as ssp

SAAS = Path(__file__).resolve().parents[1] / "fixtures" / "discussnet-ssp" / "saas"
MINUTE_URL = "https://ssp.kaigiroku.net/dnp/search/minutes/get_minute"


@pytest.fixture(scope="module")
def minute():
    return ssp.parse_minute((SAAS / "minute.json").read_bytes(), MINUTE_URL)


@pytest.fixture(scope="module")
def councils():
    return ssp.parse_councils((SAAS / "councils.json").read_bytes())


def test_tenant_id():
    assert ssp.parse_tenant_id((SAAS / "tenant.js").read_bytes()) == 537


def test_councils_count_and_roots(councils):
    assert len(councils) == 1359
    assert sum(c.is_materials for c in councils) == 1127
    assert sum(c.meeting_kind == "本会議" for c in councils) + sum(c.meeting_kind == "臨時会" for c in councils) == 157
    assert sum(c.meeting_kind == "委員会" for c in councils) == 75


def test_first_council(councils):
    first = councils[0]
    assert (first.council_id, first.name, first.view_year) == (1305, "令和\u3000７年第１回\u3000２月定例会", 2025)
    assert first.type_names == ("全会議", "本会議", "定例会")
    assert first.meeting_kind == "本会議"


def test_committee_council(councils):
    budget = next(c for c in councils if c.council_id == 1312)
    assert budget.name == "函館市議会予算特別委員会（令和\u3000７年第１回定例会）"
    assert budget.meeting_kind == "委員会"
    assert budget.committee == "予算特別委員会"


def test_extraordinary_council(councils):
    assert next(c for c in councils if c.council_id == 1301).meeting_kind == "臨時会"


def test_schedules():
    schedules = ssp.parse_schedules((SAAS / "schedules.json").read_bytes())
    assert [s.schedule_id for s in schedules] == [2, 3, 4, 5, 6, 7, 8]
    assert schedules[0].name == "02月22日－01号"
    assert schedules[-1].name == "03月14日－07号"


def test_minute_date_and_title_from_front_matter(minute):
    assert minute.kind == "minutes"
    assert str(minute.date) == "2024-02-22"
    assert minute.title == "令和６年第１回函館市議会定例会会議録 第１号"


def test_minute_speeches(minute):
    # 21 blocks: the 名簿 is front matter, the other 20 are speeches.
    assert len(minute.speeches) == 20
    first = minute.speeches[0]
    assert first.speaker == "議長（吉田崇仁）"
    assert first.text.startswith("おはようございます。\n\u3000ただいまから令和６年第１回函館市議会定例会を開会いたします。")
    assert not first.text.endswith("─")
    assert [s.speaker for s in minute.speeches].count("議長（吉田崇仁）") == 15
    assert minute.speeches[5].speaker == "総務常任委員長（島昌之）"
    assert minute.speeches[14].speaker == "市長（大泉潤）"
    assert minute.speeches[14].text.startswith("令和６年第１回市議会定例会の開会に当たり")
    assert minute.speeches[-1].text.endswith("午前１１時０４分散会")


@pytest.mark.parametrize("index", range(20))
def test_every_speech_has_speaker_and_no_markup(minute, index):
    speech = minute.speeches[index]
    assert speech.speaker
    assert "<pre>" not in speech.text and "</pre>" not in speech.text
    assert not speech.text.startswith(("○", "◆", "◎"))


def test_parse_dispatches_on_response_kind():
    assert ssp.parse((SAAS / "tenant.js").read_bytes(), "u").kind == "other"
    listing = ssp.parse((SAAS / "schedules.json").read_bytes(), "https://h/dnp/search/minutes/get_schedule")
    assert listing.kind == "meeting_list"
    assert listing.meetings[0].title == "02月22日－01号"
    assert listing.meetings[0].url == "https://h/dnp/search/minutes/get_schedule?schedule_id=2"


def test_jsonp_body():
    body = b"cb(" + (SAAS / "schedules.json").read_bytes() + b");"
    assert len(ssp.parse_schedules(body)) == 7


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"tenant_minutes": [{"minute_id": 1, "ti', "Unterminated string"),
        (b'{"error": "session expired"}', "unexpected JSON"),
        (b"<html>maintenance</html>", "Expecting value"),
    ],
)
def test_unreadable_minute_raises_value_error(body, message):
    with pytest.raises(ValueError, match=message):
        ssp.parse_minute(body, MINUTE_URL)


def test_metadata_matches_fixture():
    meta = json.loads((SAAS / "metadata.json").read_text(encoding="utf-8"))
    assert (meta["tenantId"], meta["councilId"], meta["scheduleId"]) == (537, 1251, 2)
