from nlp.description import SALES_WORDS, description_tokens
from nlp.tokenizer import tokenize


def test_a_sales_text_searches_with_its_need_not_its_customer():
    text = "当社は自治体向けに、病児保育の空き状況を確認して予約できるサービスを提供しています。"
    tokens = description_tokens(text)
    assert {"病児保育", "予約", "空く", "状況", "サービス"} <= set(tokens)
    assert not {"当社", "自治体", "自治", "体", "向け", "提供"} & set(tokens)
    assert {"当社", "自治体", "提供"} <= set(tokenize(text)) and SALES_WORDS & set(tokenize(text))


def test_a_short_description_keeps_every_word():
    # Without 自治体 only チャットボット would be left: too little to search a need with.
    assert description_tokens("自治体向けチャットボット") == tokenize("自治体向けチャットボット")
    assert description_tokens("待機児童") == ["待機", "児童", "待機児童"]
