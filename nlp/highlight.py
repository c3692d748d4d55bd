"""The strings to mark in evidence for a query: the words search matched, as written.

Search compares Sudachi normalized forms, so a passage can match a query without sharing
its spelling (子ども in the query, 子供 in the minutes), and a query word can match inside
a longer one (IoT in IoTセンサー). Clients cannot see that from the query text: splitting
it into runs of kanji, katakana and latin (what the web page did) misses hiragana words
(ごみ), keeps IoTセンサー as one run that no passage contains, and cuts 見守り to 見守.
These are the query's search tokens with the spellings the query used.
"""

from __future__ import annotations

from sudachipy import SplitMode

from nlp.description import description_tokens
from nlp.tokenizer import MAX_CHUNK_BYTES, Tokenizer, mode_c_tokenizer, tokenize

MAX_TERMS = 30
# Highlighting is for people: a longer query adds nothing to mark but costs a tokenizer pass.
_MAX_QUERY_CHARS = MAX_CHUNK_BYTES // 4


def query_terms(text: str, description: bool = False) -> list[str]:
    """Search tokens of ``text`` of two characters or more (one-character ones such as 病 of
    病児保育 would mark every other sentence) plus their surface forms in ``text``, longest first.
    Tokens without a letter or digit (a run of bidi controls is one) have nothing to show.
    ``description``: a company's description, searched without its sales words (``nlp.description``)."""
    text = text[:_MAX_QUERY_CHARS]
    words = description_tokens(text) if description else tokenize(text)
    tokens = {t for t in words if len(t) >= 2 and any(c.isalnum() for c in t)}
    if not tokens:
        return []
    found = set(tokens)
    morphemes = (m for chunk in Tokenizer.chunks(text) for m in mode_c_tokenizer().tokenize(chunk))
    for morpheme in morphemes:
        units = morpheme.split(SplitMode.A)
        for unit in [morpheme, *(units if len(units) > 1 else ())]:
            surface = unit.surface()
            if unit.normalized_form() in tokens and len(surface) >= 2 and _marks_itself(unit.part_of_speech()):
                found.add(surface)
    return sorted(found, key=lambda t: (-len(t), t))[:MAX_TERMS]


def _marks_itself(pos: tuple[str, ...]) -> bool:
    # A verb's stem as conjugated here (知ら of 知らせる) would mark unrelated words (知らない); its
    # 連用形 is also the noun (見守り, 取組), which the minutes write as the query does.
    return pos[0] not in ("動詞", "形容詞") or pos[5].startswith("連用形")


def excerpt(text: str, terms: list[str], size: int = 80) -> str:
    """``size`` characters of ``text`` (whitespace runs as one space) around the first of ``terms``
    it contains, with … where it was cut: the passage's first lines are often a preamble, and a
    quote that leaves out the matched words does not show why it is evidence. The web page cuts the
    same way (``excerpt`` in ``api/web/app.js``)."""
    flat = " ".join(text.split())
    if len(flat) <= size:
        return flat
    found = [i for i in (flat.find(t) for t in terms if t) if i >= 0]
    at = min(found, default=-1)
    start = 0
    if at > size * 0.6:  # far in: start at the sentence holding it, or a little before it
        stop = flat.rfind("。", 0, at)
        start = stop + 1 if stop >= 0 and at - stop < size / 2 else at - size // 4
        start = max(0, min(start, len(flat) - size))
    return ("…" if start > 0 else "") + flat[start:start + size] + ("…" if start + size < len(flat) else "")
