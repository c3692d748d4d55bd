from datetime import datetime

import pytest

from crawlers.rawstore import RawStore, RawStoreError
from crawlers.records import MeetingRecord, SpeechRecord


def _meeting(text: str = "待機児童について伺います。", fetched: datetime | None = None) -> MeetingRecord:
    return MeetingRecord(
        source_system="poliinfo", source_id="https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html",
        assembly_code="130001", assembly_name="東京都議会", prefecture="東京都", meeting_kind="本会議",
        date="2020-02-26", title="令和二年東京都議会会議録第二号",
        url="https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html",
        speeches=[SpeechRecord(order=0, speaker="百十六番（増子ひろき君）", text=text)], fetched_at=fetched,
    )


def test_same_content_is_stored_once_even_when_fetched_again(tmp_path):
    store = RawStore(tmp_path)
    first = store.put(_meeting(fetched=datetime(2024, 1, 1)))
    again = store.put(_meeting(fetched=datetime(2024, 2, 1)))
    assert first.created and not again.created
    assert first.path == again.path
    assert len(list(store.paths())) == 1


def test_changed_minutes_are_appended_and_latest_wins(tmp_path):
    store = RawStore(tmp_path)
    store.put(_meeting("速報版", fetched=datetime(2024, 1, 1)))
    store.put(_meeting("確定版", fetched=datetime(2024, 3, 1)))
    assert len(list(store.paths())) == 2
    (latest,) = store.latest().values()
    assert latest.speeches[0].text == "確定版"
    assert store.source_ids("poliinfo") == {latest.source_id}


def test_unreadable_record_names_the_file(tmp_path):
    store = RawStore(tmp_path)
    bad = tmp_path / "meeting" / "130001" / "broken.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(RawStoreError, match="broken.json"):
        list(store)


def test_record_rejects_bad_assembly_code():
    with pytest.raises(ValueError, match="assembly_code"):
        MeetingRecord(**{**_meeting().model_dump(), "assembly_code": "13"})
