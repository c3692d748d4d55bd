"""nlp.finetune: the chiVe rows trained on the labelled assembly statements (the default model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlp import finetune
from nlp.embedding import DEFAULT_MODEL_DIR, Embedder, _bag_of_rows, is_built
from nlp.embedding_eval import average_precision
from nlp.finetune import TuneError, base_files, fold_of, is_tuned, read_pairs, tune_rows, write_model
from nlp.tokenizer import tokenize

ROOT = Path(__file__).resolve().parents[2]
# The first 1,200 labelled statements cover all 14 propositions (about 85 each): small enough to train in seconds.
SUBSET = 1200


@pytest.fixture(scope="module")
def base():
    if not is_built(finetune.BASE_MODEL_DIR):
        pytest.skip("models/chive-static is not built (make setup)")
    return base_files(finetune.BASE_MODEL_DIR)


@pytest.fixture(scope="module")
def labelled() -> tuple[list[dict], list[dict]]:
    corpus, queries = read_pairs()
    corpus = corpus[:SUBSET]
    return corpus, within(queries, corpus)


def within(queries: list[dict], corpus: list[dict]) -> list[dict]:
    ids = {d["id"] for d in corpus}
    return [{**q, "relevant": [r for r in q["relevant"] if r in ids]} for q in queries]


def dense_map(vocab, rows, corpus, queries) -> float:
    """Dense-only MAP with these rows, read as the static model reads them (Embedder's numpy path)."""
    docs = _bag_of_rows((vocab, rows), [tokenize(d["text"]) for d in corpus])
    asks = _bag_of_rows((vocab, rows), [tokenize(q["query"]) for q in queries])
    ids = [d["id"] for d in corpus]
    aps = []
    for vec, q in zip(asks, queries, strict=True):
        ranked = [ids[i] for i in np.argsort(-(docs @ vec), kind="stable")]
        aps.append(average_precision(ranked, set(q["relevant"])))
    return float(np.mean(aps))


def test_training_on_half_the_labels_ranks_the_other_half_better(base, labelled):
    vocab, rows = base
    corpus, queries = labelled
    train = [d for d in corpus if fold_of(d["id"], 2) == 0]
    held = [d for d in corpus if fold_of(d["id"], 2) == 1]
    tuned, trained = tune_rows(vocab, rows, train, within(queries, train))
    before = dense_map(vocab, rows, held, within(queries, held))
    after = dense_map(vocab, tuned, held, within(queries, held))
    # Measured: 0.824 → 0.927 on these 601 held-out statements (two folds of the whole file: 0.789 → 0.934).
    assert after > before + 0.08, (before, after)
    assert trained["statements"] == len(train) and trained["queries"] == 14 and trained["steps"] == finetune.STEPS


def test_only_the_rows_of_training_words_move(base, labelled):
    vocab, rows = base
    corpus, queries = labelled
    tuned, trained = tune_rows(vocab, rows, corpus[:300], within(queries, corpus[:300]))
    moved = np.flatnonzero(np.any(tuned != rows, axis=1))
    assert 0 < len(moved) <= trained["rows_trained"] < 20_000
    # 待機児童 is not in these prefectural debates about bases, casinos and dams: its vector is chiVe's.
    assert vocab["待機児童"] not in set(moved.tolist())
    assert vocab["オスプレイ"] in set(moved.tolist()) or vocab["普天間"] in set(moved.tolist())
    assert rows is not tuned and not np.shares_memory(rows, tuned)


def test_the_written_model_loads_and_says_how_it_was_trained(base, labelled, tmp_path):
    vocab, rows = base
    corpus, queries = labelled
    tuned, trained = tune_rows(vocab, rows, corpus[:200], within(queries, corpus[:200]), steps=5)
    out = write_model(finetune.BASE_MODEL_DIR, tmp_path / "tuned", tuned, trained)
    assert is_tuned(out) and not is_tuned(finetune.BASE_MODEL_DIR)
    config = json.loads((out / "gikai.json").read_text(encoding="utf-8"))
    assert config["fine_tuned"]["base"] == "chive-static" and config["fine_tuned"]["steps"] == 5
    model = Embedder.load(str(out))
    plain = Embedder.load(str(finetune.BASE_MODEL_DIR))
    assert model.dim == 300 and model.pretokenize
    # The index's fingerprint tells a retrained model from the plain one, so a build redoes the vectors.
    assert model.fingerprint and model.fingerprint != plain.fingerprint
    text = "普天間基地へのオスプレイ配備に反対します。"
    assert not np.allclose(model.encode_passages([text]), plain.encode_passages([text]))


def test_the_default_model_is_the_trained_one():
    if not is_tuned(DEFAULT_MODEL_DIR):
        pytest.skip("models/chive-gikai is not built (make setup)")
    config = json.loads((DEFAULT_MODEL_DIR / "gikai.json").read_text(encoding="utf-8"))["fine_tuned"]
    assert config["statements"] == 10250 and config["queries"] == 14 and config["tune_version"] == finetune.TUNE_VERSION
    assert Embedder.load(None).name == "chive-gikai"


def test_bad_training_files_are_named(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "s1", "text": "カジノ"}\nnot json\n', encoding="utf-8")
    with pytest.raises(TuneError, match=r"corpus.jsonl:2: not JSON"):
        read_pairs(corpus, ROOT / "data/eval/statements-dev-queries.jsonl")
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"qid": "q"}\n', encoding="utf-8")
    corpus.write_text('{"id": "s1", "text": "カジノ"}\n', encoding="utf-8")
    with pytest.raises(TuneError, match=r"queries.jsonl:1: missing query, relevant"):
        read_pairs(corpus, queries)
    with pytest.raises(TuneError, match=r"missing.jsonl"):
        read_pairs(tmp_path / "missing.jsonl", queries)


def test_folds_are_fixed_by_id():
    assert [fold_of(f"stmt-{i:05d}", 2) for i in range(1, 9)] == [fold_of(f"stmt-{i:05d}", 2) for i in range(1, 9)]
    assert {fold_of(f"stmt-{i:05d}", 2) for i in range(1, 200)} == {0, 1}
