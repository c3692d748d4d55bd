"""index.analysis: what the build's workers (and its main process, for a small increment) compute."""

from __future__ import annotations

import threading

import duckdb

from index import analysis
from nlp import tokenizer


def test_tokenizing_in_threads_gives_the_tokens_of_one_thread(demo_db, monkeypatch):
    con = duckdb.connect(str(demo_db), read_only=True)
    texts = [t for (t,) in con.execute("SELECT text FROM passages ORDER BY passage_id LIMIT 1200").fetchall()]
    con.close()
    one = analysis._tokenize_all(texts, threads=1)

    seen: set[int] = set()
    real = tokenizer.tokenize

    def tokenize(text: str) -> list[str]:
        seen.add(threading.get_ident())
        return real(text)

    monkeypatch.setattr(tokenizer, "tokenize", tokenize)
    assert analysis._tokenize_all(texts, threads=3) == one  # same tokens, same order
    assert len(seen) == 3 and threading.get_ident() not in seen
    seen.clear()
    assert analysis._tokenize_all(texts[: analysis.THREADED_TOKENIZE_MIN - 1], threads=3) == one[: analysis.THREADED_TOKENIZE_MIN - 1]
    assert seen == {threading.get_ident()}  # a few passages: no threads
