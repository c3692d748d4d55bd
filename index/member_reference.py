"""What member ranking is compared with, measured under the same protocol as ``evaluate_members``.

* ``naive``: the issue's reference method — SudachiPy tokens (mode C surface forms), rank-bm25's
  ``BM25Okapi`` over members' whole speeches, a member scored by their best speech;
* ``ceiling``: the best nDCG@k any ranking can reach when it may only return members who spoke
  within the searched dates (restricted to the day, labelled members who asked on another day of
  the session cannot be found).

``gikai eval members --reference`` prints both next to our own numbers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb

from index.evaluate import ndcg_at_k
from index.session_day import AROUND_DAYS, LEAD_SHARE, lead_then_window
from nlp.names import name_key


def _speeches(db_path: str | Path, since: date | None) -> list[tuple[str, date | None, str]]:
    """(member name key, date, text) of every speech a member made, from the built index."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute(
            """SELECT m.name, mt.date, s.text FROM speeches s
               JOIN meetings mt USING (meeting_id) JOIN members m ON m.member_id = s.member_id
               WHERE s.role_kind = 'member' AND ($since IS NULL OR mt.date >= $since)
               ORDER BY s.speech_id""",
            {"since": since},
        ).fetchall()
    finally:
        con.close()
    return [(name_key(name), day, text) for name, day, text in rows]


def _surface_tokens(tokenizer, text: str) -> list[str]:
    from nlp.tokenizer import Tokenizer

    return [m.surface() for chunk in Tokenizer.chunks(text) for m in tokenizer.tokenize(chunk)]


def member_references(db_path: str | Path, queries: list[dict], k: int = 10, dates: str = "around",
                      since: date | None = None, around: int = AROUND_DAYS, lead_share: float = LEAD_SHARE) -> dict:
    """nDCG@k of the naive reference and the labels' ceiling, by query kind, with each query's date used
    as ``evaluate_members`` uses it (``dates``; under ``around`` the naive method's members of the day lead
    by the same rule, ``index.session_day``). ``since``: only speeches from that date on, e.g. the sessions the
    queries come from."""
    from rank_bm25 import BM25Okapi

    from index.bench import raw_sudachi
    from index.evaluate import query_scope

    speeches = _speeches(db_path, since)
    tokenizer = raw_sudachi()
    bm25 = BM25Okapi([_surface_tokens(tokenizer, text) for _, _, text in speeches]) if speeches else None
    spoke_on: dict[str, set] = defaultdict(set)
    for member, day, _ in speeches:
        spoke_on[member].add(day)

    def best_of(scores, filters) -> list[tuple[str, float]]:
        """Members by their best speech within the filter's dates, best first."""
        best: dict[str, float] = {}
        for (member, spoken, _), score in zip(speeches, scores, strict=True):
            if filters.admits_day(spoken):
                best[member] = max(best.get(member, float("-inf")), score)
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))

    naive: dict[str, list[float]] = defaultdict(list)
    ceiling: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        filters, session_day = query_scope(q, dates, around, lead_share)
        scope = session_day.window(filters) if session_day else filters
        relevant = {name_key(n): float(g) for n, g in q["relevant"].items()}
        ranked: list[str] = []
        if bm25 is not None:
            scores = bm25.get_scores(_surface_tokens(tokenizer, q["query"]))
            listed = best_of(scores, scope)
            if session_day:
                listed, _ = lead_then_window(best_of(scores, session_day.on_day(filters)), listed, key=lambda x: x[0],
                                             score=lambda x: x[1], share=session_day.lead_share)
            ranked = [member for member, _ in listed]
        kind = q.get("kind", "all")
        naive[kind].append(ndcg_at_k(ranked, relevant, k))
        reachable = [m for m in relevant if any(scope.admits_day(d) for d in spoke_on.get(m, ()))]
        ceiling[kind].append(ndcg_at_k(sorted(reachable, key=lambda m: -relevant[m]), relevant, k))
    return {
        f"naive_ndcg@{k}": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(naive.items())},
        f"ceiling_ndcg@{k}": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(ceiling.items())},
        "reference_speeches": len(speeches),
        "reference_since": since.isoformat() if since else None,
    }
