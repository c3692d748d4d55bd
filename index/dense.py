"""Passage embeddings: stored in DuckDB at build time, searched in memory at query time.

Vectors are L2-normalized, so cosine similarity is a dot product. A corpus the
size of a prefecture (10⁵–10⁶ passages × 300 floats) fits in memory and one
matrix–vector product answers a query in milliseconds, which is why there is
no ANN index here (see docs/scaling.md for where that changes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa

ENCODE_BATCH = 512


class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def encode_passages(embedder: Embedder, texts: list[str]) -> np.ndarray:
    chunks = [embedder.encode_passages(texts[i : i + ENCODE_BATCH * 8]) for i in range(0, len(texts), ENCODE_BATCH * 8)]
    return np.concatenate(chunks) if chunks else np.zeros((0, embedder.dim), dtype=np.float32)


def write_embeddings(con: duckdb.DuckDBPyConnection, vectors: np.ndarray, passage_ids: list[int], model_spec: str) -> int:
    """Store passage vectors; ``model_spec`` is what loads the same model again for queries."""
    vectors = np.asarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    con.execute(f"CREATE TABLE embeddings (passage_id INTEGER NOT NULL, vec FLOAT[{dim}] NOT NULL)")
    table = pa.table(
        {
            "passage_id": pa.array(passage_ids, pa.int32()),
            "vec": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim),
        }
    )
    con.register("_emb", table)
    con.execute("INSERT INTO embeddings SELECT passage_id, vec FROM _emb")
    con.unregister("_emb")
    con.execute(
        "INSERT OR REPLACE INTO build_info VALUES ('embedding_model', $m), ('embedding_dim', $d)",
        {"m": model_spec, "d": str(dim)},
    )
    return len(passage_ids)


# Up to this many bytes the matrix is float32; beyond, each row is stored as int8 with its own
# scale: a quarter of the memory (300 MB for a million passages), and cosines move by ~1e-3,
# far below what changes a ranking.
FLOAT32_BYTES = 128 * 1024 * 1024
LOAD_CHUNK = 100_000
# The baseline cosine of a selection is a mean: exact up to BASELINE_EXACT passages, beyond that a
# fixed sample of BASELINE_SAMPLE estimates it to ~2e-3, so a query over a million passages does
# not multiply a million vectors.
BASELINE_EXACT = 20_000
BASELINE_SAMPLE = 4_096
# Sampled rows of this many large selections stay gathered (float32, 4.9 MB each at 300-d): the
# same filters recur, and gathering 4,096 rows spread over the matrix was 3 of a search's ~25 ms.
# Not in the searcher's per-mask cache (``_State.of_mask``): that keeps 128 entries, up to 630 MB
# of these against a 2 GB server.
BASELINE_CACHE = 8


class DenseIndex:
    """All passage vectors of one index file, as one matrix whose row i is passage i."""

    def __init__(self, matrix: np.ndarray, present: np.ndarray, model: str | None, scale: np.ndarray | None = None):
        self.matrix = matrix
        self.present = present
        self.model = model
        self.fingerprint = ""  # of the model build that made the vectors (Embedder.fingerprint), "" if unknown
        self.scale = scale  # per row, when the matrix is int8
        self._samples: OrderedDict[int, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def passage_ids(self) -> np.ndarray:
        return np.flatnonzero(self.present)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> DenseIndex | None:
        has = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'embeddings'"
        ).fetchall()[0][0]
        if not has:
            return None
        size, dim = con.execute(
            "SELECT coalesce(max(passage_id) + 1, 0), max(len(vec)) FROM embeddings").fetchall()[0]
        dim = dim or 1
        quantize = size * dim * 4 > FLOAT32_BYTES
        matrix = np.zeros((size, dim), dtype=np.int8 if quantize else np.float32)
        scale = np.zeros(size, dtype=np.float32) if quantize else None
        present = np.zeros(size, dtype=bool)
        # In chunks of passage ids, so loading never holds a second float32 copy of everything.
        for lo in range(0, size, LOAD_CHUNK):
            relation = con.sql(
                f"SELECT passage_id, vec FROM embeddings WHERE passage_id >= {lo} AND passage_id < {lo + LOAD_CHUNK}")
            # DuckDB 2 renamed fetch_arrow_table() to to_arrow_table().
            table = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()
            if table.num_rows == 0:
                continue
            ids = table.column("passage_id").to_numpy()
            vec = table.column("vec").combine_chunks()
            rows = vec.flatten().to_numpy().reshape(-1, dim)
            if quantize:
                row_scale = np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127.0
                matrix[ids] = np.rint(rows / row_scale[:, None]).astype(np.int8)
                scale[ids] = row_scale
            else:
                matrix[ids] = rows
            present[ids] = True
        info = dict(con.execute("SELECT key, value FROM build_info WHERE key IN "
                                "('embedding_model', 'embedding_fingerprint')").fetchall())
        dense = cls(matrix, present, info.get("embedding_model"), scale)
        dense.fingerprint = info.get("embedding_fingerprint") or ""
        return dense

    def similarities(self, query: np.ndarray, passage_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(passage_ids, cosine) for the given passages, or for all."""
        if passage_ids is None:
            passage_ids = self.passage_ids
        ids = np.asarray(passage_ids, dtype=np.int64)
        cos = self.matrix[ids].astype(np.float32, copy=False) @ query.astype(np.float32, copy=False)
        return ids, cos * self.scale[ids] if self.scale is not None else cos

    def baseline(self, query: np.ndarray, allowed: np.ndarray) -> tuple[float, float]:
        """(mean, max) cosine of the query over a selection; estimated on a fixed sample of large ones."""
        if len(allowed) <= BASELINE_EXACT:
            _, cos = self.similarities(query, allowed)
        else:
            rows, scale = self._sample_rows(allowed)
            cos = rows @ query.astype(np.float32, copy=False)
            cos = cos * scale if scale is not None else cos
        return float(np.mean(cos)), float(np.max(cos))

    def _sample_rows(self, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The fixed sample of a large selection, gathered once per selection array (the searcher
        keeps one array per set of filters, so identity is the key)."""
        key = id(allowed)
        with self._lock:
            hit = self._samples.get(key)
            if hit is not None and hit[0] is allowed:
                self._samples.move_to_end(key)
                return hit[1], hit[2]
        ids = np.asarray(allowed, dtype=np.int64)
        ids = ids[np.linspace(0, len(ids) - 1, BASELINE_SAMPLE).astype(np.int64)]
        rows = self.matrix[ids].astype(np.float32, copy=False)
        scale = self.scale[ids] if self.scale is not None else None
        with self._lock:
            self._samples[key] = (allowed, rows, scale)
            while len(self._samples) > BASELINE_CACHE:
                self._samples.popitem(last=False)
        return rows, scale
