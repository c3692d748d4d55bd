"""Statement-retrieval quality of dense, BM25 and fused ranking on the topic-relevance dev pairs.

The pairs come from the NTCIR QA Lab-PoliInfo classification set: every policy topic is a query and
every distinct utterance a document, relevant to the topic(s) it was annotated under when most
annotators said so (see ``data/eval/SOURCE.md``). Each query ranks the whole corpus, so utterances
annotated under other topics count as non-relevant.

    python -m nlp.embedding_eval                      # the default model, JSON on stdout
    python -m nlp.embedding_eval --model cl-nagoya/ruri-v3-30m
    python -m nlp.embedding_eval write-pairs SRC.jsonl  # regenerate data/eval/statements-dev-*.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO_ROOT / "data" / "eval"
CORPUS = EVAL_DIR / "statements-dev-corpus.jsonl"
QUERIES = EVAL_DIR / "statements-dev-queries.jsonl"


def _majority_relevant(votes: Sequence[int]) -> bool:
    return sum(1 for v in votes if v == 1) * 2 > len(votes)


def pairs_from_topic_relevance(rows: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """Annotated rows → (corpus ``{id, text}``, queries ``{qid, query, relevant}``); ids are stable
    for a given file: documents numbered by first appearance, topics likewise."""
    doc_ids: dict[str, str] = {}
    relevant: dict[str, list[str]] = {}
    for row in rows:
        text = row["utterance"].strip()
        if text not in doc_ids:
            doc_ids[text] = f"stmt-{len(doc_ids) + 1:05d}"
        ids = relevant.setdefault(row["topic"], [])
        if _majority_relevant(row["relevance_votes"]) and doc_ids[text] not in ids:
            ids.append(doc_ids[text])
    corpus = [{"id": i, "text": t} for t, i in doc_ids.items()]
    queries = [
        {"qid": f"topic-{n + 1:02d}", "query": topic, "relevant": ids}
        for n, (topic, ids) in enumerate(relevant.items())
    ]
    return corpus, queries


def write_pairs(src: Path, corpus_path: Path = CORPUS, queries_path: Path = QUERIES) -> tuple[int, int]:
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus, queries = pairs_from_topic_relevance(rows)
    for path, items in ((corpus_path, corpus), (queries_path, queries)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items), encoding="utf-8")
    return len(corpus), len(queries)


def load_jsonl(path: str | Path, required: tuple[str, ...] = ()) -> list[dict]:
    """The objects of a JSONL file (blank lines skipped); a line that is not JSON or lacks a
    ``required`` key is a ValueError naming the file and line."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_no}: not JSON: {exc}") from exc
            missing = [k for k in required if k not in row] if isinstance(row, dict) else list(required)
            if missing or not isinstance(row, dict):
                raise ValueError(f"{path}:{line_no}: missing {', '.join(missing) or 'an object'}")
            rows.append(row)
    return rows


# --- metrics -----------------------------------------------------------------------------------


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for rank, doc_id in enumerate(ranked, start=1):
        if doc_id in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int = 100) -> float:
    dcg = sum(1 / math.log2(r + 1) for r, d in enumerate(ranked[:k], start=1) if d in relevant)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal if ideal else 0.0


def zscore(scores: np.ndarray) -> np.ndarray:
    std = scores.std()
    return (scores - scores.mean()) / std if std > 0 else scores - scores.mean()


# --- rankers: each maps (queries, documents) to a (n_queries, n_docs) score matrix ----------------

Scorer = Callable[[list[str], list[str]], np.ndarray]


def bm25_scorer(queries: list[str], docs: list[str]) -> np.ndarray:
    from rank_bm25 import BM25Okapi

    from nlp.tokenizer import tokenize

    bm25 = BM25Okapi([tokenize(d) or ["∅"] for d in docs])
    return np.stack([bm25.get_scores(tokenize(q)) for q in queries])


def dense_scorer(embedder) -> Scorer:
    def score(queries: list[str], docs: list[str]) -> np.ndarray:
        return embedder.encode_queries(queries) @ embedder.encode_passages(docs).T

    return score


def fuse(*matrices: np.ndarray, weights: Sequence[float] | None = None) -> np.ndarray:
    """Per-query z-score fusion: Σ wᵢ · z(scoresᵢ)."""
    weights = weights or [1.0] * len(matrices)
    return sum(w * np.stack([zscore(row) for row in m]) for w, m in zip(weights, matrices, strict=True))


def evaluate(scores: np.ndarray, doc_ids: list[str], queries: list[dict], k: int = 100) -> dict[str, float]:
    aps, ndcgs = [], []
    ids = np.asarray(doc_ids)
    for row, q in zip(scores, queries, strict=True):
        ranked = ids[np.argsort(-row, kind="stable")].tolist()
        rel = set(q["relevant"])
        aps.append(average_precision(ranked, rel))
        ndcgs.append(ndcg_at(ranked, rel, k))
    return {"map": round(float(np.mean(aps)), 4), f"ndcg@{k}": round(float(np.mean(ndcgs)), 4)}


def run(model: str | None = None, corpus_path: Path = CORPUS, queries_path: Path = QUERIES) -> dict:
    """MAP and nDCG@100 of dense, BM25 and their z-score fusion on the dev pairs."""
    from nlp.embedding import Embedder

    corpus, queries = load_jsonl(corpus_path, ("id", "text")), load_jsonl(queries_path, ("query", "relevant"))
    doc_ids, texts = [d["id"] for d in corpus], [d["text"] for d in corpus]
    qtexts = [q["query"] for q in queries]
    embedder = Embedder.load(model)
    dense = dense_scorer(embedder)(qtexts, texts)
    bm25 = bm25_scorer(qtexts, texts)
    return {
        "model": embedder.name,
        "docs": len(doc_ids),
        "queries": len(queries),
        "dense": evaluate(dense, doc_ids, queries),
        "bm25": evaluate(bm25, doc_ids, queries),
        "fusion": evaluate(fuse(dense, bm25), doc_ids, queries),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["write-pairs"]:
        p = argparse.ArgumentParser(prog="python -m nlp.embedding_eval write-pairs")
        p.add_argument(
            "src", type=Path, help="topic-relevance JSONL ({id, topic, utterance, relevance_votes})"
        )
        args = p.parse_args(argv[1:])
        n_docs, n_queries = write_pairs(args.src)
        print(f"wrote {n_docs} documents to {CORPUS} and {n_queries} queries to {QUERIES}")
        return 0
    p = argparse.ArgumentParser(prog="python -m nlp.embedding_eval", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--model", default=None, help="model dir or Hugging Face id (default: the built chiVe model)"
    )
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--queries", type=Path, default=QUERIES)
    args = p.parse_args(argv)
    print(json.dumps(run(args.model, args.corpus, args.queries), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
