"""The dense index's baseline cosine: a fixed sample of large selections, gathered once per selection."""

from __future__ import annotations

import numpy as np
import pytest

from index.dense import BASELINE_CACHE, BASELINE_EXACT, BASELINE_SAMPLE, DenseIndex


def _int8_index(n: int, dim: int = 16, seed: int = 0) -> DenseIndex:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(-127, 128, size=(n, dim), dtype=np.int8)
    scale = rng.uniform(0.001, 0.01, size=n).astype(np.float32)
    return DenseIndex(matrix, np.ones(n, dtype=bool), "test", scale)


def _expected(index: DenseIndex, query: np.ndarray, allowed: np.ndarray) -> tuple[float, float]:
    ids = allowed.astype(np.int64)
    if len(ids) > BASELINE_EXACT:
        ids = ids[np.linspace(0, len(ids) - 1, BASELINE_SAMPLE).astype(np.int64)]
    _, cos = index.similarities(query, ids)
    return float(np.mean(cos)), float(np.max(cos))


def test_baseline_of_a_large_selection_is_its_fixed_sample_and_is_cached():
    index = _int8_index(BASELINE_EXACT * 2)
    rng = np.random.default_rng(1)
    queries = [rng.normal(size=16).astype(np.float32) for _ in range(3)]
    everything = np.arange(BASELINE_EXACT * 2, dtype=np.int32)
    odd = everything[1::2].copy()  # still above BASELINE_EXACT: sampled
    odd = np.concatenate([odd, everything[:10]])
    odd.sort()

    for q in queries:
        assert index.baseline(q, everything) == _expected(index, q, everything)
        assert index.baseline(q, odd) == _expected(index, q, odd)
    assert len(index._samples) == 2  # one gathered sample per selection array, reused by every query

    # A selection that differs only in content, not in length, gets its own sample.
    shifted = everything[::-1].copy()
    assert index.baseline(queries[0], shifted) == _expected(index, queries[0], shifted)


def test_small_selections_are_exact_and_not_cached():
    index = _int8_index(5_000)
    q = np.random.default_rng(2).normal(size=16).astype(np.float32)
    allowed = np.arange(0, 5_000, 3, dtype=np.int32)
    # Independently of DenseIndex: row i stands for matrix[i] * scale[i], so its cosine is that row · q.
    rows = index.matrix[allowed].astype(np.float64) * index.scale[allowed].astype(np.float64)[:, None]
    cos = rows @ q.astype(np.float64)
    mean, top = index.baseline(q, allowed)
    assert mean == pytest.approx(float(np.mean(cos)), rel=1e-5, abs=1e-6)
    assert top == pytest.approx(float(np.max(cos)), rel=1e-5, abs=1e-6)
    assert len(index._samples) == 0


def test_the_sample_cache_is_bounded():
    index = _int8_index(BASELINE_EXACT + 100)
    q = np.ones(16, dtype=np.float32)
    selections = [np.arange(i, BASELINE_EXACT + 100, dtype=np.int32) for i in range(BASELINE_CACHE + 3)]
    for allowed in selections:
        assert index.baseline(q, allowed) == _expected(index, q, allowed)
    assert len(index._samples) == BASELINE_CACHE
    # The most recent selections are the ones kept.
    kept = {id(entry[0]) for entry in index._samples.values()}
    assert kept == {id(a) for a in selections[-BASELINE_CACHE:]}
