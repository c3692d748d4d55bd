"""The default embedding model: the chiVe static model adapted to assembly statements with labelled pairs.

chiVe's word vectors come from general web text; alone they rank the annotated assembly sentences
(``data/eval/statements-dev-*.jsonl``: 14 policy propositions, 10,250 prefectural-assembly sentences
judged relevant or not by three annotators) at MAP 0.789, below BM25's 0.866. The static model is
linear in its word rows (a sentence is the normalised sum of its tokens' rows), so the rows can be
trained directly on those judgements: for every proposition and every sentence, the scaled cosine
plus a per-proposition bias is a logistic guess of "relevant", and the rows move to make the guess
right (binary cross-entropy, relevant sentences weighted up to balance them, sentences that share no
word with the proposition weighted down: statement search only re-ranks BM25's candidates), held near
the chiVe rows by an L2 penalty. Only rows of words that occur in the training text move; every other
word keeps its chiVe vector, so queries about other subjects are embedded as before.

Measured by two-fold cross-validation (train on half the sentences, rank the other half;
``gikai eval statements --cross-validate 2``): dense-only MAP 0.789 → 0.934, statement search (BM25 +
embeddings at weight 0.3 + topics) 0.9125 → 0.9283. ``LAMBDA``, ``STEPS`` and ``LEARNING_RATE`` were
chosen that way before the candidate weighting (dense-only MAP on the held-out half: λ 0.1 / 1 / 10 at
300 steps, lr 0.01: 0.905 / 0.924 / 0.930; 100 steps or lr 0.003 lower); ``NON_CANDIDATE_WEIGHT`` on
statement search's MAP.

``make setup`` builds it from ``models/chive-static`` into ``models/chive-gikai`` (no network)::

    python -m nlp.finetune --base models/chive-static --out models/chive-gikai
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.embedding import (
    BASE_MODEL_DIR,
    DEFAULT_MODEL_DIR,
    GIKAI_CONFIG,
    PAD,
    REPO_ROOT,
    UNK,
    _static_files,
    is_built,
)
from nlp.embedding_eval import load_jsonl

CORPUS = REPO_ROOT / "data" / "eval" / "statements-dev-corpus.jsonl"
QUERIES = REPO_ROOT / "data" / "eval" / "statements-dev-queries.jsonl"

# Bump when the recipe changes, so `make setup` replaces models trained by an older one.
TUNE_VERSION = 2
LAMBDA = 10.0  # weight of ‖Δrows‖² / ‖rows‖² (the chiVe rows that move)
STEPS = 300  # full-batch Adam steps
LEARNING_RATE = 0.01
SCALE = 20.0  # cosine → logit
# Statement search only re-ranks what BM25 found (passages sharing a word with the query), so a pair
# without a shared word counts this much in the loss: the rows learn to order the candidates, not to
# separate what BM25 never returns. Two-fold statement MAP at weight 1 / 0.2 / 0.05 / 0: 0.9233 / 0.9267 /
# 0.9283 / 0.9288 (0 is the least steady of the folds, 0.9268 and 0.9308).
NON_CANDIDATE_WEIGHT = 0.05
SEED = 0


class TuneError(ValueError):
    """Training input that cannot be used (names the file)."""


def read_pairs(corpus_path: Path = CORPUS, queries_path: Path = QUERIES) -> tuple[list[dict], list[dict]]:
    """The statement corpus (``{id, text}``) and its queries (``{qid, query, relevant}``)."""
    try:
        corpus = load_jsonl(corpus_path, ("id", "text"))
        queries = load_jsonl(queries_path, ("query", "relevant"))
    except OSError as exc:
        raise TuneError(f"{exc.filename}: {exc.strerror}") from exc
    except ValueError as exc:
        raise TuneError(str(exc)) from exc
    for path, rows in ((corpus_path, corpus), (queries_path, queries)):
        if not rows:
            raise TuneError(f"{path}: no rows")
    return corpus, queries


def fold_of(statement_id: str, folds: int) -> int:
    """A statement's cross-validation fold: fixed by its id, the same on every machine."""
    return zlib.crc32(str(statement_id).encode("utf-8")) % folds


def _token_rows(vocab: dict[str, int], token_lists: Sequence[Sequence[str]]) -> list[list[int]]:
    """Each text's rows, as the static model reads its Sudachi tokens: split at spaces, unknown → [UNK]."""
    unk = vocab.get(UNK, 0)
    return [[vocab.get(word, unk) for token in tokens for word in token.split()] for tokens in token_lists]


def tune_rows(vocab: dict[str, int], rows: np.ndarray, corpus: list[dict], queries: list[dict], *,
              lam: float = LAMBDA, steps: int = STEPS, lr: float = LEARNING_RATE,
              non_candidate: float = NON_CANDIDATE_WEIGHT) -> tuple[np.ndarray, dict]:
    """The model's rows trained on the judgements (a copy; ``rows`` is unchanged) and what was trained."""
    import torch

    from nlp.tokenizer import tokenize

    torch.manual_seed(SEED)
    doc_tokens = [tokenize(d["text"]) for d in corpus]
    ask_tokens = [tokenize(q["query"]) for q in queries]
    docs, asks = _token_rows(vocab, doc_tokens), _token_rows(vocab, ask_tokens)
    fixed = {vocab.get(UNK, -1), vocab.get(PAD, -1)}
    used = sorted({r for toks in docs + asks for r in toks} - fixed)
    if not used:
        raise TuneError("no known word in the training text")
    at = {r: k for k, r in enumerate(used)}

    def counts(token_rows: list[list[int]]):
        coords = [(i, at[r]) for i, toks in enumerate(token_rows) for r in toks if r in at]
        index = torch.tensor(np.array(coords, dtype=np.int64).T.reshape(2, -1))
        return torch.sparse_coo_tensor(index, torch.ones(len(coords)), (len(token_rows), len(used)),
                                       check_invariants=False).coalesce()

    docs_m, asks_m = counts(docs), counts(asks)
    ids = [str(d["id"]) for d in corpus]
    labels = torch.tensor([[1.0 if i in rel else 0.0 for i in ids] for rel in ({str(r) for r in q["relevant"]} for q in queries)])
    # BM25's candidates: the statements that share a search token with the query.
    doc_words = [set(tokens) for tokens in doc_tokens]
    pair_weight = torch.tensor([[1.0 if words & set(ask) else non_candidate for words in doc_words]
                                for ask in ask_tokens])
    positives = float(labels.sum())
    if positives == 0:
        raise TuneError("no relevant statement among the training queries")
    pos_weight = torch.tensor((labels.numel() - positives) / positives)
    base = torch.tensor(rows[used])
    norm = float(base.pow(2).sum())
    delta = torch.zeros_like(base, requires_grad=True)
    bias = torch.zeros(len(queries), 1, requires_grad=True)
    opt = torch.optim.Adam([delta, bias], lr=lr)

    def embed(m, w):
        e = torch.sparse.mm(m, w)
        return e / e.norm(dim=1, keepdim=True).clamp_min(1e-12)

    loss = None
    for _ in range(steps):
        w = base + delta
        logits = SCALE * (embed(asks_m, w) @ embed(docs_m, w).T) + bias
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, weight=pair_weight,
                                                                    pos_weight=pos_weight) \
            + lam * delta.pow(2).sum() / norm
        opt.zero_grad()
        loss.backward()
        opt.step()
    tuned = rows.copy()
    tuned[used] = (base + delta).detach().numpy()
    return tuned, {"statements": len(corpus), "queries": len(queries), "relevant_pairs": int(positives),
                   "rows_trained": len(used), "steps": steps, "lambda": lam, "learning_rate": lr,
                   "non_candidate_weight": non_candidate,
                   "final_loss": round(loss.item(), 5) if loss is not None else None}


def write_model(base_dir: Path, out_dir: Path, rows: np.ndarray, trained: dict) -> Path:
    """``base_dir`` with its rows replaced, written to a temp dir and moved into ``out_dir``."""
    from safetensors.numpy import load_file, save_file

    base_dir, out_dir = Path(base_dir), Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
    try:
        for path in base_dir.iterdir():
            if path.is_file():
                shutil.copy2(path, staging / path.name)  # copy2 keeps mtimes: the vocabulary cache stays valid
        weights = load_file(str(base_dir / "model.safetensors"))
        weights["embedding.weight"] = rows.astype(np.float32)
        save_file(weights, str(staging / "model.safetensors"))
        config = json.loads((base_dir / GIKAI_CONFIG).read_text(encoding="utf-8"))
        config["fine_tuned"] = {"tune_version": TUNE_VERSION, "base": base_dir.name, **trained}
        (staging / GIKAI_CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
        card = staging / "README.md"
        if card.exists():
            with card.open("a", encoding="utf-8") as out:
                out.write(f"\n## Trained for gikai\n\n{base_dir.name} with its word rows trained on labelled prefectural-"
                          "assembly statements (NTCIR QA Lab-PoliInfo, 14 policy propositions) by `nlp/finetune.py`; "
                          f"`{GIKAI_CONFIG}` records how. Words outside the training text keep their chiVe rows.\n")
        staging.chmod(0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def base_files(base_dir: Path) -> tuple[dict[str, int], np.ndarray]:
    if not is_built(base_dir):
        raise TuneError(f"{base_dir}: no built chiVe model (python -m nlp.embedding build --out {base_dir})")
    found = _static_files(base_dir)
    if found is None:
        raise TuneError(f"{base_dir}: not a static word-level model")
    return found


def is_tuned(out_dir: Path) -> bool:
    try:
        config = json.loads((Path(out_dir) / GIKAI_CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (config.get("fine_tuned") or {}).get("tune_version") == TUNE_VERSION and is_built(Path(out_dir))


def build_tuned_model(base_dir: Path = BASE_MODEL_DIR, out_dir: Path = DEFAULT_MODEL_DIR, *,
                      corpus_path: Path = CORPUS, queries_path: Path = QUERIES, force: bool = False) -> Path:
    """Train the default model from the chiVe model on the labelled statements; no-op when built."""
    if is_tuned(out_dir) and not force:
        return Path(out_dir)
    vocab, rows = base_files(Path(base_dir))
    corpus, queries = read_pairs(corpus_path, queries_path)
    tuned, trained = tune_rows(vocab, rows, corpus, queries)
    trained["trained_on"] = f"{Path(corpus_path).name}, {Path(queries_path).name}"
    return write_model(Path(base_dir), Path(out_dir), tuned, trained)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.finetune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, default=BASE_MODEL_DIR, help="the chiVe model (python -m nlp.embedding build)")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="where the tuned model goes")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--force", action="store_true", help="train again even when the model is built")
    args = parser.parse_args(argv)
    if is_tuned(args.out) and not args.force:
        print(f"{args.out}: already built")
        return 0
    try:
        out = build_tuned_model(args.base, args.out, corpus_path=args.corpus, queries_path=args.queries, force=True)
    except TuneError as exc:
        parser.exit(2, f"python -m nlp.finetune: {exc}\n")
    trained = json.loads((out / GIKAI_CONFIG).read_text(encoding="utf-8"))["fine_tuned"]
    print(f"{out}: built ({trained['rows_trained']:,} rows trained on {trained['statements']:,} statements, "
          f"{trained['queries']} queries, loss {trained['final_loss']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
