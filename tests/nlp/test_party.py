import json
from datetime import date, datetime

from nlp.party import declared_group, earlier_parties, same_party
from tests.conftest import PROCEEDINGS_2020


def _opening(meeting_no: int, speaker: str) -> str:
    meetings = json.loads(PROCEEDINGS_2020.read_text(encoding="utf-8"))
    return next(s["Utterance"] for s in meetings[meeting_no]["Proceeding"] if s["Speaker"] == speaker)[:200]


def test_the_group_a_member_speaks_for_in_a_representative_question():
    found = declared_group(_opening(1, "百十六番（増子ひろき君）"))
    assert found.group == "都民ファーストの会東京都議団"
    assert found.quote.startswith("令和二年第一回東京都議会定例会に当たり、都民ファーストの会東京都議団を代表して、")
    assert declared_group(_opening(2, "百二十七番（和泉なおみ君）")).group == "日本共産党都議団"


def test_the_group_named_after_watashi_wa_and_in_a_debate():
    # 討論 and committee opinions: 「私は、…を代表し、」 「私は…を代表いたしまして」.
    assert declared_group("私は、都議会立憲民主党・民主クラブを代表して、知事提出の全議案に賛成の立場から討論を行います。").group \
        == "都議会立憲民主党・民主クラブ"
    assert declared_group("私は都民ファーストの会東京都議団を代表し、知事提出の全議案に賛成します。").group \
        == "都民ファーストの会東京都議団"
    assert declared_group("私たちは都議会公明党を代表して質問します。").group == "都議会公明党"
    assert declared_group("ものづくり推進の会を代表して質問します。").group == "ものづくり推進の会"
    # Full-width letters as the minutes print them: one spelling for the group.
    assert declared_group("かがやけＴｏｋｙｏを代表して質問します。").group == "かがやけTokyo"
    long = declared_group("都議会公明党を代表いたしまして、" + "本委員会に付託された調査事項について、" * 4)
    assert long.group == "都議会公明党" and long.quote.endswith("…") and len(long.quote) <= 60


def test_what_a_member_speaks_for_that_is_not_a_group():
    # Real openings from the committee minutes: a chair's report, a delegation, the sponsors of a motion.
    for text in ("私は、十三名の委員を代表いたしまして、", "監査委員を代表し、平成三十年度の", "委員会を代表いたしまして、ご報告",
                 "提出会派を代表して意見を申し述べます。", "共同提案者を代表して、その趣旨を", "都民を代表してお聞きします。",
                 "むしろ私は、都議会というのは日本を代表する議会で", "スポーツ界を代表していると",
                 # a captured kensakusystem page (fixtures/vendors/kensakusystem/cgi)
                 "予算審査特別委員会の設置について、動議提出者を代表して、"):
        assert declared_group(text) is None, text
    # Only the opening: later in a speech it is a quotation or someone else.
    assert declared_group("次に、教育について伺います。" * 20 + "都議会自由民主党を代表して") is None


def test_earlier_parties_skip_the_current_group_spelt_another_way_and_list_each_other_once():
    assert same_party("東京みらい", "無所属　東京みらい") and same_party("都議会自民党", "東京都議会自由民主党")
    assert not same_party("都議会民進党", "都議会立憲民主党・民主クラブ")
    rows = [  # latest first, as member_extras reads them
        {"party": "無所属東京みらい", "source": "minutes", "named_on": date(2020, 4, 22), "observed_at": None, "source_url": "m1"},
        {"party": "都議会民進党", "source": "minutes", "named_on": date(2017, 8, 30), "observed_at": None, "source_url": "m2"},
        {"party": "民進党", "source": "roster", "named_on": None, "observed_at": datetime(2016, 5, 1, 9), "source_url": "r1"},
        {"party": None, "source": "roster", "named_on": None, "observed_at": datetime(2015, 1, 1), "source_url": "r0"},
    ]
    assert earlier_parties("東京みらい", rows) == [
        {"party": "都議会民進党", "source": "minutes", "on": date(2017, 8, 30), "source_url": "m2"}]
