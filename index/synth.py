"""A nationwide-sized corpus for the benchmark, made of real sentences (`gikai bench --statements N`).

The bundled minutes cover one assembly; the engine is meant for ~1,800. To measure it at that
scale, this module recombines the *real* sentences of the bundled corpus (the 東京都議会 minutes in
``data/demo`` and the prefectural utterances in ``data/eval``) into new meetings of the
1,794 real assemblies of ``crawlers/registry/municipalities.csv``, spoken by ~30,000 generated
members (names from surname and given-name pools), dated 2001–2020.

Each meeting has the shape of real minutes: the chair opens it and calls each questioner, a member
asks a question of several paragraphs, the head of the executive answers
(``山田太郎議員の一般質問にお答えいたします。``, so the build links answer to question) and
department heads follow. Question sentences come from members' speeches, answer sentences from
executives' and chair sentences from chairs'. Only the speaker strings, the chair's call of the
next questioner and that first answer line are templates; every other sentence occurs verbatim in
the source minutes.

"Statements" are what the build indexes: passages (:func:`nlp.passages.split_passages` of the
cleaned speech). The generator counts them exactly as the build does while it writes, and stops
at N. Output is deterministic given the seed: the same (seed, batch) always yields the same
meetings in the same order, and a smaller N yields a prefix of a larger one.

Records are written to an ordinary raw store (``source_system="synthetic"``, URLs under
``https://example.invalid/synthetic/``) so nobody mistakes them for a real source.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from crawlers.rawstore import RawStore
from crawlers.records import MeetingRecord, SpeechRecord
from nlp.passages import _CLOSER, _HEADING, _OPENERS, clean_speech_text, split_passages
from nlp.speaker import parse_speaker

ROOT = Path(__file__).resolve().parents[1]
SOURCE_SYSTEM = "synthetic"
URL_BASE = "https://example.invalid/synthetic"
MUNICIPALITIES = ROOT / "crawlers" / "registry" / "municipalities.csv"
TARGET_MEMBERS = 30_000
DEFAULT_DATES = (date(2001, 1, 1), date(2020, 12, 31))

try:  # what the build indexes; read from the build so the count follows it
    from index.analysis import INDEXED_ROLES
except ImportError:  # pragma: no cover - older layout: the constant lived in index.build
    try:
        from index.build import INDEXED_ROLES
    except ImportError:
        INDEXED_ROLES = ("member", "executive", "witness", "chair")


# ---------------------------------------------------------------------------------------------
# Real sentences


def default_sources() -> list[Path]:
    """The in-repo corpus (``data/demo``, ``data/eval``); ``../shared/data`` only when it is missing."""
    shared = ROOT.parent / "shared" / "data"
    sources: list[Path] = []
    demo = ROOT / "data" / "demo"
    if demo.is_dir():
        sources.append(demo)
    elif shared.is_dir():
        sources += [p for p in (shared / "tokyo-2020", shared / "tokyo-committees",
                                shared / "tokyo-extraordinary-2001-2019.json") if p.exists()]
    statements = ROOT / "data" / "eval" / "statements-dev-corpus.jsonl"
    topic = shared / "eval" / "topic-relevance-train.jsonl"
    if statements.exists():
        sources.append(statements)
    elif topic.exists():
        sources.append(topic)
    if not sources:
        raise FileNotFoundError(f"no source minutes: neither {demo} nor {shared} exists")
    return sources


@dataclass(frozen=True)
class SentencePools:
    """Distinct real sentences, by who said them, and the ones that mark a subject."""

    member: tuple[str, ...]
    executive: tuple[str, ...]
    chair: tuple[str, ...]
    member_closers: tuple[str, ...] = ()  # …について伺います。 …を求めます。
    member_openers: tuple[str, ...] = ()  # まず、… 初めに、…
    member_headings: tuple[str, ...] = ()  # 子育て支援について伺います。
    executive_openers: tuple[str, ...] = ()  # 次に、…についてでございますが、…

    @classmethod
    def of(cls, member: tuple[str, ...], executive: tuple[str, ...], chair: tuple[str, ...]) -> SentencePools:
        heading = [s for s in member if len(s) <= 60 and _HEADING.search(s)]
        return cls(
            member, executive, chair,
            member_closers=tuple(s for s in member if _CLOSER.search(s) and s not in heading) or member,
            member_openers=tuple(s for s in member if _OPENERS.match(s)) or member,
            member_headings=tuple(heading) or member,
            executive_openers=tuple(s for s in executive if _OPENERS.match(s)) or executive,
        )

    def all(self) -> set[str]:
        return set(self.member) | set(self.executive) | set(self.chair)


_SENTENCE = re.compile(r"[^。]*。")
_JAPANESE = re.compile(r"[ぁ-んァ-ヴ一-龥]")
# Not sentences a generated speech may reuse: stage text, a call of a real member by seat or name.
_UNUSABLE = re.compile(r"[〔〕（）()「」『』]|番.{0,12}君|君。$|^[、，・]")


def sentences_of(text: str) -> list[str]:
    """Sentences ending in 。 of a speech, as printed (verbatim in ``text``); fragments without 。 are dropped."""
    out = []
    for para in clean_speech_text(text).split("\n"):
        for sentence in _SENTENCE.findall(para.strip().strip("\u3000")):
            sentence = sentence.strip().strip("\u3000")
            if (8 <= len(sentence) <= 300 and _JAPANESE.search(sentence) and not _UNUSABLE.search(sentence)
                    and sentence in text):  # not joined across a removed interjection
                out.append(sentence)
    return out


def _iter_source_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(role kind, text) of every speech or utterance in a PoliInfo JSON file or an utterance JSONL."""
    if path.is_dir():
        for file in sorted(path.glob("**/*.json")) + sorted(path.glob("**/*.jsonl")):
            yield from _iter_source_texts(file)
        return
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    item = json.loads(line)
                    text = item.get("text") or item.get("utterance") or ""
                    yield "member", text  # prefectural members' utterances (PoliInfo Classification)
        return
    for meeting in json.loads(path.read_text(encoding="utf-8")):
        for speech in meeting.get("Proceeding", []):
            raw = speech.get("Speaker")
            kind = parse_speaker(None if raw in (None, "null") else raw).role_kind
            yield kind, speech.get("Utterance") or ""


def load_pools(sources: list[Path] | None = None) -> SentencePools:
    return _load_pools(tuple(str(p) for p in (sources or default_sources())))


@lru_cache(maxsize=4)
def _load_pools(sources: tuple[str, ...]) -> SentencePools:
    pools: dict[str, dict[str, None]] = {"member": {}, "executive": {}, "chair": {}}
    for source in sources:
        for kind, text in _iter_source_texts(Path(source)):
            pool = pools.get(kind)
            if pool is not None:
                pool.update(dict.fromkeys(sentences_of(text)))
    if not all(pools.values()):
        raise ValueError(f"no usable sentences for some speaker kind in {sources}")
    return SentencePools.of(*(tuple(pools[k]) for k in ("member", "executive", "chair")))


# ---------------------------------------------------------------------------------------------
# Assemblies, members, executives

SURNAMES = """佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水
山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 斉藤 福田
太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田 上田 原 柴田 酒井
工藤 横山 宮崎 宮本 内田 高木 安藤 島田 谷口 大野 高田 丸山 今井 河野 藤本 村田 武田 上野 杉山 増田 小山 大塚
平野 菅原 久保 松井 千葉 岩崎 桜井 木下 野口 松尾 菊地 野村 新井 渡部 佐野 杉本 古川 浅野 大西 市川 北村 荒木
松岡 小島 水野 五十嵐 吉川 平田 望月 川口 辻 関 永井 岩田 中西 本田 樋口 大橋 服部 片山 高野 松下 今村 増子 東村
小磯 西沢 米倉 橘 石原 早坂 山内 細田 川上 秋山 白石 大川 須藤 堀 小松 根本 飯田 吉村 星野 宮田 西田 土屋""".split()
GIVEN_NAMES = """太郎 一郎 健一 誠 浩 博 隆 修 茂 進 明 勇 正 清 実 豊 学 剛 徹 亮 大輔 健太 翔太 拓也 直樹 和也 達也
隆之 秀樹 英樹 正人 雅之 信一 康弘 義明 克己 昌弘 俊介 智之 哲也 浩二 裕之 真一 聡 稔 勝 仁 武 晃 光男 幸男 敏夫
花子 恵子 洋子 京子 幸子 久美子 由美子 真由美 陽子 典子 美紀 直美 裕子 智子 明美 恵美 さゆり 愛 舞 彩 香織 美穂
奈緒 麻衣 理恵 千尋 綾 遥 ひろき けいた まさお あきら たかし ひろし まさる みつる さとる ゆうじ しんご けんじ
こうじ よしひろ なおき りょう ゆうこ あけみ みどり ちえ さとみ かおり まり のりこ 百合子 淳 学 良一 正剛 慶翔 邦浩
善彦 利光 弘一 令子 真吾 梨沙子 伸朗 孝 健 功 努 伸也 昭 弘 保 満 悟 優 翼 蓮 陽翔 結衣 美咲""".split()

_KANJI = "〇一二三四五六七八九"


def kanji_number(n: int) -> str:
    """116 → 百十六 (the seat numbers of Tokyo-style minutes)."""
    if n <= 0:
        return "〇"
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        digit, n = divmod(n, value)
        if digit:
            out += ("" if digit == 1 else _KANJI[digit]) + unit
    return out + (_KANJI[n] if n else "")


def _fullwidth(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


@dataclass(frozen=True)
class Assembly:
    code: str
    name: str
    prefecture: str
    head: str  # 知事 / 市長 / 町長 / 村長 / 区長
    members: tuple[str, ...]  # seat i + 1 is members[i]
    executives: tuple[tuple[str, str], ...]  # (title, name); the head first
    style: int  # how the minutes print a member: see seat_speaker
    weight: float  # share of the meetings

    def seat_speaker(self, seat: int) -> str:
        name = self.members[seat - 1]
        if self.style == 0:
            return f"{kanji_number(seat)}番（{name}君）"  # 東京都議会: 百十六番（増子ひろき君）
        if self.style == 1:
            return f"◆{seat}番（{name}議員）"  # discussnet: ◆12番（山田太郎議員）
        return f"○{_fullwidth(seat)}番（{name}君）"  # ○３番（鈴木花子君）

    def call(self, seat: int) -> str:
        """The chair's call of the next questioner: 百十六番増子ひろき君。"""
        name = self.members[seat - 1]
        number = kanji_number(seat) if self.style == 0 else _fullwidth(seat)
        return f"{number}番{name}君。" if self.style != 1 else f"{seat}番、{name}議員。"


_DEPARTMENTS = ("総務部長", "企画政策部長", "財政部長", "市民生活部長", "健康福祉部長", "子ども家庭部長", "環境部長",
                "産業振興部長", "建設部長", "都市整備部長", "上下水道部長", "危機管理監", "消防長", "教育長",
                "教育部長", "病院事業管理者")
_PREF_DEPARTMENTS = ("総務部長", "政策企画局長", "財務局長", "福祉保健局長", "産業労働局長", "環境局長", "都市整備局長",
                     "建設局長", "港湾局長", "危機管理監", "教育長", "警察本部長", "病院経営本部長")


def _read_municipalities(path: Path = MUNICIPALITIES) -> list[tuple[str, str, str | None, int | None]]:
    import csv

    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if row:
                population = int(row[6]) if row[6].strip().isdigit() else None
                rows.append((row[0].strip(), row[1].strip(), row[2].strip() or None, population))
    return rows


def _head(prefecture: str, municipality: str | None) -> str:
    if municipality is None:
        return "知事"
    for suffix, head in (("市", "市長"), ("区", "区長"), ("町", "町長"), ("村", "村長")):
        if municipality.endswith(suffix):
            return head
    return "市長"


@lru_cache(maxsize=4)
def plan_assemblies(seed: int = 0, target_members: int = TARGET_MEMBERS) -> tuple[Assembly, ...]:
    """Every real assembly with a generated roster; seats ∝ population^¼, ~target_members in all.

    Depends only on the seed, never on N: a later batch (the incremental build's 1 %) has the
    same members speaking.
    """
    rng = random.Random(f"gikai-synth/assemblies/{seed}")
    rows = _read_municipalities()
    median = sorted(p for *_, p in rows if p)[len(rows) // 2]
    sizes = [(p or median) ** 0.25 for *_, p in rows]
    scale = target_members / sum(sizes)
    out = []
    for (code, prefecture, municipality, _), size in zip(rows, sizes, strict=True):
        n_members = max(6, min(127, round(size * scale)))
        names: dict[str, None] = {}
        while len(names) < n_members:
            names.setdefault(rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES))
        head = _head(prefecture, municipality)
        titles = [head, f"副{head}"] + rng.sample(_PREF_DEPARTMENTS if municipality is None else _DEPARTMENTS, 8)
        executives = []
        for title in titles:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
            while name in names:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
            executives.append((title, name))
        out.append(Assembly(code=code, name=f"{municipality or prefecture}議会", prefecture=prefecture, head=head,
                            members=tuple(names), executives=tuple(executives), style=rng.randrange(3),
                            weight=float(n_members)))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Meetings

_COMMITTEES = ("総務委員会", "厚生委員会", "文教委員会", "建設委員会", "経済委員会", "環境委員会", "予算特別委員会",
               "決算特別委員会")


def count_passages(speaker: str | None, text: str) -> int:
    """How many passages the build indexes for this speech (mirrors index.build)."""
    if parse_speaker(speaker).role_kind not in INDEXED_ROLES:
        return 0
    cleaned = clean_speech_text(text)
    return len(split_passages(cleaned)) if cleaned else 0


@dataclass
class SynthMeeting:
    record: MeetingRecord
    passages: int
    speakers: set[tuple[str, str]] = field(default_factory=set)  # (assembly, member name) who spoke


class Generator:
    """Meetings from one deterministic random stream (seed, batch)."""

    def __init__(self, pools: SentencePools, assemblies: tuple[Assembly, ...], *, seed: int = 0, batch: int = 0,
                 dates: tuple[date, date] = DEFAULT_DATES):
        self.pools = pools
        self.assemblies = assemblies
        self.seed, self.batch = seed, batch
        self.rng = random.Random(f"gikai-synth/meetings/{seed}/{batch}")
        self.cum_weights = []
        total = 0.0
        for a in assemblies:
            total += a.weight
            self.cum_weights.append(total)
        self.first_day, self.n_days = dates[0], (dates[1] - dates[0]).days + 1
        self._counts: dict[str, int] = {}

    def _paragraph(self, pool: tuple[str, ...], sizes: tuple[int, ...], last: str | None = None) -> str:
        rng = self.rng
        body = "".join(rng.choice(pool) for _ in range(rng.choice(sizes)))
        return body + (last or "")

    def question(self) -> list[str]:
        """Subjects of context paragraphs, each closed by a real question sentence (…伺います。)."""
        rng, pools = self.rng, self.pools
        paragraphs = []
        for i in range(rng.randint(1, 3)):
            if i == 0 and rng.random() < 0.3:
                paragraphs.append(rng.choice(pools.member_openers))
            elif rng.random() < 0.25:
                paragraphs.append(rng.choice(pools.member_headings))
            paragraphs += [self._paragraph(pools.member, (1, 2, 2)) for _ in range(rng.choice((1, 1, 2)))]
            paragraphs.append(self._paragraph(pools.member, (0, 1, 1, 2), rng.choice(pools.member_closers)))
        return paragraphs

    def answer(self) -> list[str]:
        """Subjects opened the way answers open them (まず、…についてでございますが、), then paragraphs."""
        rng, pools = self.rng, self.pools
        paragraphs = []
        for _ in range(rng.randint(1, 3)):
            paragraphs.append(rng.choice(pools.executive_openers) + self._paragraph(pools.executive, (0, 1, 1, 2)))
            paragraphs += [self._paragraph(pools.executive, (1, 2, 2)) for _ in range(rng.choice((0, 1, 1, 2)))]
        return paragraphs

    def speeches(self, assembly: Assembly, committee: str | None) -> Iterator[tuple[str, str]]:
        """(speaker, text) in meeting order."""
        rng, pools = self.rng, self.pools
        seats = range(1, len(assembly.members) + 1)
        chair_seat = rng.choice(seats)
        role = "委員長" if committee else rng.choice(("議長", "議長", "議長", "副議長"))
        chair = f"{role}（{assembly.members[chair_seat - 1]}君）"
        yield chair, "\n".join(self._paragraph(pools.chair, (1, 1, 2)) for _ in range(rng.randint(1, 2)))
        questioners = rng.sample([s for s in seats if s != chair_seat], min(len(seats) - 1, rng.randint(3, 7)))
        kind = "質疑" if committee else rng.choice(("一般質問", "一般質問", "代表質問"))
        for seat in questioners:
            name = assembly.members[seat - 1]
            call = assembly.call(seat)
            yield chair, (self._paragraph(pools.chair, (1, 2)) + "\n" + call) if rng.random() < 0.5 else call
            speaker = f"委員（{name}君）" if committee else assembly.seat_speaker(seat)
            yield speaker, "\n".join(self.question())
            answerers = [assembly.executives[0]] + rng.sample(assembly.executives[1:], rng.randint(0, 3))
            for i, (title, exec_name) in enumerate(answerers):
                paragraphs = self.answer()
                if i == 0:
                    paragraphs.insert(0, f"{name}{'委員' if committee else '議員'}の{kind}にお答えいたします。")
                yield f"{title}（{exec_name}君）", "\n".join(paragraphs)
        yield chair, self._paragraph(pools.chair, (1,))

    def meetings(self, n_statements: int) -> Iterator[SynthMeeting]:
        """Meetings until the build would index exactly ``n_statements`` passages (fewer only if one speech can't be cut)."""
        rng = self.rng
        total = 0
        index = 0
        while total < n_statements:
            assembly = self.assemblies[rng.choices(range(len(self.assemblies)), cum_weights=self.cum_weights)[0]]
            day = self.first_day + timedelta(days=rng.randrange(self.n_days))
            committee = rng.choice(_COMMITTEES) if rng.random() < 0.4 else None
            number = self._counts[assembly.code] = self._counts.get(assembly.code, 0) + 1
            speeches: list[SpeechRecord] = []
            spoke: set[tuple[str, str]] = set()
            passages = 0
            for speaker, text in self.speeches(assembly, committee):
                n = count_passages(speaker, text)
                left = n_statements - total - passages
                if n > left:
                    text, n = _cut(speaker, text, left)
                    if not text:
                        break
                speeches.append(SpeechRecord(order=len(speeches), speaker=speaker, text=text))
                passages += n
                parsed = parse_speaker(speaker)
                if parsed.is_member and parsed.name:
                    spoke.add((assembly.code, parsed.name))
                if total + passages >= n_statements:
                    break
            if not speeches:
                break
            slug = f"{self.seed}-{self.batch}-{index:07d}"
            session = "委員会" if committee else ("臨時会" if rng.random() < 0.05 else "定例会")
            record = MeetingRecord(
                source_system=SOURCE_SYSTEM,
                source_id=f"{URL_BASE}/{assembly.code}/{slug}",
                assembly_code=assembly.code,
                assembly_name=assembly.name,
                prefecture=assembly.prefecture,
                meeting_kind="委員会" if committee else ("臨時会" if session == "臨時会" else "本会議"),
                committee=committee,
                date=day,
                title=f"{day.year}年{assembly.name}{committee or session}会議録（合成 第{number}号）",
                url=f"{URL_BASE}/{assembly.code}/{slug}",
                speeches=speeches,
            )
            total += passages
            index += 1
            yield SynthMeeting(record, passages, spoke)


def _cut(speaker: str, text: str, limit: int) -> tuple[str, int]:
    """Drop paragraphs from the end until the speech yields at most ``limit`` passages."""
    paragraphs = text.split("\n")
    while paragraphs:
        cut = "\n".join(paragraphs)
        n = count_passages(speaker, cut)
        if n <= limit:
            return (cut, n) if n > 0 else ("", 0)
        paragraphs.pop()
    return "", 0


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class SynthSummary:
    statements: int = 0  # passages the build will index
    meetings: int = 0
    speeches: int = 0
    assemblies: int = 0
    members: int = 0  # distinct (assembly, name) who spoke as member or chair
    bytes: int = 0
    seconds: float = 0.0
    raw_dir: str = ""
    seed: int = 0
    batch: int = 0
    sources: list[str] = field(default_factory=list)
    sentences: dict[str, int] = field(default_factory=dict)


def synthesize(
    raw_dir: str | Path,
    n_statements: int,
    *,
    seed: int = 0,
    batch: int = 0,
    dates: tuple[date, date] = DEFAULT_DATES,
    sources: list[Path] | None = None,
    threads: int = 8,
    progress: Callable[[int], None] | None = None,
) -> SynthSummary:
    """Write meetings totalling ``n_statements`` indexed passages into the raw store at ``raw_dir``.

    ``batch`` selects an independent stream of new meetings (batch 1 is the benchmark's
    incremental 1 %); the assemblies and members are the same for every batch of a seed.
    """
    started = time.perf_counter()
    sources = sources or default_sources()
    pools = load_pools(sources)
    generator = Generator(pools, plan_assemblies(seed), seed=seed, batch=batch, dates=dates)
    store = RawStore(raw_dir)
    summary = SynthSummary(raw_dir=str(raw_dir), seed=seed, batch=batch, sources=[str(s) for s in sources],
                           sentences={k: len(getattr(pools, k)) for k in ("member", "executive", "chair")})
    assemblies: set[str] = set()
    members: set[tuple[str, str]] = set()
    # RawStore.put fsyncs each file; threads overlap that wait with generating the next meetings.
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        pending = []
        for meeting in generator.meetings(n_statements):
            pending.append(pool.submit(store.put, meeting.record))
            summary.statements += meeting.passages
            summary.meetings += 1
            summary.speeches += len(meeting.record.speeches)
            assemblies.add(meeting.record.assembly_code)
            members |= meeting.speakers
            if progress:
                progress(meeting.passages)
            if len(pending) >= 4 * threads:
                summary.bytes += sum(f.result().path.stat().st_size for f in pending)
                pending = []
        summary.bytes += sum(f.result().path.stat().st_size for f in pending)
    summary.assemblies = len(assemblies)
    summary.members = len(members)
    summary.seconds = time.perf_counter() - started
    return summary


def expected_members(seed: int = 0) -> int:
    return sum(len(a.members) for a in plan_assemblies(seed))
