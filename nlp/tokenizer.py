"""Search tokens from Japanese text with SudachiPy.

Tokens are Sudachi *normalized forms* (子ども/こども → 子供, ＩＣＴ → ICT) of
content words, at two granularities: the short units (mode A) that give recall
(コロナ matches 新型コロナウイルス) plus the long unit (mode C) when it differs
(待機児童, 新型コロナウイルス). Policy compounds that the dictionary splits
(病児保育 → 病/児/保育) are re-joined from ``compounds.txt`` and emitted as one
extra token, so a query for 病児保育 rewards passages that say exactly that.

The same function tokenizes documents and queries, which is what BM25 needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from sudachipy import Dictionary, SplitMode

# SudachiPy rejects a single input over 49,149 bytes; stay well below it.
MAX_CHUNK_BYTES = 40_000
# Word ids from here up are unknown words (SudachiPy puts the POS id in the low bits).
_OOV_ID_BASE = 0xF000_0000

# Particles that follow or precede a policy phrase in a sentence (see Tokenizer._segmentations).
_CONTEXT_PARTICLES = ("を", "が", "は", "に", "の", "と", "も", "で")
_KEEP_POS = {"名詞", "動詞", "形容詞", "形状詞"}
_DROP_SUBPOS = {"数詞", "非自立可能"}
# Numerals are dropped (二〇二〇, 三十五 say nothing alone), but ゼロ is a policy word: 待機児童ゼロ, 七つのゼロ.
_KEEP_NUMERALS = frozenset({"ゼロ"})
# Other spellings of a numeral unit in compounds.txt phrases: ゼロ歳児 is 0歳児 as 〇歳児 and ０歳児 are.
_NUMERAL_SPELLINGS = {"0": "ゼロ"}
_STOP = frozenset(
    """する ある いる なる れる られる こと もの ため よう これ それ あれ この その ところ とき 等 方 点 上 中 下
    思う 考える 言う いう できる 行う おる 申し上げる 伺う 答える 述べる 求める 及び 並びに 又は 今後 今回 現在
    様 さん 君 皆様 私 我々 私ども 御 ご お 者 的 化 性 年 月 日 度 件 的 所 ため 中 都 知事 見解 質問 答弁 取り組み 取組
    お答え 考え 必要 重要 いただく くださる くれる もらう 参る まいる 致す いたす 存ずる 伺い""".split()
)


def _load_compounds() -> list[str]:
    text = resources.files("nlp").joinpath("compounds.txt").read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def sudachi_dictionary() -> Dictionary:
    """The core dictionary, opened once per process and shared by every tokenizer made from it.

    Each ``Dictionary`` maps the whole 200 MB dictionary file and touches all of it, and every
    mapping counts in full in the process's RSS: with a second one (the topic seeds') the server
    was 188 MB larger, measured.
    """
    return Dictionary(dict="core")


_THREAD = threading.local()


def mode_c_tokenizer():
    """This thread's SudachiPy tokenizer (mode C) over the shared dictionary: Sudachi tokenizers are
    not thread-safe, so each thread has its own, made on first use."""
    tok = getattr(_THREAD, "tok", None)
    if tok is None:
        dictionary = sudachi_dictionary()
        # SudachiPy 0.7 renamed create() to tokenizer(); accept both.
        factory = getattr(dictionary, "tokenizer", None) or dictionary.create
        tok = _THREAD.tok = factory(mode=SplitMode.C)
    return tok


class Tokenizer:
    """Thread-safe: Sudachi tokenizers are not, so each thread gets its own."""

    def __init__(self, compounds: Iterable[str] | None = None):
        self._compounds: dict[tuple[str, ...], str] = {}
        for phrase in compounds if compounds is not None else _load_compounds():
            for parts in self._segmentations(phrase):
                if len(parts) > 1:
                    self._compounds[parts] = self._compounds[_spelled(parts)] = self._normalize_phrase(phrase)
        self._max_compound = max((len(k) for k in self._compounds), default=0)
        self._compound_last_units = frozenset(k[-1] for k in self._compounds)
        self._words: dict[int, tuple] = {}

    def _normalize_phrase(self, phrase: str) -> str:
        return "".join(m.normalized_form() for m in mode_c_tokenizer().tokenize(phrase))

    def _segmentations(self, phrase: str) -> set[tuple[str, ...]]:
        """The short-unit forms of ``phrase`` alone and inside a sentence.

        Context changes Sudachi's split: 見守り alone is the verb 見守る, but 高齢者の見守りを is
        見/守り; ハローワークを is ハロー/ワーク. Every split seen between particles is one key,
        so the phrase token is emitted whichever way the minutes' sentence cut it.
        """
        found = set()
        for before in ("", "の"):
            for after in ("", *_CONTEXT_PARTICLES):
                parts = self._units_between(before + phrase + after, len(before), len(before) + len(phrase))
                if parts:
                    found.add(parts)
        return found

    def _units_between(self, text: str, start: int, end: int) -> tuple[str, ...] | None:
        """Short-unit forms covering text[start:end] exactly; None when a unit crosses either edge."""
        forms = []
        for m in mode_c_tokenizer().tokenize(text):
            for u in m.split(SplitMode.A) or [m]:  # split() is empty for a single short unit
                if u.begin() >= start and u.end() <= end:
                    forms.append(u.normalized_form())
                elif u.begin() < end and u.end() > start:
                    return None
        return tuple(forms)

    @staticmethod
    def chunks(text: str) -> Iterable[str]:
        """Pieces of ``text`` under SudachiPy's input limit, cut at sentence ends."""
        if len(text.encode("utf-8")) <= MAX_CHUNK_BYTES:
            yield text
            return
        # Cut at sentence ends so no word is split. A character is at most 4 bytes in UTF-8 (emoji in a blog
        # post, 𠮷): with 3 assumed, 13,333 characters of emoji were 53,332 bytes and SudachiPy refused them.
        limit = MAX_CHUNK_BYTES // 4
        start = 0
        while start < len(text):
            end = min(len(text), start + limit)
            if end < len(text):
                cut = max(text.rfind("。", start, end), text.rfind("\n", start, end))
                if cut > start:
                    end = cut + 1
            yield text[start:end]
            start = end

    def tokens(self, text: str) -> list[str]:
        out: list[str] = []
        for chunk in self.chunks(text):
            self._tokens_of_chunk(chunk, out)
        return out

    def _keep(self, pos: tuple[str, ...], form: str) -> bool:
        if pos[0] not in _KEEP_POS or (pos[1] in _DROP_SUBPOS and form not in _KEEP_NUMERALS):
            return False
        return form not in _STOP and not (len(form) == 1 and form.isascii())

    def _tokens_of_chunk(self, chunk: str, out: list[str]) -> None:
        units: list[str] = []  # every mode-A normalized form, for compound matching
        cache = self._words
        last_units = self._compound_last_units
        for morpheme in mode_c_tokenizer().tokenize(chunk):
            # The dictionary is fixed, so what a word contributes is computed once per word id;
            # this keeps the per-morpheme Python work close to SudachiPy's own cost.
            wid = morpheme.word_id()
            entry = cache.get(wid)
            if entry is None:
                entry = self._word_entry(morpheme)
                if wid < _OOV_ID_BASE:  # unknown words share ids by POS, so they are not cached
                    cache[wid] = entry
            parts, long_form, keep_long = entry
            if parts:
                for form, keep in parts:
                    units.append(form)
                    if keep:
                        out.append(form)
                    if form in last_units:
                        self._match_compounds(units, out)
                if keep_long and out[-1:] != [long_form]:
                    out.append(long_form)
            else:
                units.append(long_form)
                if keep_long:
                    out.append(long_form)
                if long_form in last_units:
                    self._match_compounds(units, out, skip=long_form)

    def _word_entry(self, morpheme) -> tuple[tuple[tuple[str, bool], ...], str, bool]:
        """(short units as (form, kept) when the word splits in mode A, long form, long form kept)."""
        long_form = morpheme.normalized_form()
        split = morpheme.split(SplitMode.A)
        parts = tuple((u.normalized_form(), self._keep(u.part_of_speech(), u.normalized_form())) for u in split) \
            if len(split) > 1 else ()
        return parts, long_form, self._keep(morpheme.part_of_speech(), long_form)

    def _match_compounds(self, units: list[str], out: list[str], skip: str | None = None) -> None:
        # Check only the windows that end at the newest unit, so each compound is emitted once.
        for size in range(2, min(self._max_compound, len(units)) + 1):
            phrase = self._compounds.get(tuple(units[-size:]))
            if phrase and phrase != skip and (not out or out[-1] != phrase):
                first = units[-size]
                if first in _KEEP_NUMERALS and out[-1:] == [first]:
                    out.pop()  # the compound's own numeral: ゼロ歳児 is an age, not the policy word ゼロ
                out.append(phrase)


def _spelled(parts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_NUMERAL_SPELLINGS.get(p, p) for p in parts)


@lru_cache(maxsize=1)
def default_tokenizer() -> Tokenizer:
    return Tokenizer()


def tokenize(text: str) -> list[str]:
    return default_tokenizer().tokens(text)
