import pytest

from nlp.tokenizer import MAX_CHUNK_BYTES, Tokenizer, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("病児保育の充実", {"病児保育", "保育", "充実"}),
        ("産後ケア事業", {"産後ケア", "産後", "ケア", "事業"}),
        ("医療的ケア児への支援", {"医療的ケア児", "支援"}),
        ("待機児童対策", {"待機児童", "待機", "児童", "対策"}),
        ("新型コロナウイルス", {"新型コロナウイルス", "コロナ"}),
    ],
)
def test_policy_compounds_are_search_units(text, expected):
    assert expected <= set(tokenize(text))


def test_normalized_forms_unify_spellings():
    assert tokenize("子ども") == tokenize("子供") == tokenize("こども") == ["子供"]
    assert "ICT" in tokenize("ＩＣＴ環境")


def test_function_words_are_dropped():
    tokens = tokenize("学童クラブの利用者枠を増やし質の拡充を。")
    assert "の" not in tokens and "を" not in tokens
    assert {"学童クラブ", "利用者", "拡充"} <= set(tokens)


def test_numerals_are_dropped_but_zero_and_childcare_ages_are_words():
    assert tokenize("二〇二〇年十二月") == [] and "35" not in tokenize("三十五人")
    assert "ゼロ" in tokenize("待機児童ゼロ") and tokenize("七つのゼロへ") == ["ゼロ"]
    # 0歳児 written four ways is one search unit, and 三歳児 is 3歳児.
    for text in ("0歳児保育", "０歳児保育", "〇歳児保育", "ゼロ歳児保育"):
        assert {"0歳児", "保育"} <= set(tokenize(text)), text
    assert "3歳児" in tokenize("三歳児健診")
    assert tokenize("ゼロ歳児保育") == tokenize("0歳児保育") == ["0歳児", "保育"]
    assert tokenize("待機児童ゼロ、〇歳児")[-2:] == ["ゼロ", "0歳児"]  # only the compound's own ゼロ goes


def test_text_longer_than_sudachi_limit_is_chunked():
    sentence = "待機児童の解消に向けて保育所の整備を進めるべきです。"
    text = sentence * (3 * MAX_CHUNK_BYTES // len(sentence.encode()))
    assert len(text.encode()) > 49_149
    assert tokenize(text).count("待機児童") == text.count("待機児童")


def test_four_byte_characters_are_chunked_by_their_bytes():
    # Emoji and 𠮷 take 4 bytes: chunks cut as if 3 bytes a character went over SudachiPy's limit.
    text = "🙂" * 20_000 + "保育所の整備を。" + "𠮷野家の前で待機児童の話。" * 5_000
    assert len(text.encode()) > 2 * 49_149
    tokens = tokenize(text)
    assert tokens.count("待機児童") == 5_000 and "保育所" in tokens
    assert all(len(chunk.encode()) <= MAX_CHUNK_BYTES for chunk in Tokenizer.chunks(text))


def test_sick_child_written_apart_still_meets_the_query():
    # Minutes write 「病児、病後児保育」: the 児 suffix alone is dropped, so without 病児 as a unit the
    # query 病児保育 shares only 病 and 保育 with it (a bill summary in the Tokyo demo ranked 275th).
    listed = set(tokenize("病児、病後児保育を実施するため"))
    assert {"病児", "病後児", "病後児保育"} <= listed
    assert "病児" in tokenize("病児保育") and tokenize("病児") == ["病", "病児"]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("高齢者の見守りをセンサーで行い", "見守る"),  # 見/守り here; 見守り alone is the verb 見守る
        ("地域の見守り活動", "見守る"),
        ("ハローワークを通じて", "ハローワーク"),  # ハロー/ワーク before を
        ("放置自転車を撤去", "放置自転車"),
    ],
)
def test_a_compound_is_one_token_whichever_way_the_sentence_splits_it(text, phrase):
    assert phrase in tokenize(text)
    assert phrase in tokenize(phrase.replace("見守る", "見守り"))  # the query side agrees


def test_one_mapping_of_the_dictionary_per_process():
    """Every Dictionary maps the whole ~200 MB system.dic and touches it all; the tokenizer and the topic
    tagger (seed phrases) share one, so a server's RSS holds the file once (it held it twice: +188 MB)."""
    import subprocess
    import sys

    code = (
        "from nlp.tokenizer import tokenize\n"
        "from nlp.topics import default_tagger\n"
        "default_tagger().score_text('病児保育の予約について伺います。')\n"
        "tokenize('待機児童')\n"
        "maps = open('/proc/self/maps').read().splitlines()\n"
        "print(len({line.split()[0] for line in maps if line.endswith('system.dic')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "1"
