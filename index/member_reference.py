"""What member ranking is compared with, measured under the same protocol as ``evaluate_members``.

* ``naive``: the issue's reference method — SudachiPy tokens (mode C surface forms), rank-bm25's
  ``BM25Okapi`` over members' whole speeches, a member scored by their best speech;
* ``ceiling``: the best nDCG@k any ranking can reach when it may only return members who spoke
  within the searched dates (with the date filter, labelled members who asked on another day of
  the session cannot be found).

``gikai eval members --reference`` prints both next to our own numbers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb

from index.evaluate import ndcg_at_k
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


def member_references(db_path: str | Path, queries: list[dict], k: int = 10, use_date: bool = True,
                      since: date | None = None) -> dict:
    """nDCG@k of the naive reference and the labels' ceiling, by query kind (``since``: only
    speeches from that date on, e.g. the sessions the queries come from)."""
    from rank_bm25 import BM25Okapi

    from index.bench import raw_sudachi

    speeches = _speeches(db_path, since)
    tokenizer = raw_sudachi()
    bm25 = BM25Okapi([_surface_tokens(tokenizer, text) for _, _, text in speeches]) if speeches else None
    spoke_on: dict[str, set] = defaultdict(set)
    for member, day, _ in speeches:
        spoke_on[member].add(day)

    naive: dict[str, list[float]] = defaultdict(list)
    ceiling: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        day = date.fromisoformat(q["date"]) if use_date and q.get("date") else None
        relevant = {name_key(n): float(g) for n, g in q["relevant"].items()}
        best: dict[str, float] = {}
        if bm25 is not None:
            for (member, spoken, _), score in zip(speeches, bm25.get_scores(_surface_tokens(tokenizer, q["query"])),
                                                  strict=True):
                if day is None or spoken == day:
                    best[member] = max(best.get(member, float("-inf")), score)
        kind = q.get("kind", "all")
        naive[kind].append(ndcg_at_k(sorted(best, key=lambda m: (-best[m], m)), relevant, k))
        reachable = [m for m in relevant if m in spoke_on and (day is None or day in spoke_on[m])]
        ceiling[kind].append(ndcg_at_k(sorted(reachable, key=lambda m: -relevant[m]), relevant, k))
    return {
        f"naive_ndcg@{k}": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(naive.items())},
        f"ceiling_ndcg@{k}": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(ceiling.items())},
        "reference_speeches": len(speeches),
        "reference_since": since.isoformat() if since else None,
    }
