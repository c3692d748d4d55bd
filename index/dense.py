"""Passage embeddings: stored in DuckDB at build time, searched in memory at query time.

Vectors are L2-normalized, so cosine similarity is a dot product. A corpus the
size of a prefecture (10⁵–10⁶ passages × 300 floats) fits in memory and one
matrix–vector product answers a query in milliseconds, which is why there is
no ANN index here (see docs/scaling.md for where that changes).
"""

from __future__ import annotations

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
    con.execute(f"CREATE TABLE embeddings (passage_id INTEGER PRIMARY KEY, vec FLOAT[{dim}] NOT NULL)")
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


class DenseIndex:
    """All passage vectors of one index file, as one matrix."""

    def __init__(self, passage_ids: np.ndarray, matrix: np.ndarray, model: str | None):
        self.passage_ids = passage_ids
        self.matrix = matrix
        self.model = model

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> DenseIndex | None:
        has = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'embeddings'"
        ).fetchall()[0][0]
        if not has:
            return None
        relation = con.sql("SELECT passage_id, vec FROM embeddings ORDER BY passage_id")
        # DuckDB 2 renamed fetch_arrow_table() to to_arrow_table().
        table = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()
        ids = table.column("passage_id").to_numpy()
        vec = table.column("vec").combine_chunks()
        dim = vec.type.list_size
        matrix = vec.flatten().to_numpy().astype(np.float32, copy=False).reshape(-1, dim)
        model = con.execute("SELECT value FROM build_info WHERE key = 'embedding_model'").fetchall()
        return cls(ids, matrix, model[0][0] if model else None)

    def rows(self, passage_ids: list[int] | np.ndarray) -> np.ndarray:
        # passage_ids is sorted (loaded ORDER BY passage_id), so rows are a vectorized search.
        return np.searchsorted(self.passage_ids, np.asarray(passage_ids, dtype=self.passage_ids.dtype))

    def similarities(self, query: np.ndarray, passage_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(passage_ids, cosine) for the given passages, or for all."""
        if passage_ids is None:
            return self.passage_ids, self.matrix @ query
        rows = self.rows(passage_ids)
        return np.asarray(passage_ids), self.matrix[rows] @ query
