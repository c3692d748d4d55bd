import json

from nlp.passages import answered_member, clean_speech_text, is_roll_call, split_passages
from tests.conftest import PROCEEDINGS_2020


def _speech(meeting_no: int, speaker: str) -> str:
    meetings = json.loads(PROCEEDINGS_2020.read_text(encoding="utf-8"))
    return next(s["Utterance"] for s in meetings[meeting_no]["Proceeding"] if s["Speaker"] == speaker)


def test_representative_question_splits_at_the_speakers_subjects():
    text = clean_speech_text(_speech(1, "百十六番（増子ひろき君）"))
    passages = split_passages(text)
    assert len(text) > 20_000
    assert 25 <= len(passages) <= 120
    assert max(len(p.text) for p in passages) <= 1000
    covid = [p for p in passages if p.heading == "新型コロナウイルス感染症対策について伺います。"]
    assert covid and "相談" in covid[0].text
    # A closed question closes its heading: 学童クラブ, asked after the 待機児童 question under
    # 子育て支援、女性活躍, stands on its own words (closing measured better than carrying, see nlp/passages.py).
    kosodate = [p for p in passages if p.heading == "子育て支援、女性活躍について伺います。"]
    assert len(kosodate) == 1 and kosodate[0].text.rstrip().endswith("知事の見解を伺います。")
    gakudo = next(p for p in passages if "学童クラブの利用者枠" in p.text)
    assert gakudo.heading is None
    assert gakudo.text.rstrip().endswith("都の見解を伺います。")


def test_next_subject_after_a_closed_question_does_not_inherit_its_heading():
    # 荒木ちはる (2020-06-02): 待機児童について伺います。… then, unannounced, support for artists.
    passages = split_passages(clean_speech_text(_speech(6, "百十四番（荒木ちはる君）")))
    taiki = [p for p in passages if p.heading == "待機児童について伺います。"]
    assert taiki and all("待機児童" in p.text for p in taiki)
    arts = next(p for p in passages if "多くのアーティスト" in p.text)
    assert arts.heading is None


def test_a_demand_without_a_question_closes_its_subject():
    # 荒木ちはる (2020-06-02) ends the care-home testing subject with 「…検討を求めておきます。」 and goes on,
    # unannounced, to household waste: the waste passage is quoted as evidence for a ごみ solution and
    # must not open with PCR testing.
    passages = split_passages(clean_speech_text(_speech(6, "百十四番（荒木ちはる君）")))
    testing = next(p for p in passages if "高齢者施設等において" in p.text)
    assert testing.text.rstrip().endswith("検討を求めておきます。")
    # The demand is an addendum to the care-home question just before it, and is quoted with it.
    assert testing.text.startswith("高齢者施設における感染防止策について質問いたします。")
    assert "伺います。\nまた、高齢者施設等において" in testing.text
    waste = next(p for p in passages if "家庭での巣ごもり消費" in p.text)
    assert waste.text.startswith("家庭での巣ごもり消費の拡大により")
    assert "PCR" not in waste.text and waste.text.rstrip().endswith("見解を伺います。")


def test_questions_in_other_polite_forms_close_their_subject():
    # もり愛 (2020-06-03) asks 「…知事の見解をお伺いいたします。」 about 都立病院 and goes on, unannounced, to
    # 子供食堂: with お伺いいたします not read as a question, a 子ども食堂 company was shown a passage opening
    # with hospital reform. 和泉なおみ (2020-02-27) asks 「…どう評価していますか。」.
    mori = split_passages(clean_speech_text(_speech(7, "六十六番（もり愛君）")))
    hospitals = next(p for p in mori if "地方独立行政法人" in p.text)
    assert hospitals.text.rstrip().endswith("知事の見解をお伺いいたします。")
    food = next(p for p in mori if "子供食堂" in p.text)
    assert food.text.startswith("コロナ禍は、子育て家庭、子供の貧困問題にも")
    assert "病院" not in food.text
    izumi = split_passages(clean_speech_text(_speech(2, "百二十七番（和泉なおみ君）")))
    evaluation = next(p for p in izumi if "子供食堂の取り組みをどう評価していますか。" in p.text)
    assert evaluation.text.rstrip().endswith("どう評価していますか。")
    assert not any("子供食堂" in p.text and "介護人材" in p.text for p in izumi)


def test_answers_split_at_mazu_tsugini():
    text = clean_speech_text(_speech(1, "福祉保健局長（内藤淳君）"))
    passages = split_passages(text)
    assert passages[0].text.startswith("四点のご質問にお答えいたします。\nまず、学童クラブについて")
    assert passages[1].text.startswith("次に、認知症対策について")
    assert all(p.text.startswith(("次に", "最後に")) for p in passages[1:])


def test_stage_directions_and_roll_call_are_removed():
    raw = "これより質問に入ります。\n　百十六番増子ひろき君。\n〔百十六番増子ひろき君登壇〕\n（拍手）"
    assert clean_speech_text(raw) == "これより質問に入ります。\n百十六番増子ひろき君。"
    roll = json.loads(PROCEEDINGS_2020.read_text(encoding="utf-8"))[1]["Proceeding"][0]["Utterance"]
    assert is_roll_call(roll)
    assert not is_roll_call("待機児童対策について伺います。")


def test_answer_names_the_member_it_answers():
    assert answered_member(_speech(1, "知事（小池百合子君）")) == "増子ひろき"
    assert answered_member("三点のご質問にお答えいたします。") is None


def test_concluding_question_is_not_a_heading_for_the_next_subject():
    # 森澤恭子 (2020-02-28). Before: ``そこで、観光振興における文化資源の活用について…伺います。`` opened a passage
    # as its heading and, being short, swallowed the next subject (次に、…価値観の転換…) under the wrong heading.
    passages = split_passages(clean_speech_text(_speech(3, "二十六番（森澤恭子君）")))
    culture = next(p for p in passages if "観光振興における文化資源の活用" in p.text)
    assert culture.text.startswith("組織や分野を超えた取り組み")
    assert culture.text.endswith("これまでの取り組みと今後の方向性について伺います。")
    assert "価値観の転換" not in culture.text
    values = next(p for p in passages if "価値観の転換を促す施策" in p.text)
    assert values.heading == "次に、幸せに生きていくための価値観の転換を促す施策について伺います。"
    # ``そこで、このたび、…産後ケア事業への補助率を引き上げた狙いについて伺います。`` closes the 産後ケア passage;
    # ``そこでお伺いします。`` stays with the question it announces.
    postnatal = next(p for p in passages if p.heading == "まず、産後ケアについて伺います。")
    assert postnatal.text.endswith("産後ケア事業への補助率を引き上げた狙いについて伺います。")
    outreach = next(p for p in passages if "そこでお伺いします。" in p.text)
    assert outreach.text.endswith("取り組む区市町村をさらにふやしていくべきと考えますが、見解を伺います。")
    assert outreach.heading is None


def test_interjections_of_others_are_removed():
    # Real lines from 連合審査会 (2006) and 社会福祉法人 調査特別委員会 minutes.
    raw = "時間となりましたので（発言する者多し）時間となりましたので終了いたします。"
    assert clean_speech_text(raw) == "時間となりましたので時間となりましたので終了いたします。"
    raw = (
        "宮川さん、大丈夫ですか、体の方は。トイレ休憩でも少ししようか。"
        "（宮川証人「済みません、ちょっと休ませていただけると、ありがたいんですが」と呼ぶ）"
    )
    assert clean_speech_text(raw) == "宮川さん、大丈夫ですか、体の方は。トイレ休憩でも少ししようか。"
    raw = "議場における都旗と国旗掲揚をあわせて採決を行います。（「そんなのおかしいよ。もっと議論すべきじゃないですか」「横暴じゃないか」と呼び、その他発言する者多し）"
    assert clean_speech_text(raw) == "議場における都旗と国旗掲揚をあわせて採決を行います。"
    # Parentheses that are part of the speech stay: 既存（恒久工事あり）.
    assert clean_speech_text("既存（恒久工事あり）に整理した表") == "既存（恒久工事あり）に整理した表"


def test_closing_question_is_not_the_heading_of_the_next_subject():
    # 龍円あいり (2020-02-28): the 特別支援学校 question closes its passage; LGBT spectators come next.
    # Before: the question (short, ``…について、どのように取り組むのか伺います。``) became the heading of the
    # LGBT passage.
    passages = split_passages(clean_speech_text(_speech(3, "二十番（龍円あいり君）")))
    lgbt = next(p for p in passages if "LGBTフレンドリー" in p.text)
    assert lgbt.heading is None
    assert lgbt.text.startswith("話は変わりますが")
    special = next(p for p in passages if "特別支援学校に在籍する子供たちの観戦" in p.text)
    assert special.text.endswith("特別支援学校に在籍する子供たちの観戦について、どのように取り組むのか伺います。")
