"""Speech segmentation on real heading lines and passages from minutes."""

import pytest

from crawlers.parsers.segment import parse_heading, split_speeches

# (line, expected): (speaker, same-line text) for a speech, False for a heading that is not one.
HEADINGS = [
    ("○議長（石川良一君）　ただいまから本日の会議を開きます。", ("議長（石川良一君）", "ただいまから本日の会議を開きます。")),
    ("〇３番（山田太郎君）質問いたします。", ("３番（山田太郎君）", "質問いたします。")),
    ("○百十六番（増子ひろき君）　質問します。", ("百十六番（増子ひろき君）", "質問します。")),
    ("◆12番（山田太郎議員）　通告に従い質問します。", ("12番（山田太郎議員）", "通告に従い質問します。")),
    ("◎市長（山田一郎）　お答えします。", ("市長（山田一郎）", "お答えします。")),
    ("◇教育長(佐藤花子)　お答えします。", ("教育長(佐藤花子)", "お答えします。")),
    ("○西沢委員　伺います。", ("西沢委員", "伺います。")),
    ("○濱口太史君", ("濱口太史君", "")),
    ("○議長ただいまから会議を開きます。", ("議長", "ただいまから会議を開きます。")),
    # DB-Search (音更町): speaker alone on its line, stage direction after it.
    ("◯議長（高瀬博文）", ("議長（高瀬博文）", "")),
    ("◯議会運営委員長（神長基子）〔登壇〕", ("議会運営委員長（神長基子）", "")),
    ("◯建設部長（高瀬忠行）〔登壇〕", ("建設部長（高瀬忠行）", "")),
    # DB-Search (青森市).
    ("◯２７番（小倉尚裕君）　ただいまから文教経済常任委員会の", ("２７番（小倉尚裕君）", "ただいまから文教経済常任委員会の")),
    # kensakusystem (葛飾区): name and role inside the brackets.
    ("○（伊藤よしのり議長）　出席議員は定足数に達しております。", ("（伊藤よしのり議長）", "出席議員は定足数に達しております。")),
    ("○（植竹　貴副区長）　ただいま上程されました", ("（植竹　貴副区長）", "ただいま上程されました")),
    ("○２２番（筒井たかひさ議員）　議会運営委員会所属の", ("２２番（筒井たかひさ議員）", "議会運営委員会所属の")),
    # VOICES (つくば市): name and role padded with one space, the speech set off by two.
    ("○塩田　委員長　　改めましておはようございます。", ("塩田　委員長", "改めましておはようございます。")),
    ("○１番（山田君）（登壇）　はい。", ("１番（山田君）", "はい。")),
    ("○田中委員　市長（山田）に伺います。", ("田中委員", "市長（山田）に伺います。")),
    # Headings sharing the symbols.
    ("○議事日程", False),
    ("○出席議員（３８名）", False),
    ("〇出席委員（１０名）", False),
    ("◎開議の宣告", False),
    ("◎日程第１　会議録署名議員の指名", False),
    ("○本日の会議に付した事件", False),
    ("○議事日程（第１号）", False),
    ("◎一般質問", False),
    ("○職務のため出席した事務局職員", False),
    ("○", False),
    # Ordinary lines.
    ("　ただいまの出席議員は１６名で、定足数に達しております。", None),
    ("日程第１　議案第146号", None),
    ("〔「異議なし」と呼ぶ者あり〕", None),
]


@pytest.mark.parametrize(("line", "expected"), HEADINGS)
def test_parse_heading(line, expected):
    assert parse_heading(line) == expected


def test_preamble_and_roll_call_are_dropped():
    text = """開催日：令和 7年 2月14日
会議名：令和 7年第1回定例会（第1日 2月14日）

○議事日程
　出　席　議　員　（３８名）
　　　　１番　　むらまつ　勝康　　　　　　　　　２番　　おおにし　順子
○（伊藤よしのり議長）　出席議員は定足数に達しております。
　ただいまから、令和７年第１回葛飾区議会定例会を開会いたします。
"""
    speeches = split_speeches(text)
    assert [(s.speaker, s.text) for s in speeches] == [
        ("（伊藤よしのり議長）", "出席議員は定足数に達しております。\n　ただいまから、令和７年第１回葛飾区議会定例会を開会いたします。")
    ]


def test_speaker_on_its_own_line_and_stage_direction_kept_inside():
    text = """　　　　　会議の経過
開会（午前１０時００分）
◯議長（高瀬博文）
　これから、質疑を行います。
　質疑ありませんか。
　　　〔「なし」の声多数〕
◯議長（高瀬博文）
　なければ、これで質疑を終わります。"""
    speeches = split_speeches(text)
    assert [s.speaker for s in speeches] == ["議長（高瀬博文）", "議長（高瀬博文）"]
    assert speeches[0].text == "これから、質疑を行います。\n　質疑ありませんか。\n　　　〔「なし」の声多数〕"


def test_rule_line_ends_the_speech_and_agenda_after_it_is_dropped():
    text = """◯議長（奈良岡隆君）　御異議なしと認めます。よって、各案件については委員長報告のとおり決しました。
　　　　　　　　　　──────────────────────────
日程第４　議案第150号　公の施設の指定管理者の指定について
◯議長（奈良岡隆君）　日程第４議案第150号を議題といたします。"""
    speeches = split_speeches(text)
    assert [s.text for s in speeches] == [
        "御異議なしと認めます。よって、各案件については委員長報告のとおり決しました。",
        "日程第４議案第150号を議題といたします。",
    ]


def test_heading_line_ends_the_speech():
    text = """◎議長（山田一郎君）　休憩します。
◎再開の宣告
　午後１時再開
○議長（山田一郎君）　再開します。"""
    assert [s.text for s in split_speeches(text)] == ["休憩します。", "再開します。"]


def test_signature_block_is_not_part_of_the_last_speech():
    text = """○（伊藤よしのり議長）　本日はこれをもって散会いたします。
　午後３時７分散会



　　　　　　　　　　　　　　　　　　　　議　　長　　　伊藤　よしのり

　　　　　　　　　　　　　　　　　　　　署名議員　　　齊　藤　大　介"""
    assert split_speeches(text)[0].text == "本日はこれをもって散会いたします。\n　午後３時７分散会"


def test_signature_sentence_ends_the_speech():
    text = """◯議長（高瀬博文）
　令和６年第４回音更町議会定例会を閉会します。



　　地方自治法第１２３条第２項の規定によりここに署名する。

　　　　議　　　　　長"""
    assert split_speeches(text)[0].text == "令和６年第４回音更町議会定例会を閉会します。"


def test_crlf_and_speaker_without_text_dropped():
    text = "○議長（山田君）\r\n○３番（田中君）　質問します。\r\n　以上です。\r\n"
    speeches = split_speeches(text)
    assert [(s.speaker, s.text) for s in speeches] == [("３番（田中君）", "質問します。\n　以上です。")]


def test_no_markers_no_speeches():
    assert split_speeches("出　席　議　員\n　１番　山田太郎\n") == []
