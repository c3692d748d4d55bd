"""MinutesSpider helpers: records from parsed pages, incremental skip, quarantine, stats."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from scrapy.http import FormRequest, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.parsers.page import ParsedPage, ParsedSpeech
from crawlers.rawstore import RawStore
from crawlers.spiders import spider_for
from crawlers.spiders.base import MinutesSpider, committee_from_title, meeting_kind_from_title
from crawlers.stats import summarize, summary_line


class ExampleSpider(MinutesSpider):
    name = "example"
    source_system = "tokyo_gikai"


@pytest.fixture
def spider(tmp_path):
    crawler = get_crawler(ExampleSpider, {"RAW_DIR": str(tmp_path / "raw")})
    return crawler._create_spider(assembly_code="130001", since="2020-02-01")


def page(title="令和二年東京都議会会議録第二号") -> ParsedPage:
    return ParsedPage(
        kind="minutes", title=title, date=date(2020, 2, 26),
        speeches=[ParsedSpeech(speaker="議長（石川良一君）", text="これより本日の会議を開きます。")],
    )


@pytest.mark.parametrize(
    "title, kind, committee",
    [
        ("令和二年東京都議会会議録第二号", "本会議", None),
        ("令和　７年第１回　１月臨時会", "臨時会", None),
        ("議会運営委員会速記録第六号", "委員会", "議会運営委員会"),
        ("函館市議会予算特別委員会（令和　７年第１回定例会）", "委員会", "予算特別委員会"),
        ("令和　６年１２月２６日議会運営委員会－12月26日-01号", "委員会", "議会運営委員会"),
        ("令和　６年　１月１０日広報広聴委員会－01月10日-01号", "委員会", "広報広聴委員会"),
        ("令和　６年１２月２３日予算決算委員会都市建設分科会－12月23日-01号", "委員会", "予算決算委員会都市建設分科会"),
        ("令和６年第１回定例会予算特別委員会", "委員会", "予算特別委員会"),
    ],
)
def test_kind_and_committee_from_title(title, kind, committee):
    assert meeting_kind_from_title(title) == kind
    assert committee_from_title(title, "函館市議会") == committee


def test_committee_of_real_voices_titles_leaves_the_date_out():
    """つくば市's VOICES list writes the sitting date before the committee name."""
    from collections import Counter
    from pathlib import Path

    from crawlers.parsers import voices

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "gijiroku-com" / "standard" / "search-result.html"
    listed = voices.parse(fixture.read_bytes(), "https://www.city.tsukuba.ibaraki.gijiroku.com/voices/cgi/voiweb.exe")
    committees = Counter(
        committee_from_title(m.title, "つくば市議会") for m in listed.meetings if meeting_kind_from_title(m.title) == "委員会"
    )
    assert committees["議会運営委員会"] == 35
    assert committees["総務文教委員会"] == 14
    assert committees["予算決算委員会都市建設分科会"] == 6
    assert committees["最終処分場に関する調査特別委員会"] == 3
    # Before: "６年１２月２６日議会運営委員会", "８日予算決算委員会" … one "committee" per sitting day.
    assert not [c for c in committees if re.search(r"[0-9０-９]", c or "")]
    assert len(committees) == 17


def test_make_meeting_record(spider):
    rec = spider.make_meeting_record(page(), "https://www.gikai.metro.tokyo.lg.jp/record/proceedings/2020-1/02.html")
    assert (rec.source_system, rec.assembly_code, rec.assembly_name, rec.prefecture) == (
        "tokyo_gikai", "130001", "東京都議会", "東京都")
    assert rec.source_id == rec.url
    assert (rec.meeting_kind, rec.committee, str(rec.date)) == ("本会議", None, "2020-02-26")
    assert rec.speeches[0].order == 0 and rec.speeches[0].speaker == "議長（石川良一君）"
    assert rec.fetched_at is not None


def test_make_meeting_record_overrides(spider):
    rec = spider.make_meeting_record(page("x"), "https://e.jp/1", source_id="id-1", meeting_kind="委員会",
                                     committee="総務委員会")
    assert (rec.source_id, rec.meeting_kind, rec.committee) == ("id-1", "委員会", "総務委員会")


def test_since_filter(spider):
    assert spider.since == date(2020, 2, 1)
    assert spider.before_since(date(2020, 1, 31))
    assert not spider.before_since(date(2020, 2, 1))
    assert not spider.before_since(None)


def test_already_stored_reads_the_store_once(spider, tmp_path):
    url = "https://www.gikai.metro.tokyo.lg.jp/record/proceedings/2020-1/02.html"
    RawStore(tmp_path / "raw").put(spider.make_meeting_record(page(), url))
    assert spider.already_stored(url)
    assert not spider.already_stored(url + "?x")
    RawStore(tmp_path / "raw").put(spider.make_meeting_record(page(), url + "?x"))
    assert not spider.already_stored(url + "?x")  # loaded once per crawl


def test_quarantine_saves_body_url_reason_and_counts(spider, tmp_path):
    request = FormRequest("https://e.jp/dnp/search/minutes/get_minute", formdata={"schedule_id": "3"})
    response = TextResponse(request.url, body=b'{"broken', encoding="utf-8", request=request, status=200)
    path = spider.quarantine(response, "malformed_json", detail="JSONDecodeError")
    assert path.parent == tmp_path / "quarantine" / "tokyo_gikai" / "130001"
    meta = json.loads(path.read_text(encoding="utf-8"))
    assert meta["url"] == request.url and meta["reason"] == "malformed_json"
    assert meta["request_body"] == "schedule_id=3" and meta["method"] == "POST"
    assert path.with_suffix(".body").read_bytes() == b'{"broken'
    stats = spider.crawler.stats
    assert stats.get_value("quarantine/count") == 1
    assert stats.get_value("quarantine/reason/malformed_json") == 1


def test_empty_minutes_are_quarantined(spider):
    response = TextResponse("https://e.jp/x.html", body=b"<html></html>", encoding="utf-8")
    assert spider.record_or_quarantine(response, ParsedPage(kind="minutes"), response.url) is None
    assert spider.crawler.stats.get_value("quarantine/reason/empty_minutes") == 1


def test_parse_or_quarantine(spider):
    response = TextResponse("https://e.jp/x.json", body=b"{", encoding="utf-8")
    assert spider.parse_or_quarantine(response, lambda body, url: json.loads(body)) is None
    assert spider.crawler.stats.get_value("quarantine/reason/malformed_json") == 1


def test_summary_line():
    stats = {"fetched": 12, "raw/stored": 5, "skipped/already_stored": 2, "skipped/before_since": 1,
             "robots/blocked": 3, "quarantine/count": 2}
    assert summary_line(summarize(stats), "crawl 012025 discussnet_ssp") == (
        "crawl 012025 discussnet_ssp: fetched=12 stored=5 skipped=3 blocked-by-robots=3 quarantined=2")


@pytest.mark.parametrize("system", ["discussnet_ssp", "kokkai", "tokyo_gikai"])
def test_spider_for(system):
    cls = spider_for(system)
    assert issubclass(cls, MinutesSpider) and cls.source_system == system


def test_spider_for_unknown():
    with pytest.raises(LookupError, match="no spider for system 'nosuch'"):
        spider_for("nosuch")
