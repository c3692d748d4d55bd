"""BM25 over passages, scored inside DuckDB.

The build stores each (term, passage) weight exactly as ``rank_bm25.BM25Okapi``
defines it (k1=1.5, b=0.75, negative idf replaced by ε·mean idf with ε=0.25);
a query is then a join of its tokens with ``postings`` and a sum, counting a
token as often as it occurs in the query, as BM25Okapi does.
"""

from __future__ import annotations

from collections import Counter

import duckdb

K1 = 1.5
B = 0.75
EPSILON = 0.25


def query_terms(con: duckdb.DuckDBPyConnection, tokens: list[str]) -> list[tuple[int, int]]:
    """(term_id, count in query) for the query tokens the index knows."""
    counts = Counter(tokens)
    if not counts:
        return []
    rows = con.execute("SELECT term, term_id FROM terms WHERE term IN (SELECT unnest($t))", {"t": list(counts)}).fetchall()
    return [(term_id, counts[term]) for term, term_id in rows]


def score_sql(filters: str = "") -> str:
    """SQL that scores passages for the query terms registered as table ``_q(term_id, qtf)``."""
    return f"""
        SELECT p.passage_id, sum(po.weight * q.qtf) AS bm25
        FROM _q q
        JOIN postings po ON po.term_id = q.term_id
        JOIN passages p ON p.passage_id = po.passage_id
        {('WHERE ' + filters) if filters else ''}
        GROUP BY p.passage_id
    """
