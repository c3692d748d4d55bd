"""The benchmark harness: its statistics, its rank-bm25 reference, and a tiny run end to end."""

from __future__ import annotations

import os
from collections import Counter

import duckdb
import numpy as np
import pytest

from index import bench, synth
from index.build import build_index


def test_percentiles_nearest_rank():
    samples = [i / 1000 for i in range(1, 101)]  # 1 … 100 ms
    p = bench.percentiles(samples)
    assert p["p50_ms"] == 50.5 and p["p95_ms"] == 95.0 and p["max_ms"] == 100.0
    assert bench.percentiles([0.003])["p95_ms"] == 3.0
    assert bench.percentiles([])["p50_ms"] is None


def test_targets_pass_and_fail():
    targets = bench._targets({"build_vs_tokenizer": 0.9, "match_p95_ms": 301.0}, 1_000_000)
    assert targets["build_vs_tokenizer"] == {"target": ">= 0.8", "value": 0.9, "pass": True}
    assert targets["match_p95_ms"]["pass"] is False
    assert targets["member_search_p95_ms"]["pass"] is None  # not measured
    assert targets["all_pass"] is False and "note" not in targets
    assert "note" in bench._targets({}, 20_000)


def test_tree_rss_sums_a_process_and_its_children():
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(200 * 2**20); time.sleep(30)"])
    try:
        time.sleep(1.0)
        sampler = bench.TreeRss(os.getpid(), interval=0.01)
        sampler.start()
        time.sleep(0.2)
        rss_sum = sampler.stop()
    finally:
        child.kill()
        child.wait()
    assert rss_sum > 200  # this process and the child's 200 MB
    assert 200 < sampler.peak_mb <= rss_sum


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench-index")
    synth.synthesize(work / "raw", 600, seed=5)
    build_index(work / "raw", work / "index.duckdb", workers=1, embedding_model=None)
    return work / "index.duckdb"


def _bags_and_texts(db, make_bags) -> tuple[int, list, list[str]]:
    """A reference corpus made by ``make_bags`` and the passage texts it stands for, in id order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        size, bags = make_bags(con)
        bags = list(bags)
        texts = [r[0] for r in con.execute(
            "SELECT coalesce(heading || chr(10), '') || text FROM passages ORDER BY passage_id").fetchall()]
    finally:
        con.close()
    return size, bags, texts


def test_reference_corpus_from_postings_is_the_tokenized_text(small_index):
    from rank_bm25 import BM25Okapi

    from nlp.tokenizer import tokenize

    size, bags, texts = _bags_and_texts(small_index, bench._bags_from_postings)
    tokens = [tokenize(t) for t in texts]
    assert size == len(texts) == 600
    assert all(Counter(b) == Counter(t) for b, t in zip(bags, tokens, strict=True))
    query = tokenize("子育て支援と待機児童の解消について")
    assert np.allclose(BM25Okapi(bags).get_scores(query), BM25Okapi(tokens).get_scores(query))


def test_tokenizer_sample_is_fixed_and_rates_are_positive(small_index):
    texts = bench.sample_texts(small_index, 50, seed=1)
    assert len(texts) == 50 and texts == bench.sample_texts(small_index, 50, seed=1)
    rates = bench.measure_tokenizers(texts[:20])
    assert rates["raw_sudachi_statements_per_s_one_core"] > 0
    assert rates["gikai_tokenize_statements_per_s_one_core"] > 0


@pytest.mark.slow
def test_tiny_run_end_to_end(tmp_path):
    result = bench.run_bench(statements=1500, n_queries=6, reference_queries=3, tokenizer_sample=200,
                             work_dir=tmp_path / "work")
    assert result["errors"] == []
    assert result["corpus"]["statements"] == result["corpus"]["statements_generated"] == 1500
    assert result["corpus"]["assemblies"] > 20 and result["corpus"]["members_speaking"] > 100
    build = result["build"]
    assert build["statements_per_s"] > 0 and build["peak_rss_mb"] > 0
    assert build["tokenizer"]["raw_sudachi_statements_per_s_one_core"] > 0
    assert build["build_vs_tokenizer"] > 0
    for endpoint in bench.ENDPOINTS:
        latency = result["query"][endpoint]
        assert latency["errors"] == 0 and 0 < latency["p50_ms"] <= latency["p95_ms"]
    assert result["query"]["errors"] == 0 and result["query"]["server_peak_rss_mb"] > 0
    long = result["query"]["match_long_descriptions"]  # the ten company descriptions, three times each
    assert (long["descriptions"], long["errors"]) == (10, 0) and 0 < long["p50_ms"] <= long["p95_ms"]
    reference = result["reference_rank_bm25"]
    assert reference["n_queries"] == 3 and reference["speedup"] > 0 and reference["corpus_from"] == "postings"
    incremental = result["incremental"]
    assert incremental["statements_added"] == 15
    assert incremental["mode"] in ("incremental", "full")
    assert incremental["statements_after"] == 1515
    assert incremental["fraction_of_full"] > 0
    assert set(bench.TARGETS) <= set(result["targets"])
    assert all(isinstance(t["pass"], bool) for k, t in result["targets"].items() if k in bench.TARGETS)
    assert not (tmp_path / "work" / "raw").exists()  # not --keep: the corpus and index are removed


@pytest.mark.slow
def test_reference_falls_back_to_tokenizing(small_index):
    from nlp.tokenizer import tokenize

    size, bags, texts = _bags_and_texts(small_index, bench._bags_by_tokenizing)
    assert size == len(bags) == 600
    assert bags[:50] == [tokenize(t) for t in texts[:50]]
