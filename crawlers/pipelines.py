"""Item pipelines: validate raw records, then append them to the raw store. Nothing else.

Spiders yield :class:`~crawlers.records.MeetingRecord` (or Member/Post records).
Anything else is dropped with a message naming what arrived. The store is
content-addressed and append-only, so a re-crawl of unchanged minutes counts as
``raw/duplicate`` and nothing stored is ever overwritten.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from crawlers.rawstore import RawStore
from crawlers.records import MeetingRecord, MemberRecord, PostRecord

logger = logging.getLogger(__name__)

RECORD_TYPES = (MeetingRecord, MemberRecord, PostRecord)


class ValidateRecordPipeline:
    """Only raw records pass; a minutes record without speeches is not a record."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        if not isinstance(item, RECORD_TYPES):
            self.stats.inc_value("raw/invalid")
            raise DropItem(
                f"not a raw record: got {type(item).__name__}; spiders must yield "
                f"{', '.join(t.__name__ for t in RECORD_TYPES)}"
            )
        if isinstance(item, MeetingRecord) and not item.speeches:
            self.stats.inc_value("raw/invalid")
            raise DropItem(f"meeting record without speeches: {item.source_id}")
        return item


class RawStorePipeline:
    """Writes each record with :meth:`RawStore.put` into ``RAW_DIR``."""

    def __init__(self, raw_dir: str, stats):
        self.store = RawStore(raw_dir)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("RAW_DIR"), crawler.stats)

    def process_item(self, item, spider=None):
        result = self.store.put(item)
        if result.created:
            self.stats.inc_value("raw/stored")
            logger.debug("stored %s -> %s", item.source_id, result.path)
        else:
            self.stats.inc_value("raw/duplicate")
        return item
