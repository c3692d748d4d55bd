"""BM25 over passages, scored inside DuckDB.

The build stores each (term, passage) weight exactly as ``rank_bm25.BM25Okapi``
defines it (k1=1.5, b=0.75, negative idf replaced by ε·mean idf with ε=0.25);
a query is then a join of its tokens with ``postings`` and a sum, counting a
token as often as it occurs in the query, as BM25Okapi does (see
``index.search.Searcher.score_passages``).
"""

from __future__ import annotations

K1 = 1.5
B = 0.75
EPSILON = 0.25


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
