"""Pipelines: only raw records pass, and the store never overwrites."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers.pipelines import RawStorePipeline, ValidateRecordPipeline
from crawlers.rawstore import RawStore
from crawlers.records import MeetingRecord, SpeechRecord


def record(text: str = "ただいまから会議を開きます。", speeches: bool = True) -> MeetingRecord:
    return MeetingRecord(
        source_system="discussnet_ssp", source_id="https://example.jp/m/1", assembly_code="012025",
        assembly_name="函館市議会", prefecture="北海道", meeting_kind="本会議", title="t", url="https://example.jp/m/1",
        speeches=[SpeechRecord(order=0, speaker="議長（吉田崇仁）", text=text)] if speeches else [],
    )


@pytest.fixture
def crawler(tmp_path):
    crawler = get_crawler(settings_dict={"RAW_DIR": str(tmp_path / "raw")})
    return crawler


def test_validate_passes_records(crawler):
    item = record()
    assert ValidateRecordPipeline.from_crawler(crawler).process_item(item) is item


@pytest.mark.parametrize("item", [{"title": "x"}, "text", None])
def test_validate_drops_what_is_not_a_record(crawler, item):
    with pytest.raises(DropItem, match="not a raw record"):
        ValidateRecordPipeline.from_crawler(crawler).process_item(item)
    assert crawler.stats.get_value("raw/invalid") == 1


def test_validate_drops_minutes_without_speeches(crawler):
    with pytest.raises(DropItem, match="without speeches: https://example.jp/m/1"):
        ValidateRecordPipeline.from_crawler(crawler).process_item(record(speeches=False))


def test_store_counts_stored_and_duplicates(crawler, tmp_path):
    pipeline = RawStorePipeline.from_crawler(crawler)
    pipeline.process_item(record())
    pipeline.process_item(record())
    pipeline.process_item(record("改訂版"))
    assert crawler.stats.get_value("raw/stored") == 2
    assert crawler.stats.get_value("raw/duplicate") == 1
    assert len(list(RawStore(tmp_path / "raw").paths())) == 2
