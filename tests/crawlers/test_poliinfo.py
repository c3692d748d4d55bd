import json
from datetime import date

import pytest

from crawlers.poliinfo import PoliInfoError, import_files, read_poliinfo
from crawlers.rawstore import RawStore
from tests.conftest import DEMO_2020, PROCEEDINGS_2020, ROOT


def test_reads_tokyo_plenary_meetings():
    meetings = list(read_poliinfo(PROCEEDINGS_2020))
    assert len(meetings) == 8
    second = meetings[1]
    assert second.assembly_code == "130001" and second.assembly_name == "東京都議会"
    assert second.meeting_kind == "本会議" and second.committee is None
    assert second.date == date(2020, 2, 26)
    assert second.title == "令和二年東京都議会会議録第二号"
    assert second.url == "https://www.gikai.metro.tokyo.jp/record/proceedings/2020-1/02.html"
    assert len(second.speeches) == 64
    assert second.speeches[4].speaker == "百十六番（増子ひろき君）"
    assert second.speeches[0].speaker is None  # "null" in the source


def test_committee_and_extraordinary_kinds():
    committee = next(read_poliinfo(ROOT / "data/demo/tokyo-committees/olympic.json"))
    assert committee.meeting_kind == "委員会"
    assert committee.committee == "オリンピック・パラリンピック招致特別委員会"
    extraordinary = next(read_poliinfo(DEMO_2020 / "extraordinary-2020.json"))
    assert extraordinary.meeting_kind == "臨時会"


def test_reimport_adds_nothing(tmp_path):
    store = RawStore(tmp_path)
    first = import_files([PROCEEDINGS_2020], store)
    second = import_files([PROCEEDINGS_2020], store)
    assert (first.created, second.created, second.unchanged) == (8, 0, 8)


def test_broken_file_is_named(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"Date": "2020/2/26"}]), encoding="utf-8")
    with pytest.raises(PoliInfoError, match=r"bad.json\[0\]"):
        list(read_poliinfo(bad))
    summary = import_files([bad], RawStore(tmp_path / "raw"))
    assert summary.created == 0 and "bad.json" in summary.rejected[0]


def test_drafting_committee_records_name_their_committee():
    """「賀詞起草特別委員会の記録」 (data/demo/tokyo-committees/draft.json) is a committee's record too."""
    meetings = list(read_poliinfo(ROOT / "data" / "demo" / "tokyo-committees" / "draft.json"))
    by_title = {m.title: m for m in meetings}
    for name in ("賀詞起草特別委員会", "弔詞起草特別委員会", "奉呈文起草特別委員会"):
        record = by_title[f"{name}の記録"]
        assert (record.meeting_kind, record.committee) == ("委員会", name)
    assert all(m.committee for m in meetings)
