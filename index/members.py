"""Rank members by how much they engage with a need, and say why.

A member's score is built from the passages of their *own questions* (never
from what the executive or the chair said), each passage scored by BM25:

* ``focus``: their best matching passages, each relative to the best passage of
  the whole query and weighted by recency, summed with a geometric decay — so
  asking about it repeatedly counts, but the tenth mention adds little and one
  lucky mention stays one passage;
* ``answers``: the executive's answers to their questions that match the need
  (the administration took the question up), with the same decay;
* ``breadth``: how many separate meetings they raised it in;
* ``posts``: what they write about it on their own blog or site (crawled posts),
  weighted lower and forgotten faster, and shown as separate evidence.

``score = focus + W_ANSWERS·answers + W_BREADTH·log(meetings) + W_POSTS·posts``; every part is
returned with the evidence passages, so a user can see why a member ranks.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from index.search import Filters, Searcher, StatementHit

CANDIDATE_PASSAGES = 4000
DECAY = 0.5
MAX_TERMS = 8
MIN_RELATIVE = 0.08  # passages under 8 % of the best one are noise, not engagement
W_ANSWERS = 0.35
W_BREADTH = 0.15
RECENCY_HALF_LIFE_YEARS = 4.0
# Members are ranked on words first; embeddings re-rank lightly. On the dev member
# queries 0.1 is neutral (topic 0.907→0.909, summary 0.906→0.905) and more costs
# (0.3: summary 0.897). See README "品質".
MEMBER_DENSE_WEIGHT = 0.1
W_POSTS = 0.25
POST_HALF_LIFE_YEARS = 1.0
POST_EVIDENCE = 2


@dataclass
class MemberScore:
    member_id: str
    name: str
    assembly_code: str
    assembly_name: str
    score: float
    parts: dict[str, float]
    matched_passages: int
    meetings: int
    first_date: date | None
    last_date: date | None
    evidence: list[StatementHit] = field(default_factory=list)
    answers: list[StatementHit] = field(default_factory=list)
    posts: list[StatementHit] = field(default_factory=list)


def _decayed(values: list[float]) -> float:
    return sum(v * DECAY**i for i, v in enumerate(sorted(values, reverse=True)[:MAX_TERMS]))


def _recency(d: date | None, reference: date | None, half_life: float = RECENCY_HALF_LIFE_YEARS) -> float:
    if d is None or reference is None:
        return 1.0
    years = max(0, (reference - d).days) / 365.25
    return 0.5 ** (years / half_life)


def rank_members(
    searcher: Searcher, cur: duckdb.DuckDBPyConnection, text: str, tokens: list[str], filters: Filters, limit: int,
    offset: int, evidence: int,
) -> list[MemberScore]:
    with searcher.ranking(dense_weight=MEMBER_DENSE_WEIGHT):
        own = searcher.hybrid_passages(cur, text, tokens, filters, ("member",), CANDIDATE_PASSAGES)
        answers = searcher.hybrid_passages(cur, text, tokens, filters, ("executive",), CANDIDATE_PASSAGES) if own else []
        posts = searcher.hybrid_passages(cur, text, tokens, filters, ("post",), CANDIDATE_PASSAGES)
    if not own and not posts:
        return []
    ids = [pid for pid, _ in own] + [pid for pid, _ in answers] + [pid for pid, _ in posts]
    meta = searcher.passage_meta(ids)
    reference = filters.until or searcher.last_date()
    best_own = own[0][1] if own else 1.0
    best_answer = answers[0][1] if answers else 1.0
    best_post = posts[0][1] if posts else 1.0

    own_scores: dict[str, list[float]] = defaultdict(list)
    own_passages: dict[str, list[tuple[float, int]]] = defaultdict(list)
    meetings: dict[str, set[str]] = defaultdict(set)
    recency: dict[str, list[float]] = defaultdict(list)
    for pid, bm25 in own:
        member, d, meeting, _ = meta[pid]
        relative = bm25 / best_own
        if member is None or relative < MIN_RELATIVE:
            continue
        weight = _recency(d, reference)
        own_scores[member].append(relative * weight)
        own_passages[member].append((relative * weight, pid))
        meetings[member].add(meeting)
        recency[member].append(weight)

    answer_scores: dict[str, list[float]] = defaultdict(list)
    answer_passages: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for pid, bm25 in answers:
        _, d, _, asked_by = meta[pid]
        relative = bm25 / best_answer
        if asked_by is None or asked_by not in own_scores or relative < MIN_RELATIVE:
            continue
        answer_scores[asked_by].append(relative * _recency(d, reference))
        answer_passages[asked_by].append((relative, pid))

    # Posts are the member's own words outside the assembly: their own part, a lower
    # weight, and a shorter memory (a blog shows current interests).
    post_scores: dict[str, list[float]] = defaultdict(list)
    post_passages: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for pid, score in posts:
        member, d, _, _ = meta[pid]
        relative = score / best_post
        if member is None or relative < MIN_RELATIVE:
            continue
        weighted = relative * _recency(d, reference, POST_HALF_LIFE_YEARS)
        post_scores[member].append(weighted)
        post_passages[member].append((weighted, pid))

    ranked = []
    for member in set(own_scores) | set(post_scores):
        values = own_scores.get(member, [])
        weights = recency.get(member, [])
        parts = {
            "focus": round(_decayed(values), 4),
            "answers": round(W_ANSWERS * _decayed(answer_scores.get(member, [])), 4),
            "breadth": round(W_BREADTH * math.log(len(meetings[member])), 4) if meetings.get(member) else 0.0,
            "posts": round(W_POSTS * _decayed(post_scores.get(member, [])), 4),
            "recency": round(sum(weights) / len(weights), 4) if weights else 0.0,
        }
        total = parts["focus"] + parts["answers"] + parts["breadth"] + parts["posts"]
        ranked.append((total, member, parts))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    page = ranked[offset : offset + limit]
    if not page:
        return []

    info = {
        row[0]: row[1:]
        for row in cur.execute(
            """SELECT mb.member_id, mb.name, mb.assembly_code, a.name, mb.first_date, mb.last_date
               FROM members mb JOIN assemblies a USING (assembly_code)
               WHERE mb.member_id IN (SELECT unnest($ids))""",
            {"ids": [m for _, m, _ in page]},
        ).fetchall()
    }
    wanted_own = {m: sorted(own_passages[m], reverse=True)[:evidence] for _, m, _ in page}
    wanted_ans = {m: sorted(answer_passages.get(m, []), reverse=True)[:1] for _, m, _ in page}
    wanted_posts = {m: sorted(post_passages.get(m, []), reverse=True)[:POST_EVIDENCE] for _, m, _ in page}
    scores = {pid: s for pid, s in own + answers + posts}
    wanted = [pid for group in (wanted_own, wanted_ans, wanted_posts) for lst in group.values() for _, pid in lst]
    hits = {h.passage_id: h for h in searcher.fetch_hits(cur, [(pid, scores[pid]) for pid in wanted])}
    top = page[0][0] or 1.0
    results = []
    for total, member, parts in page:
        name, acode, aname, first, last = info[member]
        results.append(
            MemberScore(
                member_id=member,
                name=name,
                assembly_code=acode,
                assembly_name=aname,
                score=round(total, 4),
                parts={**parts, "relative": round(total / top, 4)},
                matched_passages=len(own_scores.get(member, [])),
                meetings=len(meetings.get(member, ())),
                first_date=first,
                last_date=last,
                evidence=[hits[pid] for _, pid in wanted_own[member] if pid in hits],
                answers=[hits[pid] for _, pid in wanted_ans[member] if pid in hits],
                posts=[hits[pid] for _, pid in wanted_posts[member] if pid in hits],
            )
        )
    return results
