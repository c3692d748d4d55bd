"""Ranking quality on labelled queries (`gikai eval`).

Member queries (``member-queries-dev.jsonl``)::

    {"qid": "dev-topic-3", "kind": "topic", "query": "子育て支援", "date": "2020-02-26",
     "relevant": {"増子ひろき": 4, "森澤恭子": 2}}

Labels say who asked about the topic *in that day's session*, so by default the
query is restricted to that date (the product's since/until filter); pass
``use_date=False`` to rank over the whole index. Members are matched by
normalized name (``nlp.names.name_key``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import date
from pathlib import Path

from index.search import Filters, Searcher
from nlp.names import name_key


def ndcg_at_k(ranked: list[str], relevant: dict[str, float], k: int) -> float:
    dcg = sum(relevant.get(key, 0.0) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def load_queries(path: str | Path) -> list[dict]:
    queries = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                q = json.loads(line)
                q["query"], q["relevant"]  # noqa: B018 - required keys
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{line_no}: not a query object with 'query' and 'relevant': {exc}") from exc
            queries.append(q)
    return queries


def evaluate_members(searcher: Searcher, queries: list[dict], k: int = 10, use_date: bool = True) -> dict:
    per_kind: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        filters = Filters()
        if use_date and q.get("date"):
            day = date.fromisoformat(q["date"])
            filters = Filters(since=day, until=day)
        ranked = [name_key(m.name) for m in searcher.search_members(q["query"], limit=k, filters=filters, evidence=0)]
        relevant = {name_key(n): float(g) for n, g in q["relevant"].items()}
        per_kind[q.get("kind", "all")].append(ndcg_at_k(ranked, relevant, k))
    result: dict = {f"ndcg@{k}": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(per_kind.items())}}
    result["n"] = {kind: len(v) for kind, v in sorted(per_kind.items())}
    result["date_filter"] = use_date
    return result
