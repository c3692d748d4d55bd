from nlp.highlight import MAX_TERMS, excerpt, query_terms
from nlp.tokenizer import tokenize


def test_terms_keep_the_spellings_the_query_used_and_the_normalized_ones():
    terms = query_terms("子どもの貧困と病児保育のオンライン予約")
    # 子ども is searched as 子供: both spellings are marked; compounds stay whole.
    assert {"子ども", "子供", "貧困", "病児保育", "オンライン予約", "オンライン", "予約"} <= set(terms)
    # One-character tokens (病 of 病児保育) would mark every other sentence.
    assert "病" not in terms and all(len(t) >= 2 for t in terms)
    assert terms == sorted(terms, key=lambda t: (-len(t), t))  # longest first, for a regex alternation


def test_terms_split_where_search_splits_and_keep_hiragana_words():
    # The kanji/katakana/latin runs of the query were IoTセンサー (in no passage) and 見守 (cut before り).
    assert {"IoT", "センサー", "見守り", "高齢者"} <= set(query_terms("高齢者の見守りにIoTセンサーを使うサービス"))
    assert {"ごみ", "分別", "AI", "チャットボット"} <= set(query_terms("ごみの分別をAIチャットボットで案内するサービス"))
    # Full-width letters as typed, and the form the minutes are searched by.
    assert {"ＬＩＮＥ", "LINE", "電子申請"} <= set(query_terms("ＬＩＮＥで申請できる電子申請"))


def test_terms_are_search_tokens_or_their_surfaces():
    q = "待機児童の解消と保育人材の確保"
    tokens = set(tokenize(q))
    terms = query_terms(q)
    assert "待機児童" in terms and "保育" in terms
    assert all(t in tokens or t in q for t in terms)


def test_nothing_to_mark():
    assert query_terms("") == [] and query_terms("🙂🙂") == [] and query_terms("これは、です。") == []
    assert query_terms("\u202e\u200f") == []  # bidi controls are one search token, with nothing to show


def test_a_long_description_gives_at_most_the_cap():
    text = "、".join(["待機児童", "産後ケア", "病児保育", "医療的ケア児", "ヤングケアラー", "児童虐待", "空き家", "防災",
                     "電子申請", "オンライン予約", "窓口", "キャッシュレス", "マイナンバー", "ごみ", "食品ロス", "観光",
                     "商店街", "公共交通", "自転車", "地域包括ケア", "認知症", "介護人材", "不登校", "いじめ"] * 3)
    terms = query_terms(text)
    assert len(terms) == MAX_TERMS and len(set(terms)) == MAX_TERMS


PASSAGE = ("地域の居場所づくりに関し、私たちからは、子供食堂の推進とともに、高齢者の地域活動との連携も求めてきました。\n"
           "都営住宅は都内各所にあり、集会所などの交流施設が設置されていることから、これらを活用した居場所づくりは、"
           "高齢化や単身化が進む都営住宅の課題解決にもつながります。学童クラブについて伺います。")


def test_excerpt_starts_at_the_sentence_of_the_first_matched_word():
    cut = excerpt(PASSAGE, ["学童クラブ"], 40)
    assert cut.startswith("…") and "学童クラブについて伺います。" in cut
    assert len(cut) == 41  # … and 40 characters: the passage ends inside the window


def test_excerpt_keeps_the_start_when_a_word_is_near_it_and_collapses_whitespace():
    cut = excerpt(PASSAGE, ["居場所", "学童クラブ"], 60)
    assert cut.startswith("地域の居場所") and cut.endswith("…") and len(cut) == 61
    assert "\n" not in excerpt(PASSAGE, [], 500) and excerpt("短い  発言", ["x"], 60) == "短い 発言"


def test_four_byte_characters_and_the_length_cap():
    # 4 bytes each: 9,000 of them and a word are read (SudachiPy takes at most 49,149 bytes at once) ...
    assert query_terms("🙂" * 9_000 + "保育所") == ["保育所", "保育"]
    # ... and words past the first 10,000 characters are not looked for (the API takes 2,000 at most).
    assert query_terms("🙂" * 12_000 + "保育所") == []
