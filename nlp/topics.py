"""Policy topics: a two-level taxonomy and a tagger that scores how much a passage engages with each.

The taxonomy (``topics.yaml``: 子育て → 病児保育, 行政DX → オンライン予約 …) lists, per topic,
the seed terms council members actually say. :class:`TopicTagger` scores a passage from the tokens
the index build already computed (Sudachi normalized forms, see :mod:`nlp.tokenizer`), so tagging
costs one pass over the tokens, not a second tokenization.

Lexical evidence is calibrated so that *naming* a topic is not *engaging* with it:

* evidence grows with the number of seed hits and the number of different seeds hit;
* it grows with the share of the passage's tokens that belong to the topic's vocabulary, so one
  mention in a 900-character speech about something else stays weak;
* a hit inside an enumeration of short nouns (``福祉、子育て、教育、防災などの都民要求``,
  ``医療・介護・防災``) or an agenda line (``第百十号議案　東京都…条例``) counts a fifth, one in
  a subject heading line (``待機児童について伺います。``, which the build prefixes to every passage
  under it, sometimes stale) about a third;
* one occurrence yields one hit even when several seeds match it (新型コロナウイルス感染症 also
  yields 新型コロナ and 感染症); ``exclude`` phrases cancel hits (高齢者虐待 is not 児童虐待);
* a seed under ``requires`` counts only in a passage that also says another seed of its topic or
  one of the rule's ``context`` words (ホテル is 観光振興 beside 観光客, not in ホテルを避難所に).

Scores are in [0, 1] (``1 - exp(-evidence)``). A parent's score is the max of its children's
scores and the evidence of its own seeds pooled with its children's (a passage touching 待機児童,
学童クラブ and ベビーシッター once each is clearly about 子育て).

Dense similarity hook: the lead adds embedding similarity to topic descriptions later. Compute
``dense = {topic_id: sim}`` with similarities mapped to [0, 1] on the same scale (e.g. clip
``(cos - c_low) / (c_high - c_low)``), then ``combine(lexical, dense, w)``; :func:`combine`
re-applies the parent = max(children) rule.

Example::

    tagger = TopicTagger(load_taxonomy())
    tagger.score_tokens(tokenize(text), text)   # {"childcare.waiting_list": 0.97, "childcare": 0.98, …}
    tagger.topics_for_query("病児保育のオンライン予約システム")
    tagger.explain(text, "childcare.waiting_list")  # the parts of one score

Cost: the tagger is built once (~0.3-0.7 s); tagging the 2,183 passages of the 2020 plenary
takes about a quarter to a third of the time it takes to tokenize them.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from sudachipy import SplitMode

from nlp.tokenizer import mode_c_tokenizer
from nlp.tokenizer import tokenize as default_tokenize

DEFAULT_FILE = "topics.yaml"

# Calibration of lexical evidence (see module docstring). Tuned on the 2020 Tokyo plenary minutes.
ENUM_WEIGHT = 0.2  # a hit inside a list of nouns or an agenda line counts this much
HEADING_WEIGHT = 0.35  # a hit only in a subject heading line (子育て支援について伺います。)
PARENT_SEED_WEIGHT = 0.6  # a parent's own, broader seeds (学校, 予算) weigh less than a child's
W_HITS = 0.25  # per effective seed hit
W_DIVERSITY = 0.4  # per additional distinct seed
W_DENSITY = 0.3  # per hit per DENSITY_TOKENS tokens
DENSITY_TOKENS = 60  # about 150 characters of minutes
W_SHARE = 5.0  # share of the passage's tokens in the topic's vocabulary
MIN_SCORE = 0.05  # scores below this are left out of score_tokens()
QUERY_SEED_MISS = 0.4  # topics_for_query: score = 1 - QUERY_SEED_MISS ** distinct_seeds
SPAN_CACHE_SIZE = 20_000  # tokenized list items / headings kept per tagger
SEQUENCE_GAP = 2  # tokens allowed between the words of a seed matched as a sequence

# Words too common across policy areas to count as topic vocabulary on their own.
_GENERIC = frozenset(
    """支援 対策 事業 推進 制度 充実 強化 整備 施策 確保 活用 利用 体制 計画 システム サービス 東京 都 区市町村
    子供 家庭 地域 社会 問題 課題 防止 向上 促進 実施 相談 情報 環境 施設 提供 運営 管理 人 数 化 型 等 室 所 者""".split()
)


class TaxonomyError(ValueError):
    """A topics file is malformed; the message names the file and the topic id."""


# ── Models ─────────────────────────────────────────────────────────────────────────────────


class SeedContext(BaseModel):
    """Seeds that are the topic only in context: they count in a passage that also says another
    seed of the topic (one not under a ``requires`` rule) or one of ``context``.

    ``unless`` narrows where the rule applies: the seeds are then dropped only from a passage that
    names one of ``unless`` (another event with the same vocabulary). With ``unless`` and no
    ``context`` the seeds count everywhere except beside an ``unless`` phrase without another seed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: list[str] = Field(min_length=1)
    context: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list)


class Topic(BaseModel):
    """One policy topic. ``parent`` is None for a top-level topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")
    label: str = Field(min_length=1)
    parent: str | None = None
    description: str = Field(min_length=1)
    seeds: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    requires: list[SeedContext] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_requires(self) -> Topic:
        for rule in self.requires:
            missing = [s for s in rule.seeds if s not in self.seeds]
            if missing:
                raise ValueError(f"requires names {missing!r}, which are not seeds of the topic")
        return self

    def gated_seeds(self) -> set[str]:
        return {s for rule in self.requires for s in rule.seeds}


class TopicsFile(BaseModel):
    """The schema of ``topics.yaml`` and of a user file."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    topics: list[Topic]


class Taxonomy(BaseModel):
    """Validated two-level hierarchy: unique ids, every parent exists and is top-level."""

    model_config = ConfigDict(frozen=True)

    topics: list[Topic]
    _by_id: dict[str, Topic] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_hierarchy(self) -> Taxonomy:
        by_id: dict[str, Topic] = {}
        for topic in self.topics:
            if topic.id in by_id:
                raise ValueError(f"duplicate topic id {topic.id!r}")
            by_id[topic.id] = topic
        for topic in self.topics:
            if topic.parent is None:
                continue
            parent = by_id.get(topic.parent)
            if parent is None:
                raise ValueError(f"topic {topic.id!r} has unknown parent {topic.parent!r}")
            if parent.parent is not None:
                raise ValueError(
                    f"topic {topic.id!r}: parent {topic.parent!r} is itself a child (two levels only)"
                )
        return self

    def model_post_init(self, __context: object) -> None:
        self._by_id = {t.id: t for t in self.topics}

    def get(self, topic_id: str) -> Topic:
        try:
            return self._by_id[topic_id]
        except KeyError:
            raise KeyError(f"unknown topic {topic_id!r}") from None

    def __getitem__(self, topic_id: str) -> Topic:
        return self.get(topic_id)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self._by_id

    def __iter__(self) -> Iterator[Topic]:  # type: ignore[override]
        return iter(self.topics)

    def __len__(self) -> int:
        return len(self.topics)

    def parents(self) -> list[Topic]:
        return [t for t in self.topics if t.parent is None]

    def children(self, parent_id: str) -> list[Topic]:
        return [t for t in self.topics if t.parent == parent_id]

    def flatten(self) -> list[Topic]:
        """Parents in file order, each followed by its children."""
        out: list[Topic] = []
        for parent in self.parents():
            out.append(parent)
            out.extend(self.children(parent.id))
        return out


# ── Loading ────────────────────────────────────────────────────────────────────────────────


def _read_topics(text: str, source: str) -> list[Topic]:
    try:
        # libyaml's parser when PyYAML has it: the same data, 0.26 s → ~0.03 s for topics.yaml, which
        # every build process and server start reads.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise TaxonomyError(f"{source}: expected a mapping with a 'topics' list")
    try:
        return TopicsFile.model_validate(data).topics
    except ValidationError as exc:
        first = exc.errors()[0]
        where = first["loc"]
        topic_id = None
        if len(where) >= 2 and where[0] == "topics" and isinstance(where[1], int):
            raw = data.get("topics") or []
            if where[1] < len(raw) and isinstance(raw[where[1]], dict):
                topic_id = raw[where[1]].get("id")
        label = f"topic {topic_id!r}" if topic_id else ".".join(map(str, where))
        raise TaxonomyError(f"{source}: {label}: {first['msg']} (at {'.'.join(map(str, where))})") from exc


def load_taxonomy(user_file: str | Path | None = None, base_file: str | Path | None = None) -> Taxonomy:
    """The bundled ``topics.yaml`` (or ``base_file``), merged with ``user_file`` if given.

    A user topic whose id exists replaces the base topic; a new id is added (a new child may
    name a base parent). Errors name the file and the topic id.
    """
    if base_file is None:
        base_source = f"nlp/{DEFAULT_FILE}"
        base_text = resources.files("nlp").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    else:
        base_source = str(base_file)
        base_text = Path(base_file).read_text(encoding="utf-8")
    merged: dict[str, Topic] = {}
    source_of: dict[str, str] = {}
    files = [(base_source, base_text)]
    if user_file is not None:
        files.append((str(user_file), Path(user_file).read_text(encoding="utf-8")))
    for source, text in files:
        seen: set[str] = set()
        for topic in _read_topics(text, source):
            if topic.id in seen:
                raise TaxonomyError(f"{source}: topic {topic.id!r} is defined twice")
            seen.add(topic.id)
            merged[topic.id] = topic  # dict keeps the base position of an overridden id
            source_of[topic.id] = source
    for topic in merged.values():
        if topic.parent is None:
            continue
        parent = merged.get(topic.parent)
        if parent is None:
            raise TaxonomyError(
                f"{source_of[topic.id]}: topic {topic.id!r} has unknown parent {topic.parent!r}"
            )
        if parent.parent is not None:
            raise TaxonomyError(
                f"{source_of[topic.id]}: topic {topic.id!r} has parent {topic.parent!r}, which is itself a child"
            )
    for topic in merged.values():  # a user file may turn a parent into a child: orphans its children
        if topic.parent is None:
            continue
        if merged[topic.parent].parent is not None:
            raise TaxonomyError(
                f"{source_of[topic.parent]}: topic {topic.parent!r} has children and cannot have a parent"
            )
    try:
        return Taxonomy(topics=list(merged.values()))
    except ValidationError as exc:  # unreachable after the checks above, kept as a guard
        raise TaxonomyError(f"{user_file or base_source}: {exc.errors()[0]['msg']}") from exc


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()


# ── Enumerations: naming a topic in a list is not engaging with it ─────────────────────────

_SENTENCE_END = re.compile(r"[。！？!?\n]")
_COMMA = re.compile(r"[、，,]")
_MAX_ITEM_CHARS = 15
_KANJI = re.compile(r"[一-龥々]")
# Agenda and title lines: 第百十号議案　東京都…条例, 請願二第五号, 陳情.
_TITLE_LINE = re.compile(
    r"(第[一二三四五六七八九十百千〇0-9０-９]+号議案|号議案|条例の一部を改正する条例|に関する条例$|請願|陳情|^[（(][一二三四五六七八九十0-9０-９]+[）)])"
)


class _Sudachi:
    """Sudachi mode C for the whole-phrase normalized form and the short units of a seed."""

    def normalized(self, phrase: str) -> str:
        """The phrase as one token, as nlp.tokenizer joins a compound: 病児保育, 苛め."""
        return "".join(m.normalized_form() for m in mode_c_tokenizer().tokenize(phrase))

    def units(self, phrase: str) -> list[str]:
        return [
            u.normalized_form() for m in mode_c_tokenizer().tokenize(phrase) for u in (m.split(SplitMode.A) or [m])
        ]


_SUDACHI = _Sudachi()


# Hiragana inside policy nouns, so 子育て、介護、ごみ減量 reads as a list of nouns.
_HIRAGANA_NOUNS = re.compile(
    "子育て|子ども|こども|いじめ|ごみ|ひとり親|ひきこもり|まちづくり|街づくり|ふるさと|くらし|暮らし|見守り|住まい|"
    "取り組み|取組み|働き方|学び|生きがい|支え合い|お年寄り|がん|たばこ|ゆりかご|にぎわい|みどり|つながり|ひとり"
)
_WORD_CHARS = "一-龥々〆ヵヶァ-ヴーA-Za-zＡ-Ｚａ-ｚ0-9０-９"
_NOUN_CHARS = _WORD_CHARS + "・％%"
# An item may be two nouns joined by の: 水素社会の実現、プラスチック対策、再生可能エネルギー、外堀の水質改善.
_PURE_NOUN = re.compile(f"[{_NOUN_CHARS}]{{1,{_MAX_ITEM_CHARS}}}(?:の[{_NOUN_CHARS}]{{1,{_MAX_ITEM_CHARS}}})?")
# 医療・介護・防災: three or more short nouns joined by ・ (at least two with kanji, so that
# ライフ・ワーク・バランス stays one word).
_DOT_LIST = re.compile(f"[{_WORD_CHARS}]{{1,12}}(?:・[{_WORD_CHARS}]{{1,12}}){{2,}}")
# Sentence adverbs that are nouns but never list items: 一方、昨年、都は、…
_NOT_ITEMS = frozenset(
    "一方 他方 昨年 今年 本年 今年度 本年度 来年度 昨年度 現在 今後 従来 同時 当時 特に 例年 先日 先般 以上 結果 実際 本来 将来 最後 最初 次 第一 第二 第三".split()
)
_TRAILING_NOUN = re.compile(f"(?:[{_NOUN_CHARS}]{{1,{_MAX_ITEM_CHARS}}}の)?[{_NOUN_CHARS}]{{1,{_MAX_ITEM_CHARS}}}$")
_LEADING_NOUN = re.compile(f"^[{_NOUN_CHARS}]{{1,{_MAX_ITEM_CHARS}}}")


def _as_nouns(segment: str) -> str:
    """Mask hiragana nouns with a kanji placeholder so character classes can judge a segment."""
    return _HIRAGANA_NOUNS.sub(lambda m: "■" * len(m.group(0)), segment).replace("■", "名")


def enumeration_items(text: str) -> list[str]:
    """The items of noun lists in ``text``: ``福祉、子育て、教育、防災などの`` → [福祉, 子育て, 教育, 防災].

    A list is three or more items: short pure-noun segments between commas, plus the trailing
    nouns of the segment before them and the leading nouns of the segment after them; or three
    or more short words joined by ・; or a whole agenda/title line. Character classes, not a
    parser: a segment is a noun when it is kanji/katakana/alphanumerics (plus known hiragana
    nouns such as 子育て); 一方、 or 昨年、 alone never make a list of three.
    """
    items: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and "。" not in stripped and _TITLE_LINE.search(stripped):
            items.append(stripped)
            continue
        for sentence in _SENTENCE_END.split(line):
            for match in _DOT_LIST.finditer(sentence):
                parts = match.group(0).split("・")
                if sum(1 for p in parts if _KANJI.search(p)) >= 2:
                    items.extend(parts)
            if sentence.count("、") + sentence.count("，") + sentence.count(",") >= 2:
                items.extend(_comma_list_items([seg.strip() for seg in _COMMA.split(sentence)]))
    return items


_HEADING_LINE = re.compile(
    r"(について|に関して|に関する|についての)[^。]{0,20}。?$|^(まず|次に|最後に|初めに|はじめに|続いて)[、，]"
)


def heading_lines(text: str) -> list[str]:
    """Short subject lines (``待機児童について伺います。``): they name the subject of what follows,
    and the build prefixes the passage heading, which can be a stale one from a previous question."""
    return [
        line
        for line in (ln.strip() for ln in text.split("\n"))
        if line and len(line) <= 60 and line.count("。") <= 1 and _HEADING_LINE.search(line)
    ]


def mention_spans(text: str) -> tuple[list[str], list[str]]:
    """(enumeration items, heading lines): where a topic is named rather than discussed."""
    return enumeration_items(text), heading_lines(text)


def _comma_list_items(segments: list[str]) -> list[str]:
    # Masking keeps lengths, so a segment longer than an item can never be one: most segments of
    # a sentence are, and skipping their regex work is most of this function's time in a build.
    pure = [
        len(seg) <= _MAX_ITEM_CHARS and bool(_PURE_NOUN.fullmatch(_as_nouns(seg))) and seg not in _NOT_ITEMS
        for seg in segments
    ]
    if not any(pure):
        return []
    out: list[str] = []
    i = 0
    while i < len(segments):
        if not pure[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(segments) and pure[j + 1]:
            j += 1
        members = segments[i : j + 1]
        if i > 0 and (m := _TRAILING_NOUN.search(_as_nouns(segments[i - 1]))):
            members = [segments[i - 1][m.start() :], *members]
        if j + 1 < len(segments) and (m := _LEADING_NOUN.match(_as_nouns(segments[j + 1]))):
            members = [*members, segments[j + 1][: m.end()]]
        if len(members) >= 3:
            out.extend(members)
        i = j + 1
    return out


# ── Tagger ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Seed:
    text: str
    key: tuple[str, ...]  # one token (the phrase is a search unit) or a word sequence
    weight: float = 1.0

    def count(self, tokens: list[str], positions: dict[str, list[int]]) -> int:
        first = positions.get(self.key[0])
        if not first:
            return 0
        if len(self.key) == 1:
            return len(first)
        for word in self.key[1:]:
            if word not in positions:  # most sequence seeds stop here: a word is missing
                return 0
        hits = 0
        for start in first:
            pos = start
            for word in self.key[1:]:
                window = tokens[pos + 1 : pos + 2 + SEQUENCE_GAP]
                if word not in window:
                    break
                pos = pos + 1 + window.index(word)
            else:
                hits += 1
        return hits


@dataclass(frozen=True)
class _Matcher:
    """The seeds of one topic (a parent: pooled with its children's), indexed by first token."""

    seeds: tuple[_Seed, ...]
    by_first: dict[str, tuple[int, ...]]
    # seed index → the shortest seeds containing it: one 待機児童ゼロ also yields 待機児童, and one
    # 新型コロナウイルス感染症 yields コロナ, 新型コロナ, 感染症 …; count each occurrence once.
    nested_in: dict[int, tuple[int, ...]]
    excludes: tuple[tuple[_Seed, frozenset[int]], ...]  # exclude phrase, indexes of seeds sharing a word
    vocab: frozenset[str]  # tokens that count towards the topic's share of the passage
    # ``requires`` rules: (seeds that need context, the topic's other seeds, context phrases,
    # unless phrases); see SeedContext
    gates: tuple[tuple[frozenset[int], frozenset[int], tuple[_Seed, ...], tuple[_Seed, ...]], ...] = ()

    def hits(self, tokens: list[str], positions: dict[str, list[int]], gated: bool = True) -> dict[int, int]:
        """Occurrences per seed index: nested seeds counted once, exclude phrases applied and,
        unless ``gated`` is False, seeds under ``requires`` dropped when their context is missing."""
        small, large = (
            (positions, self.by_first) if len(positions) < len(self.by_first) else (self.by_first, positions)
        )
        ids = [i for token in small if token in large for i in self.by_first[token]]
        return self.hits_of(ids, tokens, positions, gated)

    def hits_of(
        self, seed_ids: list[int], tokens: list[str], positions: dict[str, list[int]], gated: bool = True
    ) -> dict[int, int]:
        """``hits`` for seeds already known to start with a token of the passage."""
        found: dict[int, int] = {}
        seeds = self.seeds
        for i in seed_ids:
            seed = seeds[i]
            # A one-token seed's count is its number of positions (the caller found it there).
            c = len(positions[seed.key[0]]) if len(seed.key) == 1 else seed.count(tokens, positions)
            if c:
                found[i] = c
        if not found:
            return found
        raw = dict(found)
        for i in raw:
            outer = self.nested_in.get(i)
            if outer:
                found[i] = max(0, raw[i] - sum(raw.get(j, 0) for j in outer))
        for phrase, inside in self.excludes:
            cancel = phrase.count(tokens, positions)
            if cancel:
                for i in inside & found.keys():
                    found[i] = max(0, found[i] - cancel)
        out = {i: c for i, c in found.items() if c > 0}
        if gated:
            for needs, others, context, unless in self.gates:
                if (
                    needs & out.keys()
                    and not others & out.keys()
                    and not any(phrase.count(tokens, positions) for phrase in context)
                    and (not unless or any(phrase.count(tokens, positions) for phrase in unless))
                ):
                    for i in needs:
                        out.pop(i, None)
        return out

    def vocab_hits(self, positions: dict[str, list[int]]) -> int:
        return sum(len(positions[t]) for t in positions.keys() & self.vocab)


@dataclass(frozen=True)
class Evidence:
    """The parts of a lexical topic score; ``score = 1 - exp(-z)``."""

    seeds: dict[str, float]  # seed → effective hits (a hit only named in a list/heading counts less)
    engaged: int  # distinct seeds used in the passage's own sentences
    share: float  # topic vocabulary tokens / all tokens, named-only tokens discounted
    density: float  # effective hits per DENSITY_TOKENS tokens
    z: float
    score: float


def _strength(
    matcher: _Matcher,
    hits: dict[int, int],
    positions: dict[str, list[int]],
    n_tokens: int,
    weak: list[tuple[list[str], dict[str, list[int]]]],
) -> tuple[dict[int, float], int, float, float, float]:
    """(effective hits per seed, distinct seeds engaged, share, density, z) of one topic."""
    n = max(n_tokens, 1)
    counts = {i: float(c) for i, c in hits.items()}
    left = dict(hits)  # hits said in the passage's own sentences
    vocab = float(matcher.vocab_hits(positions))
    for weight, (mention_tokens, mention_positions) in zip((ENUM_WEIGHT, HEADING_WEIGHT), weak, strict=True):
        if not mention_tokens:
            continue
        vocab -= min(vocab, matcher.vocab_hits(mention_positions)) * (1.0 - weight)
        for i, c in matcher.hits(mention_tokens, mention_positions, gated=False).items():
            named = min(c, left.get(i, 0))
            if named:
                counts[i] -= named * (1.0 - weight)
                left[i] -= named
    seeds = matcher.seeds
    h = sum(c * seeds[i].weight for i, c in counts.items())
    engaged = sum(1 for c in left.values() if c > 0)
    share = vocab / n * (1.0 if engaged else ENUM_WEIGHT)  # only named: its context words count less too
    density = h / max(1.0, n / DENSITY_TOKENS)
    z = W_HITS * h + W_DIVERSITY * max(0, engaged - 1) + W_DENSITY * density + W_SHARE * share
    return counts, engaged, share, density, z


def _evidence(
    matcher: _Matcher,
    hits: dict[int, int],
    positions: dict[str, list[int]],
    n_tokens: int,
    weak: list[tuple[list[str], dict[str, list[int]]]],
) -> Evidence:
    counts, engaged, share, density, z = _strength(matcher, hits, positions, n_tokens, weak)
    seeds = {matcher.seeds[i].text: round(c * matcher.seeds[i].weight, 3) for i, c in counts.items()}
    return Evidence(seeds, engaged, round(share, 4), round(density, 4), round(z, 4), 1.0 - math.exp(-z))


def _seed_key(phrase: str, tokenize: Callable[[str], list[str]]) -> tuple[str, ...]:
    """One token when the phrase is a search unit (a long unit or a compounds.txt entry), else
    the sequence of its short-unit words that the tokenizer keeps."""
    tokens = tokenize(phrase)
    if not tokens:
        return ()
    full = _SUDACHI.normalized(phrase)
    if full in tokens:
        return (full,)
    kept = set(tokens)
    words = tuple(u for u in _SUDACHI.units(phrase) if u in kept)
    return words or (max(tokens, key=len),)


class TopicTagger:
    """Scores passages and queries against a taxonomy. Build once (≈0.3 s); safe across threads."""

    def __init__(
        self, taxonomy: Taxonomy | None = None, tokenize: Callable[[str], list[str]] = default_tokenize
    ):
        self.taxonomy = taxonomy or default_taxonomy()
        self._tokenize = tokenize
        self._span_cache: dict[str, list[str]] = {}
        self._phrase_tokens: dict[str, tuple[list[str], dict[str, list[int]]]] = {}
        self._keys: dict[str, tuple[str, ...]] = {}
        #: (topic id, seed) pairs that produce no search token (e.g. a bare number); they never match.
        self.unmatched_seeds = [(t.id, s) for t in self.taxonomy for s in t.seeds if not self._key(s)]
        # A seed word is topic vocabulary unless it is generic or used by seeds of 3+ parent families.
        families: dict[str, set[str]] = defaultdict(set)
        for topic in self.taxonomy:
            for seed in topic.seeds:
                for token in tokenize(seed):
                    families[token].add(topic.parent or topic.id)
        self._shared = frozenset(t for t, fams in families.items() if len(fams) > 2) | _GENERIC
        self._children = {p.id: [c.id for c in self.taxonomy.children(p.id)] for p in self.taxonomy.parents()}
        self._is_parent = {t.id: t.parent is None for t in self.taxonomy}
        self._parent_of = {c: p for p, kids in self._children.items() for c in kids}
        # Passages: a parent pools its own seeds with its children's. Queries: own seeds only.
        self._pooled = {
            t.id: self._matcher([t, *self.taxonomy.children(t.id)] if t.parent is None else [t])
            for t in self.taxonomy
        }
        self._own = {t.id: self._matcher([t]) for t in self.taxonomy}
        self._by_first: dict[str, set[str]] = defaultdict(set)  # first seed token → topics to visit
        index: dict[str, list[tuple[str, tuple[int, ...]]]] = defaultdict(list)
        for topic_id, matcher in self._pooled.items():
            for token, seed_ids in matcher.by_first.items():
                self._by_first[token].add(topic_id)
                index[token].append((topic_id, seed_ids))
        self._seed_index = {t: tuple(v) for t, v in index.items()}  # first token → (topic, its seeds)

    def _key(self, phrase: str) -> tuple[str, ...]:
        if phrase not in self._keys:
            self._keys[phrase] = _seed_key(phrase, self._tokenize)
        return self._keys[phrase]

    def _matcher(self, topics: list[Topic]) -> _Matcher:
        seeds: dict[tuple[str, ...], _Seed] = {}
        for topic in topics:
            for phrase in topic.seeds:
                key = self._key(phrase)
                if key and key not in seeds:
                    weight = PARENT_SEED_WEIGHT if topic.parent is None else 1.0
                    seeds[key] = _Seed(phrase, key, weight)
        seed_list = tuple(seeds.values())
        nested_in = self._nesting(seed_list)
        by_first: dict[str, list[int]] = defaultdict(list)
        for i, seed in enumerate(seed_list):
            by_first[seed.key[0]].append(i)
        excludes = []
        for topic in topics:
            for phrase in topic.exclude:
                words = set(self._tokenize(phrase))
                inside = frozenset(i for i, seed in enumerate(seed_list) if set(seed.key) & words)
                if self._key(phrase) and inside:
                    excludes.append((_Seed(phrase, self._key(phrase)), inside))
        vocab = {s.key[0] for s in seed_list if len(s.key) == 1}
        for topic in topics:
            for phrase in topic.seeds:
                vocab.update(t for t in self._tokenize(phrase) if t not in self._shared)
        by_first_t = {k: tuple(v) for k, v in by_first.items()}
        return _Matcher(
            seed_list, by_first_t, nested_in, tuple(excludes), frozenset(vocab), self._gates(topics, seeds)
        )

    def _gates(
        self, topics: list[Topic], seeds: dict[tuple[str, ...], _Seed]
    ) -> tuple[tuple[frozenset[int], frozenset[int], tuple[_Seed, ...], tuple[_Seed, ...]], ...]:
        """The ``requires`` rules of ``topics`` as seed indexes. A seed that another topic of the
        pool (a parent pooling its children) lists without a rule stays ungated."""
        index = {key: i for i, key in enumerate(seeds)}
        free = {self._key(p) for t in topics for p in t.seeds if p not in t.gated_seeds()}
        gates = []
        for topic in topics:
            gated = topic.gated_seeds()
            others = frozenset(
                index[k] for p in topic.seeds if p not in gated and (k := self._key(p)) in index
            )
            for rule in topic.requires:
                needs = frozenset(
                    index[k] for p in rule.seeds if (k := self._key(p)) in index and k not in free
                )
                context = tuple(_Seed(p, self._key(p)) for p in rule.context if self._key(p))
                unless = tuple(_Seed(p, self._key(p)) for p in rule.unless if self._key(p))
                # An unless list that yields no search token (a bare number) can never be met; without
                # this check the rule would silently become a plain requires and drop its seeds everywhere.
                if needs and (unless or not rule.unless):
                    gates.append((needs, others, context, unless))
        return tuple(gates)

    def _seed_tokens(self, phrase: str) -> tuple[list[str], dict[str, list[int]]]:
        if phrase not in self._phrase_tokens:
            tokens = self._tokenize(phrase)
            self._phrase_tokens[phrase] = (tokens, _positions(tokens))
        return self._phrase_tokens[phrase]

    def _nesting(self, seeds: tuple[_Seed, ...]) -> dict[int, tuple[int, ...]]:
        """Seed index → the longer seeds whose every occurrence also yields it, as the tokenizer
        says (新型コロナウイルス感染症 yields 新型コロナ and 感染症). Of two such containers where one
        yields the other (待機児童対策 inside 待機児童対策協議会), only the inner one is kept, so
        that subtracting their hits removes each occurrence once."""
        # A seed can only occur in a phrase holding its first token: look those up instead of
        # trying every pair (186 matchers of up to a few hundred seeds each at every start).
        starting: dict[str, list[int]] = defaultdict(list)
        for i, inner in enumerate(seeds):
            starting[inner.key[0]].append(i)
        yields = set()
        for j, outer in enumerate(seeds):
            tokens, positions = self._seed_tokens(outer.text)
            for token in positions:
                for i in starting.get(token, ()):
                    if i != j and seeds[i].count(tokens, positions):
                        yields.add((i, j))
        containers: dict[int, list[int]] = defaultdict(list)
        for i, j in yields:
            # Two seeds yielding each other (病児保育, 病児保育室 matched as 病…保育) are one occurrence:
            # count it for the shorter phrase.
            if (j, i) not in yields or (len(seeds[i].text), i) > (len(seeds[j].text), j):
                containers[i].append(j)
        nested: dict[int, tuple[int, ...]] = {}
        for i, outer in containers.items():
            inside_other = {
                k
                for k in outer
                for j in outer
                if j != k and seeds[j].count(*self._seed_tokens(seeds[k].text))
            }
            nested[i] = tuple(k for k in outer if k not in inside_other)
        return nested

    def _candidates(self, positions: dict[str, list[int]]) -> set[str]:
        out: set[str] = set()
        for token in positions:
            out |= self._by_first.get(token, set())
        return out

    # -- passages ---------------------------------------------------------------------------

    def score_tokens(self, tokens: list[str], text: str) -> dict[str, float]:
        """Topic scores in [0, 1] for a passage, from its tokens (``tokenize(text)``) and its text.

        ``text`` is only read for enumerations and heading lines. Topics scoring below
        ``MIN_SCORE`` are left out; a parent scores max(children, pooled own evidence).
        """
        positions = _positions(tokens)
        weak: list[tuple[list[str], dict[str, list[int]]]] | None = None
        scores: dict[str, float] = {}
        # One pass over the passage's distinct tokens finds every topic's candidate seeds.
        candidates: dict[str, list[int]] = {}
        index = self._seed_index
        for token in positions:
            for topic_id, seeds in index.get(token, ()):
                if topic_id in candidates:
                    candidates[topic_id].extend(seeds)
                else:
                    candidates[topic_id] = list(seeds)
        for topic_id, seed_ids in candidates.items():
            matcher = self._pooled[topic_id]
            hits = matcher.hits_of(seed_ids, tokens, positions)
            if not hits:
                continue
            if weak is None:  # parse lists and headings once per passage, only when some topic is hit
                weak = [self._mentions(spans) for spans in mention_spans(text)]
            # Only the score: the per-seed detail of explain() would cost a build a fifth of tagging.
            scores[topic_id] = 1.0 - math.exp(-_strength(matcher, hits, positions, len(tokens), weak)[4])
        return _finish_from_leaves(scores, self._parent_of)

    def explain(self, text: str, topic_id: str) -> Evidence:
        """Why ``topic_id`` scores what it does on ``text`` (before the parent = max rule)."""
        tokens = self._tokenize(text)
        positions = _positions(tokens)
        matcher = self._pooled[topic_id]
        weak = [self._mentions(spans) for spans in mention_spans(text)]
        return _evidence(matcher, matcher.hits(tokens, positions), positions, len(tokens), weak)

    def _mentions(self, spans: list[str]) -> tuple[list[str], dict[str, list[int]]]:
        tokens: list[str] = []
        for span in spans:
            tokens.extend(self._span_tokens(span))
        return tokens, _positions(tokens)

    def _span_tokens(self, span: str) -> list[str]:
        # List items and headings repeat across passages (the build prefixes a heading to each
        # passage under it), so a small cache saves most of the extra Sudachi calls.
        cached = self._span_cache.get(span)
        if cached is None:
            cached = self._tokenize(span)
            if len(self._span_cache) >= SPAN_CACHE_SIZE:
                self._span_cache.clear()
            self._span_cache[span] = cached
        return cached

    def score_text(self, text: str) -> dict[str, float]:
        """Tokenize and score; for callers without tokens at hand."""
        return self.score_tokens(self._tokenize(text), text)

    # -- queries ----------------------------------------------------------------------------

    def topics_for_query(self, text: str, include_parents: bool = False) -> list[tuple[str, float]]:
        """Topics of a short query or solution description, best first.

        Any seed hit counts (no enumeration or length damping), except one said only inside another
        topic's longer seed: score = 1 - 0.4 ** distinct seeds. By default only the most specific topics: a parent appears only when its own seeds hit
        and none of its children do. ``include_parents=True`` adds every parent, scored
        max(children, own seeds).
        """
        tokens = self._tokenize(text)
        positions = _positions(tokens)
        # A description names what it is about: ホテル in one is the hotel trade, no context needed.
        hits = {topic_id: self._own[topic_id].hits(tokens, positions, gated=False)
                for topic_id in self._candidates(positions)}
        said = [(topic_id, self._own[topic_id].seeds[i].text, c) for topic_id, h in hits.items() for i, c in h.items()]
        raw: dict[str, float] = {}
        for topic_id, seed_hits in hits.items():
            seeds = self._own[topic_id].seeds
            # A seed said only inside another topic's longer seed is that topic's word: 医療 of
            # 医療的ケア児 is not 医療・保健, 医療費 of 子ども医療費助成 is the child subsidy.
            distinct = sum(
                1 for i, c in seed_hits.items()
                if c > sum(n for other, longer, n in said
                           if other != topic_id and longer != seeds[i].text and seeds[i].text in longer)
            )
            if distinct:
                raw[topic_id] = 1.0 - QUERY_SEED_MISS**distinct
        if include_parents:
            out = _finish(raw, self._children)
        else:
            out = {
                t: s
                for t, s in raw.items()
                if not self._is_parent[t] or not any(c in raw for c in self._children[t])
            }
        return sorted(out.items(), key=lambda kv: (-kv[1], self._is_parent[kv[0]], kv[0]))


def _positions(tokens: list[str]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        at = positions.get(token)
        if at is None:
            positions[token] = [i]
        else:
            at.append(i)
    return positions


def _finish(scores: dict[str, float], children: dict[str, list[str]]) -> dict[str, float]:
    """Parent = max(own pooled evidence, children); drop scores below MIN_SCORE."""
    out = dict(scores)
    for parent, kids in children.items():
        best = max([out.get(parent, 0.0)] + [out.get(k, 0.0) for k in kids])
        if best > 0:
            out[parent] = best
    return {t: round(s, 4) for t, s in out.items() if s >= MIN_SCORE}


def _finish_from_leaves(scores: dict[str, float], parent_of: dict[str, str]) -> dict[str, float]:
    """``_finish`` walking only the scored topics' parents (the hierarchy has two levels), not
    every parent of the taxonomy: it runs once per passage in a build."""
    out = dict(scores)
    for topic_id, score in scores.items():
        parent = parent_of.get(topic_id)
        if parent is not None and score > out.get(parent, 0.0):
            out[parent] = score
    return {t: round(s, 4) for t, s in out.items() if s >= MIN_SCORE}


def combine(
    lexical: dict[str, float], dense: dict[str, float], w: float, taxonomy: Taxonomy | None = None
) -> dict[str, float]:
    """Blend lexical and dense topic scores: ``(1 - w) * lexical + w * dense`` per topic.

    ``dense`` must already be on a [0, 1] scale. With ``taxonomy`` the parent = max(children)
    rule is re-applied after blending.
    """
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"w must be in [0, 1], got {w}")
    ids = set(lexical) | set(dense)
    out = {t: (1.0 - w) * lexical.get(t, 0.0) + w * dense.get(t, 0.0) for t in ids}
    if taxonomy is not None:
        children = {p.id: [c.id for c in taxonomy.children(p.id)] for p in taxonomy.parents()}
        out = _finish(out, children)
    return out


@lru_cache(maxsize=1)
def default_tagger() -> TopicTagger:
    """The tagger over the bundled taxonomy, built once per process."""
    return TopicTagger(default_taxonomy())
