"""Raw store → DuckDB index file (`gikai build`).

The whole database is written to a temporary file next to the target and
renamed over it only when complete, so a server reading the old file, or a
build killed half-way, never exposes half-built data.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from crawlers.rawstore import RawStore
from crawlers.records import MeetingRecord
from index.bm25 import EPSILON, K1, B
from index.dense import encode_passages, write_embeddings
from index.people import RosterInfo, post_rows, roster_by_member
from nlp.names import display_name, name_key
from nlp.passages import answered_member, clean_speech_text, is_roll_call, split_passages
from nlp.speaker import Speaker, parse_speaker

INDEXED_ROLES = ("member", "executive", "witness", "chair")
DEFAULT_MODEL = "default"  # the offline chiVe model built by `make setup`
TOPIC_LINK_MIN = 0.2
TOKENIZE_BATCH = 256


@dataclass
class BuildSummary:
    meetings: int = 0
    speeches: int = 0
    passages: int = 0
    members: int = 0
    terms: int = 0
    postings: int = 0
    seconds: float = 0.0
    surname_linked: int = 0
    surname_ambiguous: list[str] = field(default_factory=list)
    db_path: str = ""
    topic_links: int = 0
    embedding_model: str | None = None
    posts: int = 0
    posts_unlinked: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"built {self.db_path}: {self.meetings} meetings, {self.speeches} speeches, {self.passages} passages, "
            f"{self.members} members ({self.surname_linked} surname-only linked, "
            f"{len(self.surname_ambiguous)} ambiguous left unlinked), {self.terms} terms, "
            f"{self.topic_links} passage-topic links, {self.posts} posts ({len(self.posts_unlinked)} unlinked), "
            f"embeddings: {self.embedding_model or 'none'} "
            f"in {self.seconds:.1f}s"
        )


def meeting_id(record: MeetingRecord) -> str:
    return hashlib.sha1(f"{record.source_system}\0{record.source_id}".encode()).hexdigest()[:16]


def member_id(assembly_code: str, key: str) -> str:
    return f"{assembly_code}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


@dataclass
class _MemberAcc:
    assembly_code: str
    name: str
    key: str
    surname_only: bool
    seats: set[int] = field(default_factory=set)
    dates: list = field(default_factory=list)
    n_speeches: int = 0
    n_questions: int = 0


def _resolve_surnames(full: dict[str, dict[str, str]], surnames: dict[str, set[str]], summary: BuildSummary):
    """Map committee-style surname-only keys to a full-name member when exactly one matches."""
    resolved: dict[tuple[str, str], str] = {}
    for assembly, keys in surnames.items():
        names = full.get(assembly, {})
        for key in keys:
            bare = key.split("(")[0]
            candidates = sorted(k for k in names if k.startswith(bare) and k != bare)
            if len(candidates) == 1:
                resolved[(assembly, key)] = candidates[0]
                summary.surname_linked += 1
            elif len(candidates) > 1:
                summary.surname_ambiguous.append(f"{assembly}:{key} → {'/'.join(candidates[:5])}")
    return resolved


_WORKER_MODELS: dict[str, object] = {}


def _worker_embedder(model_spec: str):
    if model_spec not in _WORKER_MODELS:
        _WORKER_MODELS[model_spec] = _load_embedder(model_spec)
    return _WORKER_MODELS[model_spec]


@dataclass
class Analysis:
    """What the expensive per-passage stages made: search tokens, topic scores, vectors."""

    tokens: list[list[str]]
    topics: list[dict[str, float]]
    vectors: np.ndarray | None


def _analyze_batch(job: tuple[list[str], bool, str | None]) -> Analysis:
    # One worker does all per-passage work on the same tokens: Sudachi runs once per passage.
    texts, with_topics, static_model = job
    from nlp.tokenizer import tokenize

    tokens = [tokenize(t) for t in texts]
    topics: list[dict[str, float]] = []
    if with_topics:
        from nlp.topics import default_tagger

        tagger = default_tagger()
        topics = [
            {tid: round(sc, 4) for tid, sc in tagger.score_tokens(tok, text).items() if sc >= TOPIC_LINK_MIN}
            for tok, text in zip(tokens, texts, strict=True)
        ]
    vectors = _worker_embedder(static_model).encode_pretokenized(tokens) if static_model else None
    return Analysis(tokens, topics, vectors)


def analyze_all(
    texts: list[str], workers: int, *, with_topics: bool = True, static_model: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Analysis:
    """Tokenize (and tag, and embed with a static model) every passage, in parallel batches."""
    jobs = [(texts[i : i + TOKENIZE_BATCH], with_topics, static_model) for i in range(0, len(texts), TOKENIZE_BATCH)]
    out = Analysis([], [], None)
    vectors = []
    results = map(_analyze_batch, jobs) if workers <= 1 or len(jobs) <= 1 else None
    pool = None
    if results is None:
        # Spawned, not forked: the parent may hold torch (embedding model) threads, and
        # forking a process with live OpenMP threads can deadlock the children.
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(_analyze_batch, jobs)
    try:
        for job, result in zip(jobs, results, strict=True):
            out.tokens.extend(result.tokens)
            out.topics.extend(result.topics)
            if result.vectors is not None:
                vectors.append(result.vectors)
            if progress:
                progress(len(job[0]))
    finally:
        if pool is not None:
            pool.shutdown()
    if vectors:
        out.vectors = np.concatenate(vectors)
    return out


def _arrow(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def build_index(
    raw_dir: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    progress: bool = False,
    embedding_model: str | None = DEFAULT_MODEL,
) -> BuildSummary:
    """Build the index; ``embedding_model`` None skips vectors (BM25 and topics only)."""
    started = time.perf_counter()
    embedder = _load_embedder(embedding_model)
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    summary = BuildSummary(db_path=str(db_path))
    workers = workers or os.cpu_count() or 1
    store = RawStore(raw_dir)
    records = sorted(
        store.latest("meeting").values(),
        key=lambda r: (r.assembly_code, r.date.isoformat() if r.date else "", r.source_id),
    )

    # Pass 1: who speaks. Full names first, so committee surnames can be linked to them.
    parsed: dict[tuple[str, int], Speaker] = {}
    full_names: dict[str, dict[str, str]] = defaultdict(dict)
    surname_keys: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for speech in record.speeches:
            speaker = parse_speaker(speech.speaker)
            parsed[(meeting_id(record), speech.order)] = speaker
            if speaker.is_member and speaker.name:
                key = name_key(speaker.name)
                if speaker.surname_only:
                    surname_keys[record.assembly_code].add(key)
                else:
                    full_names[record.assembly_code][key] = speaker.name
    roster_records = list(store.latest("member").values())
    for rec in roster_records:
        full_names[rec.assembly_code].setdefault(name_key(rec.name), display_name(rec.name))
    resolved = _resolve_surnames(full_names, surname_keys, summary)

    assemblies: dict[str, dict] = {}
    meetings_rows, speech_rows, passage_rows = [], [], []
    members: dict[str, _MemberAcc] = {}
    for record in records:
        mid = meeting_id(record)
        assemblies.setdefault(
            record.assembly_code,
            {"assembly_code": record.assembly_code, "name": record.assembly_name, "prefecture": record.prefecture},
        )
        meetings_rows.append(
            {
                "meeting_id": mid,
                "assembly_code": record.assembly_code,
                "source_system": record.source_system,
                "source_id": record.source_id,
                "kind": record.meeting_kind,
                "committee": record.committee,
                "date": record.date,
                "title": record.title,
                "url": record.url,
                "content_hash": record.content_hash(),
            }
        )
        summary.meetings += 1
        last_question: str | None = None
        question_by_key: dict[str, str] = {}
        for speech in record.speeches:
            speaker = parsed[(mid, speech.order)]
            sid = f"{mid}-{speech.order}"
            text = clean_speech_text(speech.text)
            if speaker.role_kind == "unknown" and is_roll_call(speech.text):
                text = ""
            mem_id = None
            if speaker.is_member and speaker.name:
                key = name_key(speaker.name)
                key = resolved.get((record.assembly_code, key), key)
                mem_id = member_id(record.assembly_code, key)
                acc = members.get(mem_id)
                if acc is None:
                    surname_only = speaker.surname_only and (record.assembly_code, name_key(speaker.name)) not in resolved
                    display = full_names[record.assembly_code].get(key, speaker.name)
                    acc = members[mem_id] = _MemberAcc(record.assembly_code, display, key, surname_only)
                acc.n_speeches += 1
                if speaker.seat:
                    acc.seats.add(speaker.seat)
                if record.date:
                    acc.dates.append(record.date)
                if speaker.role_kind == "member":
                    acc.n_questions += 1
                    last_question = sid
                    question_by_key[key] = sid
            answers = None
            if speaker.role_kind == "executive":
                target = answered_member(text)
                answers = question_by_key.get(name_key(target), last_question) if target else last_question
            speech_rows.append(
                {
                    "speech_id": sid,
                    "meeting_id": mid,
                    "ord": speech.order,
                    "speaker_raw": speech.speaker,
                    "role": speaker.role,
                    "role_kind": speaker.role_kind,
                    "speaker_name": speaker.name,
                    "seat": speaker.seat,
                    "member_id": mem_id if speaker.role_kind in ("member", "chair") else None,
                    "answers_speech_id": answers,
                    "text": text,
                }
            )
            summary.speeches += 1
            if not text or speaker.role_kind not in INDEXED_ROLES:
                continue
            for passage in split_passages(text):
                passage_rows.append(
                    {
                        "passage_id": len(passage_rows),
                        "statement_id": f"{sid}-p{passage.ordinal}",
                        "speech_id": sid,
                        "meeting_id": mid,
                        "assembly_code": record.assembly_code,
                        "date": record.date,
                        "member_id": mem_id if speaker.role_kind == "member" else None,
                        "role_kind": speaker.role_kind,
                        "ordinal": passage.ordinal,
                        "heading": passage.heading if passage.heading != passage.text else None,
                        "text": passage.text,
                        "answers_passage_id": None,
                        "n_tokens": 0,
                        "_answers_speech": answers,
                    }
                )

    roster, affiliations = roster_by_member(roster_records, member_id)
    for rec in roster_records:
        # A roster member who has not spoken in the stored minutes is still a member.
        mid = member_id(rec.assembly_code, name_key(rec.name))
        if mid not in members:
            members[mid] = _MemberAcc(rec.assembly_code, display_name(rec.name), name_key(rec.name), False)
    for post in sorted(store.latest("post").values(), key=lambda p: p.url):
        mid = member_id(post.assembly_code, name_key(post.member_name))
        if mid not in members:
            summary.posts_unlinked.append(f"{post.assembly_code}:{post.member_name} {post.url}")
            continue
        meeting, speech, rows = post_rows(post, mid, members[mid].name, len(passage_rows))
        meetings_rows.append(meeting)
        speech_rows.append(speech)
        passage_rows.extend(rows)
        summary.posts += 1

    texts = [(p["heading"] + "\n" if p["heading"] else "") + p["text"] for p in passage_rows]
    static = embedding_model if embedder is not None and embedder.pretokenize else None
    analysis = _analyze_with_progress(texts, workers, static, progress)
    tokens = analysis.tokens
    for row, toks in zip(passage_rows, tokens, strict=True):
        row["n_tokens"] = len(toks)

    tmp_path = db_path.with_name(f".{db_path.name}.tmp-{os.getpid()}")
    tmp_path.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp_path))
    try:
        con.execute(resources.files("index").joinpath("schema.sql").read_text(encoding="utf-8"))
        _insert(con, "assemblies", list(assemblies.values()))
        _insert(con, "meetings", meetings_rows)
        _insert(con, "members", [_member_row(mid, acc, roster.get(mid)) for mid, acc in members.items()])
        _insert(con, "affiliations", affiliations)
        _insert(con, "speeches", speech_rows)
        summary.terms, summary.postings = _write_passages(con, passage_rows, tokens)
        summary.topic_links = _write_topics(con, passage_rows, analysis.topics)
        if embedder is not None:
            vectors = analysis.vectors if analysis.vectors is not None else encode_passages(embedder, texts)
            write_embeddings(con, vectors, [p["passage_id"] for p in passage_rows], embedding_model)
            summary.embedding_model = embedder.name
        summary.passages = len(passage_rows)
        summary.members = len(members)
        info = {
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "raw_dir": str(raw_dir),
            "k1": str(K1),
            "b": str(B),
            "epsilon": str(EPSILON),
            "meetings": str(summary.meetings),
            "passages": str(summary.passages),
        }
        con.executemany("INSERT INTO build_info VALUES (?, ?)", list(info.items()))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    _fsync(tmp_path)
    os.replace(tmp_path, db_path)
    summary.seconds = time.perf_counter() - started
    return summary


def _analyze_with_progress(texts: list[str], workers: int, static_model: str | None, progress: bool) -> Analysis:
    if not progress:
        return analyze_all(texts, workers, static_model=static_model)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("analysing passages", total=len(texts))
        return analyze_all(texts, workers, static_model=static_model, progress=lambda n: bar.advance(task, n))


def _member_row(mid: str, acc: _MemberAcc, info: RosterInfo | None) -> dict:
    info = info or RosterInfo()
    return {
        "member_id": mid,
        "assembly_code": acc.assembly_code,
        "name": acc.name,
        "name_key": acc.key,
        "surname_only": acc.surname_only,
        "seats": ",".join(str(s) for s in sorted(acc.seats)) or info.seat,
        "first_date": min(acc.dates) if acc.dates else None,
        "last_date": max(acc.dates) if acc.dates else None,
        "n_speeches": acc.n_speeches,
        "n_questions": acc.n_questions,
        "reading": info.reading,
        "party": info.party,
        "district": info.district,
        "committees": info.committees,
        "term_start": info.term_start,
        "term_end": info.term_end,
        "profile_url": info.profile_url,
        "links": json.dumps(info.links, ensure_ascii=False, sort_keys=True) if info.links else None,
    }


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
    arrow_table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
    con.register("_rows", arrow_table)
    try:
        con.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM _rows")
    finally:
        con.unregister("_rows")


def _write_passages(con: duckdb.DuckDBPyConnection, passage_rows: list[dict], tokens: list[list[str]]) -> tuple[int, int]:
    """Passages with their BM25 postings; answer passages linked to the questions they answer."""
    n_terms, n_postings = _write_bm25(con, tokens)
    idf = dict(con.execute("SELECT term, idf FROM terms").fetchall())
    _link_answers(passage_rows, tokens, idf)
    _insert(con, "passages", [{k: v for k, v in p.items() if not k.startswith("_")} for p in passage_rows])
    return n_terms, n_postings


def build_statement_index(statements: list[dict], db_path: str | os.PathLike[str], workers: int | None = None,
                          embedding_model: str | None = DEFAULT_MODEL) -> int:
    """Index plain statements ({"id", "text"}) as one passage each, for evaluation corpora.

    The statement's id becomes the passage's statement_id; meeting and speaker
    columns hold placeholders because such a corpus has none.
    """
    db_path = Path(db_path)
    db_path.unlink(missing_ok=True)
    rows = [
        {
            "passage_id": i, "statement_id": str(st["id"]), "speech_id": str(st["id"]), "meeting_id": "corpus",
            "assembly_code": "000000", "date": None, "member_id": None, "role_kind": "member", "ordinal": 0,
            "heading": None, "text": st["text"], "answers_passage_id": None, "n_tokens": 0, "_answers_speech": None,
        }
        for i, st in enumerate(statements)
    ]
    embedder = _load_embedder(embedding_model)
    static = embedding_model if embedder is not None and embedder.pretokenize else None
    texts = [r["text"] for r in rows]
    analysis = analyze_all(texts, workers or os.cpu_count() or 1, with_topics=False, static_model=static)
    tokens = analysis.tokens
    for row, toks in zip(rows, tokens, strict=True):
        row["n_tokens"] = len(toks)
    con = duckdb.connect(str(db_path))
    try:
        con.execute(resources.files("index").joinpath("schema.sql").read_text(encoding="utf-8"))
        _write_passages(con, rows, tokens)
        if embedder is not None:
            vectors = analysis.vectors if analysis.vectors is not None else encode_passages(embedder, texts)
            write_embeddings(con, vectors, [r["passage_id"] for r in rows], embedding_model)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return len(rows)


def _write_bm25(con: duckdb.DuckDBPyConnection, tokens: list[list[str]]) -> tuple[int, int]:
    """Terms and BM25Okapi postings, computed in SQL exactly as rank_bm25 does."""
    pids, terms, tfs = [], [], []
    for pid, toks in enumerate(tokens):
        for term, tf in Counter(toks).items():
            pids.append(pid)
            terms.append(term)
            tfs.append(tf)
    con.register("_tf", pa.table({"passage_id": pids, "term": terms, "tf": tfs}))
    con.register("_len", pa.table({"passage_id": list(range(len(tokens))), "dl": [len(t) for t in tokens]}))
    n_docs = len(tokens)
    avgdl = (sum(len(t) for t in tokens) / n_docs) if n_docs else 0.0
    con.execute(
        """
        INSERT INTO terms
        WITH df AS (SELECT term, count(*) AS df FROM _tf GROUP BY term),
             raw AS (SELECT term, df, ln(($n - df + 0.5) / (df + 0.5)) AS idf FROM df),
             avg_idf AS (SELECT avg(idf) AS a FROM raw)
        SELECT (row_number() OVER (ORDER BY term))::INTEGER - 1, term, df,
               CASE WHEN idf < 0 THEN $eps * (SELECT a FROM avg_idf) ELSE idf END
        FROM raw
        """,
        {"n": n_docs, "eps": EPSILON},
    )
    # Sorted by term so DuckDB's zone maps skip straight to a query's terms.
    con.execute(
        """
        INSERT INTO postings
        SELECT t.term_id, f.passage_id, f.tf,
               t.idf * f.tf * ($k1 + 1) / (f.tf + $k1 * (1 - $b + $b * l.dl / $avgdl))
        FROM _tf f JOIN terms t USING (term) JOIN _len l USING (passage_id)
        ORDER BY t.term_id, f.passage_id
        """,
        {"k1": K1, "b": B, "avgdl": avgdl or 1.0},
    )
    con.unregister("_tf")
    con.unregister("_len")
    n_terms = con.execute("SELECT count(*) FROM terms").fetchall()[0][0]
    return n_terms, len(pids)


def _link_answers(passages: list[dict], tokens: list[list[str]], idf: dict[str, float]) -> None:
    """Point each executive answer passage at the question passage it answers."""
    by_speech: dict[str, list[int]] = defaultdict(list)
    for p in passages:
        if p["role_kind"] == "member":
            by_speech[p["speech_id"]].append(p["passage_id"])
    sets = [set(t) for t in tokens]

    def weight(terms: Iterable[str]) -> float:
        return sum(idf.get(t, 0.0) for t in terms)

    for p in passages:
        target = p["_answers_speech"]
        if p["role_kind"] != "executive" or not target or target not in by_speech:
            continue
        mine = sets[p["passage_id"]]
        best, best_score = None, 0.0
        for qid in by_speech[target]:
            shared = mine & sets[qid]
            if not shared:
                continue
            score = weight(shared) / math.sqrt(weight(sets[qid]) or 1.0)
            if score > best_score:
                best, best_score = qid, score
        p["answers_passage_id"] = best


def _load_embedder(name: str | None):
    if name is None:
        return None
    from nlp.embedding import Embedder

    return Embedder.load(None if name == DEFAULT_MODEL else name)


def _write_topics(con: duckdb.DuckDBPyConnection, passages: list[dict], topics: list[dict[str, float]]) -> int:
    from nlp.topics import default_tagger

    _insert(con, "topics", [
        {"topic_id": t.id, "label": t.label, "parent": t.parent, "description": t.description}
        for t in default_tagger().taxonomy.flatten()
    ])
    pids, tids, scores = [], [], []
    for p, scored in zip(passages, topics, strict=True):
        for topic_id, score in scored.items():
            pids.append(p["passage_id"])
            tids.append(topic_id)
            scores.append(score)
    con.register("_pt", pa.table({"passage_id": pa.array(pids, pa.int32()), "topic_id": tids, "score": scores}))
    con.execute("INSERT INTO passage_topics SELECT passage_id, topic_id, score FROM _pt ORDER BY topic_id, passage_id")
    con.unregister("_pt")
    return len(pids)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
