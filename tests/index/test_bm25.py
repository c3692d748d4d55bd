"""Our in-DuckDB BM25 must give exactly rank_bm25.BM25Okapi's scores on the same tokens."""

import duckdb
import pytest
from rank_bm25 import BM25Okapi

from index.search import Filters
from nlp.tokenizer import tokenize


@pytest.mark.parametrize("query", ["待機児童", "新型コロナウイルス感染症対策", "学童クラブの利用者枠を増やし質の拡充を。",
                                   "都立・公社病院の独法化", "受動喫煙 受動喫煙 防止条例"])
def test_scores_equal_rank_bm25(demo_db, searcher, query):
    con = duckdb.connect(str(demo_db), read_only=True)
    rows = con.execute(
        "SELECT passage_id, coalesce(heading || chr(10), '') || text FROM passages ORDER BY passage_id"
    ).fetchall()
    con.close()
    corpus = [tokenize(text) for _, text in rows]
    reference = BM25Okapi(corpus).get_scores(tokenize(query))
    cur = searcher.cursor()
    ours = dict(searcher.score_passages(cur, tokenize(query), Filters(), None, limit=len(rows)))
    cur.close()
    assert len(rows) > 2000
    matched = [pid for pid, s in enumerate(reference) if s != 0]
    assert matched, "the query must match something in the sample"
    for pid, _ in rows:
        assert ours.get(pid, 0.0) == pytest.approx(reference[pid], rel=1e-6, abs=1e-9)  # float32 weights
