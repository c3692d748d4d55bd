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
* ``speech``: their best whole speech on it (BM25 with the speech as the document,
  ``index.speech_bm25``), so a question developed over several paragraphs counts as
  one strong question — in full only when one of their own passages is strong too
  (``SPEECH_GATE``);
* ``posts``: what they write about it on their own blog or site (crawled posts),
  weighted lower and forgotten faster, and shown as separate evidence.

``score = focus + W_ANSWERS·answers + W_BREADTH·log(meetings) + speech_weight(words)·speech + W_POSTS·posts``
(+ ``topic`` = W_TOPIC in ``index.match`` for a member whose matching questions take up the description's topics); every part is
returned with the evidence passages, so a user can see why a member ranks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import duckdb
import numpy as np

EPOCH = date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).min

if TYPE_CHECKING:
    from index.search import Filters, Searcher, StatementHit

CANDIDATE_PASSAGES = 4000
DECAY = 0.5
MAX_TERMS = 8
MIN_RELATIVE = 0.08  # passages under 8 % of the best one are noise, not engagement
W_ANSWERS = 0.35
W_BREADTH = 0.15
RECENCY_HALF_LIFE_YEARS = 4.0
# Embedding re-rank of the member's passages. Before the `speech` part, 0.1 was neutral on the
# dev member queries (topic 0.907→0.909, summary 0.906→0.905). With it, every weight above 0
# costs a little (date-filtered topic 0.9129 at 0 vs 0.9088 at 0.05-0.2; whole index summary
# 0.8663 / 0.8656 / 0.8622 / 0.8590 at 0 / 0.05 / 0.1 / 0.2), and 0 skips two similarity
# passes per search (1M statements: member search mean 51-55 → 36-44 ms). Statement search
# keeps its embedding weight (Searcher.dense_weight). See README "品質".
MEMBER_DENSE_WEIGHT = 0.0
W_POSTS = 0.25
# index.match: the part of a member who has a matching passage that takes up a topic of the company's
# description (tagged with it); their evidence is then those passages. Dev member queries sent as
# descriptions, nDCG@10 topic / summary (session day; per day; whole index), and the ten company
# descriptions (top-5 evidence on their topics, members with a matched topic); `make eval` after editing
# W_TOPIC reproduces a row (the last two rows changed the code):
#   0:                            0.920 / 0.957, 0.915 / 0.924, 0.809 / 0.873; 91.5 %, 94 %
#   0.5:                          0.920 / 0.956, 0.915 / 0.924, 0.810 / 0.872; 91.5 %, 94 %
#   1.0:                          0.920 / 0.956, 0.915 / 0.924, 0.810 / 0.869; 93.6 %, 96 %   ← kept
#   2.0:                          0.920 / 0.953, 0.915 / 0.921, 0.806 / 0.869; 93.6 %, 96 %
#   0.5 × the best score:         0.920 / 0.952, 0.915 / 0.921, 0.804 / 0.869; 93.6 %, 96 %
#   those members always first:   0.920 / 0.954, 0.915 / 0.915, 0.799 / 0.869; 96.7 %, 98 %
# Always first loses where a short question reads as a broad topic (受け入れ施設 → 公共施設マネジメント) that
# the member who asked never took up.
W_TOPIC = 1.0
# The member's best whole speech (index.speech_bm25), relative to the best speech of the
# selection. Dev member nDCG@10 (topic / summary), date-filtered: 0.909 / 0.906 without it,
# 0.910 / 0.923 at weight 2–5 (flat); over the whole index 0.776 / 0.797 → 0.808 / 0.862 at 4.
# Counting a member's second-best speech too (decayed) was worse over the whole index (0.784 / 0.850).
W_SPEECH = 4.0
SPEECH_TERMS = 1
# The speech part counts in full only for a member whose best own passage reaches this share of the
# query's best passage (less: in proportion). A long speech that uses the query's short words in
# unrelated places (待機児童: 自宅待機 …, 児童生徒 …) otherwise lifts members who never asked about it.
# Dev member nDCG@10 (topic / summary): date-filtered 0.9179 / 0.9241 at 0, 0.4, 0.5 alike (0.8:
# 0.9217 / 0.9213); whole index 0.8145 / 0.8670 → 0.8153 / 0.8743 at 0.5 (0.8: 0.8057 / 0.8931).
SPEECH_GATE = 0.5
# A whole speech (a 30,000-character 代表質問) holds most words of a long company description by its
# breadth alone, so beyond this many distinct query words the speech part weighs W_SPEECH × this / words.
# Dev queries have at most 17 words (median 6): every dev nDCG is the same with it. Ten company
# descriptions of 127-178 characters (data/eval/match-descriptions-long.jsonl): evidence on the
# description's topics 79.2 → 81.8 %, members with a matched topic 88 → 90 %; with index.match's
# parent fallback 85.2 → 90.6 % at 12 (16: 89.8 %; 8: 90.6 %, but the dev summary without the date
# filter through match 0.8728 → 0.8691).
SPEECH_FULL_TERMS = 12
POST_HALF_LIFE_YEARS = 1.0
POST_EVIDENCE = 2
# Evidence shown for a member: their best passages, but none under 40 % of their best one. A member
# who asked about 待機児童 once has, next, passages that only share 児童 (児童相談所, 児童生徒の通学):
# quoting them as evidence would be wrong. (Ranking is not affected; only what is shown.)
EVIDENCE_MIN_SHARE = 0.4


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
    # Set when a session day was given and the member raised the query on it (``index.session_day``).
    led_on: date | None = None
    party: str | None = None  # the roster's 会派, else the latest named in the minutes (``nlp.party``)


def speech_weight(n_terms: int) -> float:
    """The weight of the speech part for a query of ``n_terms`` distinct words (see SPEECH_FULL_TERMS)."""
    return W_SPEECH * min(1.0, SPEECH_FULL_TERMS / max(n_terms, 1))


def _decayed(values: list[float]) -> float:
    return sum(v * DECAY**i for i, v in enumerate(sorted(values, reverse=True)[:MAX_TERMS]))


def _recency(d: date | None, reference: date | None, half_life: float = RECENCY_HALF_LIFE_YEARS) -> float:
    if d is None or reference is None:
        return 1.0
    years = max(0, (reference - d).days) / 365.25
    return 0.5 ** (years / half_life)


def _ranked_parts(codes: np.ndarray, values: np.ndarray, n_codes: int, max_terms: int | None = None) -> np.ndarray:
    """Per member code: the top ``max_terms`` (default ``MAX_TERMS``) values summed with geometric
    decay (``_decayed``)."""
    # Read at call time, not bound as a default: weight grids patch the module constant.
    max_terms = MAX_TERMS if max_terms is None else max_terms
    if len(codes) == 0:
        return np.zeros(n_codes)
    if max_terms == 1:  # the best value each: written in ascending order, the last write wins
        order = np.argsort(values, kind="stable")
        best = np.zeros(n_codes)
        best[codes[order]] = values[order]
        return best
    order = np.lexsort((-values, codes))
    codes, values = codes[order], values[order]
    starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
    rank = np.arange(len(codes)) - np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    keep = rank < max_terms
    return np.bincount(codes[keep], weights=values[keep] * DECAY ** rank[keep], minlength=n_codes)


def _recency_of(days: np.ndarray, reference: int | None, half_life: float) -> np.ndarray:
    """``_recency`` for an array of day numbers (``NO_DATE`` = unknown → 1)."""
    if reference is None:
        return np.ones(len(days))
    years = np.maximum(0, reference - days.astype(np.int64)) / 365.25
    return np.where(days == NO_DATE, 1.0, 0.5 ** (years / half_life))


def _candidates(scored: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    pids, scores = scored
    if not len(pids):
        return pids, scores
    return pids, scores / scores[0]


def rank_members(
    searcher: Searcher, cur: duckdb.DuckDBPyConnection, text: str, tokens: list[str], filters: Filters, limit: int,
    offset: int, evidence: int, on_need: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[MemberScore]:
    """Members best first, with their parts and evidence. ``on_need``: which of some passages take up the need
    (``index.match``: tagged with a topic of the description); a member with such a passage among their
    matching ones gets the ``topic`` part, and their evidence is drawn from those."""
    with searcher.ranking(dense_weight=MEMBER_DENSE_WEIGHT):
        own = searcher.hybrid_arrays(cur, text, tokens, filters, ("member",), CANDIDATE_PASSAGES)
        answers = searcher.hybrid_arrays(cur, text, tokens, filters, ("executive",), CANDIDATE_PASSAGES) \
            if len(own[0]) else (own[0][:0], own[1][:0])
        posts = searcher.hybrid_arrays(cur, text, tokens, filters, ("post",), CANDIDATE_PASSAGES)
    if not len(own[0]) and not len(posts[0]):
        return []
    columns, n_members, member_names = searcher.passage_columns()
    until = filters.until or searcher.last_date()
    reference = (until - EPOCH).days if until else None

    # Their own questions: relative to the best passage of the query, weighted by recency.
    own_pids, own_rel = _candidates(own)
    own_member = columns["member"][own_pids]
    keep = (own_member >= 0) & (own_rel >= MIN_RELATIVE)
    own_pids, own_member, own_rel = own_pids[keep], own_member[keep], own_rel[keep]

    # Whole speeches as documents: relative to the best speech of the query, by recency.
    # Only the speeches of the passages kept above: the speech that matches best has its best
    # passages among them, and looking up a few hundred speeches is cheaper than scoring all.
    sp_member, sp_day, sp_score = searcher.speech_scores(tokens, filters, ("member",), own_pids)
    sp_keep = sp_member >= 0
    sp_member, sp_day, sp_score = sp_member[sp_keep], sp_day[sp_keep], sp_score[sp_keep]
    if len(sp_score):
        sp_rel = sp_score / sp_score.max()
        sp_keep = sp_rel >= MIN_RELATIVE
        sp_value = sp_rel[sp_keep] * _recency_of(sp_day[sp_keep], reference, RECENCY_HALF_LIFE_YEARS)
        sp_member = sp_member[sp_keep]
    else:
        sp_value = sp_score
    speech_part = _ranked_parts(sp_member, sp_value, n_members, SPEECH_TERMS)
    if SPEECH_GATE > 0:
        best_own = _ranked_parts(own_member, own_rel, n_members, 1)
        speech_part *= np.minimum(1.0, best_own / SPEECH_GATE)

    own_weight = _recency_of(columns["day"][own_pids], reference, RECENCY_HALF_LIFE_YEARS)
    own_value = own_rel * own_weight
    focus = _ranked_parts(own_member, own_value, n_members)
    asked = np.zeros(n_members, dtype=bool)
    asked[own_member] = True
    # Distinct (member, meeting) pairs, as one int64 key each.
    pairs = np.unique(own_member.astype(np.int64) << 32 | (columns["meeting"][own_pids].astype(np.int64) & 0xFFFFFFFF))
    n_meetings = np.bincount((pairs >> 32).astype(np.int64), minlength=n_members)
    recency_sum = np.bincount(own_member, weights=own_weight, minlength=n_members)
    n_own = np.bincount(own_member, minlength=n_members)

    # The executive's answers to those questions.
    ans_pids, ans_rel = _candidates(answers)
    ans_member = columns["asked_by"][ans_pids]
    keep = (ans_member >= 0) & (ans_rel >= MIN_RELATIVE)
    keep[keep] = asked[ans_member[keep]]
    ans_pids, ans_member, ans_rel = ans_pids[keep], ans_member[keep], ans_rel[keep]
    answer_part = _ranked_parts(
        ans_member, ans_rel * _recency_of(columns["day"][ans_pids], reference, RECENCY_HALF_LIFE_YEARS), n_members)

    # Posts are the member's own words outside the assembly: their own part, a lower
    # weight, and a shorter memory (a blog shows current interests).
    post_pids, post_rel = _candidates(posts)
    post_member = columns["member"][post_pids]
    keep = (post_member >= 0) & (post_rel >= MIN_RELATIVE)
    post_pids, post_member = post_pids[keep], post_member[keep]
    post_value = post_rel[keep] * _recency_of(columns["day"][post_pids], reference, POST_HALF_LIFE_YEARS)
    post_part = _ranked_parts(post_member, post_value, n_members)

    # (A member with a speech part asked: the speeches are those of their kept passages.)
    candidates = np.flatnonzero(asked | (np.bincount(post_member, minlength=n_members) > 0))
    if filters.party:  # after scoring: the same scores as without the filter, only this 会派's members
        candidates = candidates[searcher.members_in_party(cur, filters.party)[candidates]]
    parts_focus = np.round(focus[candidates], 4)
    parts_answers = np.round(W_ANSWERS * answer_part[candidates], 4)
    with np.errstate(divide="ignore"):
        parts_breadth = np.where(n_meetings[candidates] > 0,
                                 np.round(W_BREADTH * np.log(np.maximum(n_meetings[candidates], 1)), 4), 0.0)
    parts_posts = np.round(W_POSTS * post_part[candidates], 4)
    parts_speech = np.round(speech_weight(len(set(tokens))) * speech_part[candidates], 4)
    parts_recency = np.where(n_own[candidates] > 0,
                             np.round(recency_sum[candidates] / np.maximum(n_own[candidates], 1), 4), 0.0)
    totals = parts_focus + parts_answers + parts_breadth + parts_posts + parts_speech
    # A company's description (``index.match``): a member with a matching passage that takes up one of
    # its topics gets a fixed part, and shows those passages as evidence.
    takes_up = np.zeros(len(candidates), dtype=bool)
    on_need_own = on_need(own_pids) if on_need is not None else np.zeros(len(own_pids), dtype=bool)
    if on_need_own.any():
        speaks_on_need = np.zeros(n_members, dtype=bool)
        speaks_on_need[own_member[on_need_own]] = True
        takes_up = speaks_on_need[candidates]
    parts_topic = np.where(takes_up, W_TOPIC, 0.0)
    totals = totals + parts_topic
    # Best first, ties by member id, as a sort of (-total, member_id) over every candidate.
    head = min(len(candidates), offset + limit)
    if head == 0:
        return []
    cut = np.argpartition(-totals, head - 1)[:head] if head < len(candidates) else np.arange(len(candidates))
    threshold = totals[cut].min()
    pool = np.flatnonzero(totals >= threshold)
    ordered = sorted(pool.tolist(), key=lambda i: (-totals[i], member_names[candidates[i]]))
    page_idx = ordered[offset : offset + limit]
    if not page_idx:
        return []
    ranked = []
    for i in page_idx:
        parts = {"focus": float(parts_focus[i]), "answers": float(parts_answers[i]),
                 "breadth": float(parts_breadth[i]), "posts": float(parts_posts[i]),
                 "speech": float(parts_speech[i]), "topic": float(parts_topic[i]),
                 "recency": float(parts_recency[i])}
        ranked.append((float(totals[i]), member_names[candidates[i]], parts, int(candidates[i])))
    page = [(total, member, parts) for total, member, parts, _ in ranked]

    def best_of(pids: np.ndarray, codes: np.ndarray, values: np.ndarray, code: int, n: int) -> list[tuple[float, int]]:
        mine = codes == code
        return sorted(zip(values[mine].tolist(), pids[mine].tolist(), strict=True), reverse=True)[:n]

    def shown(best: list[tuple[float, int]]) -> list[tuple[float, int]]:
        return [(v, pid) for v, pid in best if v >= EVIDENCE_MIN_SHARE * best[0][0]]

    # A member with the topic part shows the passages that earned it.
    wanted_own = {m: shown(best_of(own_pids[on_need_own], own_member[on_need_own], own_value[on_need_own], c, evidence)
                           if takes_up[i] else best_of(own_pids, own_member, own_value, c, evidence))
                  for i, (_, m, _, c) in zip(page_idx, ranked, strict=True)}
    # evidence=0 asks for names and scores only: no passage of any kind is fetched.
    wanted_ans = {m: best_of(ans_pids, ans_member, ans_rel, c, 1 if evidence else 0) for _, m, _, c in ranked}
    wanted_posts = {m: best_of(post_pids, post_member, post_value, c, POST_EVIDENCE if evidence else 0)
                    for _, m, _, c in ranked}
    matched = {m: int(n_own[c]) for _, m, _, c in ranked}
    meeting_count = {m: int(n_meetings[c]) for _, m, _, c in ranked}

    _, assemblies, members = searcher.small_tables(cur)
    info = {m: (*members[m][:2], assemblies[members[m][1]][0], *members[m][2:]) for _, m, _ in page}
    wanted = [pid for group in (wanted_own, wanted_ans, wanted_posts) for lst in group.values() for _, pid in lst]
    scores: dict[int, float] = {}
    for pids, values in (own, answers, posts):  # the fused score each evidence passage came with
        found = np.isin(pids, wanted)
        scores.update(zip(pids[found].tolist(), values[found].tolist(), strict=True))
    hits = {h.passage_id: h for h in searcher.fetch_hits(cur, [(pid, scores[pid]) for pid in wanted])}
    top = float(totals[ordered[0]]) or 1.0  # rank 1 of the whole ranking, on every page
    results = []
    for total, member, parts in page:
        name, acode, aname, first, last, party = info[member]
        results.append(
            MemberScore(
                member_id=member,
                name=name,
                assembly_code=acode,
                assembly_name=aname,
                score=round(total, 4),
                parts={**parts, "relative": round(total / top, 4)},
                matched_passages=matched[member],
                meetings=meeting_count[member],
                first_date=first,
                last_date=last,
                party=party,
                evidence=[hits[pid] for _, pid in wanted_own[member] if pid in hits],
                answers=[hits[pid] for _, pid in wanted_ans[member] if pid in hits],
                posts=[hits[pid] for _, pid in wanted_posts[member] if pid in hits],
            )
        )
    return results
