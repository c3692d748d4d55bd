"""The per-meeting work of a build, run in worker processes.

A worker reads raw meeting files and returns everything the index needs from them
as Arrow tables: meeting, speech and passage rows, each passage's term counts,
topic scores and vector. Nothing here depends on the rest of the corpus, which is
what makes the build parallel and incremental: a meeting analysed once is never
analysed again until it changes.

Two things do depend on the corpus and are left to the main process: which
committee surname (西沢委員) is which full-named member, and BM25's document
frequencies (summed from the term counts by DuckDB).
"""

from __future__ import annotations

import gc
import hashlib
import math
import os
import sys
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
from pydantic import ValidationError

from crawlers.rawstore import RawStoreError
from crawlers.records import MeetingRecord
from nlp.names import name_key
from nlp.passages import answered_member, clean_speech_text, is_roll_call, split_passages
from nlp.speaker import parse_speaker

INDEXED_ROLES = ("member", "executive", "witness", "chair")
TOPIC_LINK_MIN = 0.2
DEFAULT_MODEL = "default"  # the offline chiVe model built by `make setup`

SPEECH_SCHEMA = pa.schema([
    ("speech_id", pa.string()), ("meeting_id", pa.string()), ("ord", pa.int32()), ("speaker_raw", pa.string()),
    ("role", pa.string()), ("role_kind", pa.string()), ("speaker_name", pa.string()), ("seat", pa.int32()),
    ("member_id", pa.string()), ("answers_speech_id", pa.string()), ("text", pa.string()),
])
PASSAGE_SCHEMA = pa.schema([
    ("passage_id", pa.int32()), ("statement_id", pa.string()), ("speech_id", pa.string()),
    ("meeting_id", pa.string()), ("assembly_code", pa.string()), ("date", pa.date32()), ("member_id", pa.string()),
    ("role_kind", pa.string()), ("ordinal", pa.int32()), ("heading", pa.string()), ("text", pa.string()),
    ("answers_passage_id", pa.int32()), ("n_tokens", pa.int32()), ("speaker_name", pa.string()),
    ("speaker_role", pa.string()),
])
TF_SCHEMA = pa.schema([("passage_id", pa.int32()), ("term", pa.string()), ("tf", pa.int32())])
TOPIC_SCHEMA = pa.schema([("passage_id", pa.int32()), ("topic_id", pa.string()), ("score", pa.float64())])


def meeting_id(source_system: str, source_id: str) -> str:
    return hashlib.sha1(f"{source_system}\0{source_id}".encode()).hexdigest()[:16]


def member_id(assembly_code: str, key: str) -> str:
    return f"{assembly_code}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


@dataclass
class Speaker:
    """A member as one speech names them, for the main process's member table."""

    assembly_code: str
    key: str
    name: str
    surname_only: bool


@dataclass
class Batch:
    """What workers return for a list of meetings (passage ids are local: 0..n-1)."""

    meetings: list[dict] = field(default_factory=list)
    speeches: pa.Table | None = None
    passages: pa.Table | None = None
    tf: pa.Table | None = None
    topics: pa.Table | None = None
    vectors: np.ndarray | None = None
    speakers: list[Speaker] = field(default_factory=list)

    @property
    def n_passages(self) -> int:
        return 0 if self.passages is None else self.passages.num_rows


_MODELS: dict[str, object] = {}


def load_embedder(name: str | None):
    if name is None:
        return None
    if name not in _MODELS:
        from nlp.embedding import Embedder

        _MODELS[name] = Embedder.load(None if name == DEFAULT_MODEL else name)
        if _IN_WORKER and "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)
    return _MODELS[name]


def _passage_text(row: dict) -> str:
    return (row["heading"] + "\n" if row["heading"] else "") + row["text"]


# Below this many passages the threads cost more than they save.
THREADED_TOKENIZE_MIN = 256


def _tokenize_all(texts: list[str], threads: int = 1) -> list[list[str]]:
    """``tokenize`` of each text, in ``threads`` threads.

    SudachiPy releases the interpreter lock while it tokenizes (two threads: 1.9 → 1.0 s for
    4,000 passages here), so one process can use several cores for its largest part: the build
    analyses a small increment (one job) in its main process. Pool workers, one per core
    already, tokenize in one thread.
    """
    from nlp.tokenizer import tokenize

    if threads <= 1 or len(texts) < THREADED_TOKENIZE_MIN:
        return [tokenize(t) for t in texts]
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(texts) // threads)
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    with ThreadPoolExecutor(len(chunks)) as pool:
        return [toks for part in pool.map(lambda chunk: [tokenize(t) for t in chunk], chunks) for toks in part]


def analyze_passages(rows: list[dict], with_topics: bool, model: str | None, threads: int = 1) -> Batch:
    """Tokens, topics and vectors of ready-made passage rows (``passage_id`` = position);
    ``threads`` tokenize them."""
    texts = [_passage_text(r) for r in rows]
    tokens = _tokenize_all(texts, threads)
    for row, toks in zip(rows, tokens, strict=True):
        row["n_tokens"] = len(toks)
    _link_answers(rows, tokens)
    batch = Batch(passages=pa.Table.from_pylist(
        [{k: r.get(k) for k in PASSAGE_SCHEMA.names} for r in rows], schema=PASSAGE_SCHEMA))

    counts = [Counter(toks) for toks in tokens]
    terms: list[str] = []
    tfs: list[int] = []
    for counted in counts:
        terms.extend(counted)
        tfs.extend(counted.values())
    pids = np.repeat(np.arange(len(counts), dtype=np.int32), [len(c) for c in counts])
    batch.tf = pa.table({"passage_id": pids, "term": terms, "tf": pa.array(tfs, pa.int32())})

    if with_topics:
        from nlp.topics import default_tagger

        tagger = default_tagger()
        t_pid, t_id, t_score = [], [], []
        for pid, (toks, text) in enumerate(zip(tokens, texts, strict=True)):
            for topic_id, score in tagger.score_tokens(toks, text).items():
                if score >= TOPIC_LINK_MIN:
                    t_pid.append(pid)
                    t_id.append(topic_id)
                    t_score.append(round(score, 4))
        batch.topics = pa.table({"passage_id": pa.array(t_pid, pa.int32()), "topic_id": t_id,
                                 "score": pa.array(t_score, pa.float64())})

    embedder = load_embedder(model)
    if embedder is not None:
        if embedder.pretokenize:  # static model: reuse the term counts, Sudachi runs once per passage
            batch.vectors = embedder.encode_counts(counts)
        else:
            batch.vectors = np.asarray(embedder.encode_passages(texts), dtype=np.float32)
    return batch


def _link_answers(rows: list[dict], tokens: list[list[str]]) -> None:
    """Point each executive answer passage at the question passage (same meeting) it answers.

    Words are weighted by their rarity within the meeting, so the link depends on the
    meeting alone and an incremental build links exactly as a full one.
    """
    by_meeting: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_meeting[r["meeting_id"]].append(i)
    sets = [set(t) for t in tokens]
    for members in by_meeting.values():
        targets = [i for i in members if rows[i]["role_kind"] == "executive" and rows[i].get("_answers_speech")]
        if not targets:
            continue
        df = Counter(t for i in members for t in sets[i])
        n = len(members)
        idf = {t: math.log(1.0 + n / c) for t, c in df.items()}
        questions: dict[str, list[int]] = defaultdict(list)
        for i in members:
            if rows[i]["role_kind"] == "member":
                questions[rows[i]["speech_id"]].append(i)
        for i in targets:
            best, best_score = None, 0.0
            for q in questions.get(rows[i]["_answers_speech"], []):
                shared = sets[i] & sets[q]
                if not shared:
                    continue
                score = sum(idf[t] for t in shared) / math.sqrt(sum(idf[t] for t in sets[q]) or 1.0)
                if score > best_score:
                    best, best_score = q, score
            rows[i]["answers_passage_id"] = rows[best]["passage_id"] if best is not None else None


def _read(path: Path) -> MeetingRecord:
    try:
        return MeetingRecord.model_validate_json(path.read_bytes())
    except (OSError, ValueError, ValidationError) as exc:
        raise RawStoreError(f"{path}: {exc}") from exc


def meeting_rows(record: MeetingRecord, content_hash: str, first_pid: int, speakers: list[Speaker],
                 speeches: list[dict], passages: list[dict]) -> dict:
    """Rows of one meeting; passage ids count on from ``first_pid``."""
    mid = meeting_id(record.source_system, record.source_id)
    code = record.assembly_code
    last_question: str | None = None
    question_by_key: dict[str, str] = {}
    for speech in record.speeches:
        speaker = parse_speaker(speech.speaker)
        sid = f"{mid}-{speech.order}"
        text = clean_speech_text(speech.text)
        if speaker.role_kind == "unknown" and is_roll_call(speech.text):
            text = ""
        mem_id = None
        if speaker.is_member and speaker.name:
            key = name_key(speaker.name)
            mem_id = member_id(code, key)
            speakers.append(Speaker(code, key, speaker.name, speaker.surname_only))
            if speaker.role_kind == "member":
                last_question = sid
                question_by_key[key] = sid
        answers = None
        if speaker.role_kind == "executive":
            target = answered_member(text)
            answers = question_by_key.get(name_key(target), last_question) if target else last_question
        speeches.append({
            "speech_id": sid, "meeting_id": mid, "ord": speech.order, "speaker_raw": speech.speaker,
            "role": speaker.role, "role_kind": speaker.role_kind, "speaker_name": speaker.name, "seat": speaker.seat,
            "member_id": mem_id if speaker.role_kind in ("member", "chair") else None,
            "answers_speech_id": answers, "text": text,
        })
        if not text or speaker.role_kind not in INDEXED_ROLES:
            continue
        for passage in split_passages(text):
            passages.append({
                "passage_id": first_pid + len(passages), "statement_id": f"{sid}-p{passage.ordinal}",
                "speech_id": sid, "meeting_id": mid, "assembly_code": code, "date": record.date,
                "member_id": mem_id if speaker.role_kind == "member" else None, "role_kind": speaker.role_kind,
                "ordinal": passage.ordinal, "heading": passage.heading if passage.heading != passage.text else None,
                "text": passage.text, "answers_passage_id": None, "n_tokens": 0, "_answers_speech": answers,
                "speaker_name": speaker.name, "speaker_role": speaker.role,
            })
    return {
        "meeting_id": mid, "assembly_code": code, "source_system": record.source_system,
        "source_id": record.source_id, "kind": record.meeting_kind, "committee": record.committee,
        "date": record.date, "title": record.title, "url": record.url, "content_hash": content_hash,
        "assembly_name": record.assembly_name, "prefecture": record.prefecture,
    }


@contextmanager
def quiet_gc():
    """No cyclic garbage collection while a job runs.

    A job allocates millions of small, acyclic objects (tokens, dicts, rows) that live
    until its batch is built, so automatic collections would walk them again and again:
    20-25 % of a worker's time, measured. Reference counting frees them all the same.
    (Not ``gc.freeze()``: frozen objects are never finalised, and DuckDB's bindings
    then report leaks at exit.)
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# A job: (meeting files or passage rows, with topics, embedding model[, tokenizing threads]).
Job = tuple


def analyze_meetings(job: Job) -> Batch:
    """Worker entry point: raw meeting files → one Batch."""
    with quiet_gc():
        return _analyze_meetings(job)


def _analyze_meetings(job: Job) -> Batch:
    paths, with_topics, model, *rest = job
    speakers: list[Speaker] = []
    speeches: list[dict] = []
    passages: list[dict] = []
    meetings = []
    for path in map(Path, paths):
        meetings.append(meeting_rows(_read(path), path.stem, 0, speakers, speeches, passages))
    for i, p in enumerate(passages):
        p["passage_id"] = i
    batch = analyze_passages(passages, with_topics, model, *rest) if passages else Batch()
    batch.meetings = meetings
    batch.speeches = pa.Table.from_pylist(speeches, schema=SPEECH_SCHEMA)
    batch.speakers = speakers
    return batch


def analyze_rows(job: Job) -> Batch:
    """Worker entry point for passages that do not come from meeting files (posts, eval corpora)."""
    rows, with_topics, model, *rest = job
    with quiet_gc():
        return analyze_passages(rows, with_topics, model, *rest)


_IN_WORKER = False


def worker_init() -> None:
    """Pool initializer: workers are one per core already, so libraries must not add threads."""
    global _IN_WORKER
    _IN_WORKER = True
    os.environ.setdefault("OMP_NUM_THREADS", "1")
