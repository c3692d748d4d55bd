import pytest

from nlp.speaker import parse_speaker


@pytest.mark.parametrize(
    ("raw", "role", "name", "seat", "kind", "is_member"),
    [
        ("百十六番（増子ひろき君）", "議員", "増子ひろき", 116, "member", True),
        ("六十六番（もり愛君）", "議員", "もり愛", 66, "member", True),
        ("議長（石川良一君）", "議長", "石川良一", None, "chair", True),
        ("副議長（橘正剛君）", "副議長", "橘正剛", None, "chair", True),
        ("知事（小池百合子君）", "知事", "小池百合子", None, "executive", False),
        ("福祉保健局長（内藤淳君）", "福祉保健局長", "内藤淳", None, "executive", False),
        ("東京都技監（佐藤伸朗君）", "東京都技監", "佐藤伸朗", None, "executive", False),
        ("教育委員会委員長（木村孟君）", "教育委員会委員長", "木村孟", None, "executive", False),
        ("議事部長（櫻井和博君）", "議事部長", "櫻井和博", None, "staff", False),
        ("西沢委員", "委員", "西沢", None, "member", True),
        ("野村委員長", "委員長", "野村", None, "chair", True),
        ("服部委員", "委員", "服部", None, "member", True),
        ("田中（朝）委員", "委員", "田中(朝)", None, "member", True),
        ("松永スポーツ振興局招致推進部長", "スポーツ振興局招致推進部長", "松永", None, "executive", False),
        ("福田中央卸売市場理事", "中央卸売市場理事", "福田", None, "executive", False),
        ("吉川副知事", "副知事", "吉川", None, "executive", False),
        ("稲垣参考人", "参考人", "稲垣", None, "witness", False),
        ("○○局長", "局長", None, None, "executive", False),
        ("◆12番（山田太郎議員）", "議員", "山田太郎", 12, "member", True),
        ("３番（鈴木花子君）", "議員", "鈴木花子", 3, "member", True),
        ("null", None, None, None, "unknown", False),
        (None, None, None, None, "unknown", False),
    ],
)
def test_parse_speaker(raw, role, name, seat, kind, is_member):
    speaker = parse_speaker(raw)
    assert (speaker.role, speaker.name, speaker.seat, speaker.role_kind) == (role, name, seat, kind)
    assert speaker.is_member is is_member


def test_committee_surname_is_flagged_surname_only():
    assert parse_speaker("西沢委員").surname_only
    assert not parse_speaker("五十四番（西沢けいた君）").surname_only


def test_executives_never_members_in_real_minutes():
    import json

    from tests.conftest import PROCEEDINGS_2020

    for meeting in json.loads(PROCEEDINGS_2020.read_text(encoding="utf-8")):
        for speech in meeting["Proceeding"]:
            raw = speech["Speaker"]
            if raw and ("局長" in raw or raw.startswith(("知事", "副知事", "警視総監", "教育長"))):
                assert not parse_speaker(raw).is_member, raw
