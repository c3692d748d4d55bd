import pytest

from nlp.names import display_name, name_key, numeral_to_int


@pytest.mark.parametrize(
    ("raw", "key"),
    [("増子ひろき", "増子ひろき"), ("増子 ひろき", "増子ひろき"), ("増子ひろき君", "増子ひろき"),
     ("もり　　愛", "もり愛"), ("森澤恭子", "森沢恭子"), ("髙橋信博", "高橋信博"), ("ＡＢＣ君", "ABC")],
)
def test_name_key_folds_spacing_honorifics_and_variants(raw, key):
    assert name_key(raw) == key


def test_display_name_keeps_the_printed_characters():
    assert display_name("森澤　恭子君") == "森澤恭子"


@pytest.mark.parametrize(("text", "value"), [("百十六", 116), ("五十四", 54), ("九", 9), ("百", 100),
                                             ("二〇二〇", 2020), ("１２", 12), ("千二百三十四", 1234), ("番", None)])
def test_numeral_to_int(text, value):
    assert numeral_to_int(text) == value
