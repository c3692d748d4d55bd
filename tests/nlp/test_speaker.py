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


# Real speaker strings that were mis-parsed (before → after in comments).
@pytest.mark.parametrize(
    ("raw", "role", "name", "kind"),
    [
        # 議会運営委員会: 議会局 secretariat, was ('部長', '鈴木議事', executive) — 575 speeches counted as executive answers.
        ("鈴木議事部長", "議事部長", "鈴木", "staff"),
        ("櫻井議事部長", "議事部長", "櫻井", "staff"),
        # was name None.
        ("斎藤金融監理部長", "金融監理部長", "斎藤", "executive"),
        ("十河金融支援担当部長", "金融支援担当部長", "十河", "executive"),
        ("古川書記", "書記", "古川", "staff"),
        # 連合審査会: a member with a six-kana surname, was role_kind unknown (17 speeches dropped).
        ("あかねがくぼ委員", "委員", "あかねがくぼ", "member"),
        # kensakusystem (葛飾区, statements.txt): full name + title in parentheses, was all unknown.
        ("（伊藤よしのり議長）", "議長", "伊藤よしのり", "chair"),
        ("（青木克德区長）", "区長", "青木克德", "executive"),
        ("（植竹\u3000貴副区長）", "副区長", "植竹貴", "executive"),
        ("（久保洋子教育委員）", "教育委員", "久保洋子", "executive"),
        ("○（杉立敏也事務局長）", "事務局長", "杉立敏也", "staff"),
        # VOICES (つくば市 huid-page.html): padded surname, was name None.
        ("塩田\u3000委員長", "委員長", "塩田", "chair"),
        # 理事 is also a committee-member title: a department before it keeps it executive.
        ("雜賀スポーツ振興局理事", "スポーツ振興局理事", "雜賀", "executive"),
    ],
)
def test_real_speaker_strings(raw, role, name, kind):
    speaker = parse_speaker(raw)
    assert (speaker.role, speaker.name, speaker.role_kind) == (role, name, kind)


def test_committee_speakers_in_real_minutes_are_attributed():
    import json

    from tests.conftest import ROOT

    meetings = json.loads((ROOT / "data/demo/tokyo-committees/union-exam.json").read_text(encoding="utf-8"))
    raws = {s["Speaker"] for m in meetings for s in m["Proceeding"] if s["Speaker"] not in (None, "null")}
    assert "あかねがくぼ委員" in raws
    unknown = sorted(r for r in raws if parse_speaker(r).role_kind == "unknown")
    assert unknown == []
    meetings = json.loads((ROOT / "data/demo/tokyo-committees/assembly-administration.json").read_text(encoding="utf-8"))
    heads = {s["Speaker"] for m in meetings for s in m["Proceeding"] if str(s["Speaker"]).endswith("議事部長")}
    assert len(heads) >= 10
    assert {parse_speaker(r).role_kind for r in heads} == {"staff"}


def test_kensakusystem_speakers_are_all_attributed():
    from crawlers.parsers.kensakusystem import parse
    from tests.conftest import ROOT

    body = (ROOT / "tests/fixtures/kensakusystem/cgi/statements.txt").read_bytes()
    url = "https://www.kensakusystem.jp/katsushika/cgi-bin3/GetPerson.exe?Code=x&fileName=R070214A&downloadPos=226"
    speakers = [parse_speaker(s.speaker) for s in parse(body, url).speeches]
    assert len(speakers) == 33
    assert all(s.role_kind != "unknown" and s.name for s in speakers)
    assert sum(s.role_kind == "chair" for s in speakers) == 24
    assert {s.name for s in speakers if s.role_kind == "executive"} == {"青木克德", "植竹貴", "久保洋子"}
    assert {s.name for s in speakers if s.role_kind == "member"} == {"筒井たかひさ", "齊藤大介", "木村ひでこ"}


def test_title_without_surname_is_never_a_member():
    # Six-character surnames are allowed (あかねがくぼ); a six-character department is not one.
    assert not parse_speaker("中央卸売市場理事").is_member
