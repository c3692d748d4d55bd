"""Ranking quality on labelled queries (`gikai eval`).

Member queries (``member-queries-dev.jsonl``)::

    {"qid": "dev-topic-3", "kind": "topic", "query": "子育て支援", "date": "2020-02-26",
     "relevant": {"増子ひろき": 4, "森澤恭子": 2}}

A query is a subject a member raised on ``date``; its labels grade that member 2 and
the members who took up the same subject in the session 1, many of them on another
day of it. ``dates`` says how the date is used:

* ``around`` (the default): the session day, as ``GET /v1/members/search?on=`` does
  (``index.session_day``): members who raised it that day lead, then the days around it;
* ``day``: only that day (``since = until = date``); the labels cap summary at 0.937;
* ``none``: the whole index.

Members are matched by normalized name (``nlp.names.name_key``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from index.search import Filters, Searcher
from index.session_day import AROUND_DAYS, LEAD_SHARE, SessionDay
from nlp.embedding_eval import average_precision, load_jsonl
from nlp.names import name_key


def ndcg_at_k(ranked: list[str], relevant: dict[str, float], k: int) -> float:
    dcg = sum(relevant.get(key, 0.0) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def load_queries(path: str | Path) -> list[dict]:
    return load_jsonl(path, ("query", "relevant"))


DATE_MODES = ("around", "day", "none")


def query_scope(q: dict, dates: str, around: int = AROUND_DAYS,
                lead_share: float = LEAD_SHARE) -> tuple[Filters, SessionDay | None]:
    """The filters and session day a query is ranked with under ``dates`` (see the module's docstring)."""
    if dates not in DATE_MODES:
        raise ValueError(f"dates: {dates!r}; expected one of {', '.join(DATE_MODES)}")
    if dates == "none" or not q.get("date"):
        return Filters(), None
    day = date.fromisoformat(q["date"])
    if dates == "day":
        return Filters(since=day, until=day), None
    return Filters(), SessionDay(day, around, lead_share)


def evaluate_members(searcher: Searcher, queries: list[dict], k: int = 10, dates: str = "around",
                     via: str = "search", around: int = AROUND_DAYS, lead_share: float = LEAD_SHARE) -> dict:
    """nDCG@k per query kind. ``via="match"`` sends each query as a solution description to
    ``POST /v1/match``'s ranking (``index.match``) instead of member search."""
    if via not in ("search", "match"):
        raise ValueError(f"via: {via!r}; expected 'search' or 'match'")
    from index.match import match_members

    per_kind: dict[str, list[float]] = defaultdict(list)
    first_best: dict[str, list[bool]] = defaultdict(list)  # is the first member one of the highest graded?
    for q in queries:
        filters, session_day = query_scope(q, dates, around, lead_share)
        if via == "match":
            outcome = match_members(searcher, q["query"], filters, limit=k, session_day=session_day)
            members = [m.member for m in outcome.members]
        else:
            members = searcher.search_members(q["query"], limit=k, filters=filters, evidence=0,
                                              session_day=session_day)
        ranked = [name_key(m.name) for m in members]
        relevant = {name_key(n): float(g) for n, g in q["relevant"].items()}
        per_kind[q.get("kind", "all")].append(ndcg_at_k(ranked, relevant, k))
        best = max(relevant.values(), default=0.0)
        first_best[q.get("kind", "all")].append(bool(ranked) and best > 0 and relevant.get(ranked[0]) == best)
    result: dict = {f"ndcg@{k}": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(per_kind.items())}}
    # For a summary query the highest graded member is the one who asked it.
    result["first_is_highest_graded"] = {kind: round(sum(v) / len(v), 4) for kind, v in sorted(first_best.items())}
    result["n"] = {kind: len(v) for kind, v in sorted(per_kind.items())}
    result["dates"] = dates
    if dates == "around":
        result["around_days"], result["lead_share"] = around, lead_share
    if via != "search":
        result["via"] = via
    return result


def evaluate_descriptions(searcher: Searcher, descriptions: list[dict], k: int = 5,
                          cores: list[dict] | None = None) -> dict:
    """How much of what ``POST /v1/match`` shows for unlabelled solution descriptions is about the need.

    No person judged these: an evidence passage counts as on the need when the topic tagger scores
    it (≥ ``index.match.TOPIC_MIN``) on a topic read from the description — the same tagger and
    threshold the match uses, so this checks that ranking and evidence agree with the topics.
    With ``cores`` (descriptions by id) a description's ``core`` names the short statement of the same
    need: ``agreement_with_core`` is the share of the core's top ``k`` members it returns too.
    """
    from index.match import TOPIC_MIN, match_members

    def top(d: dict):
        return match_members(searcher, d["description"], Filters(assembly=d.get("assemblies")), limit=k)

    by_id = {c["id"]: c for c in cores or []}
    per = []
    for d in descriptions:
        found = top(d)
        if d.get("core") in by_id:
            core = {m.member.member_id for m in top(by_id[d["core"]]).members}
            agreement = len(core & {m.member.member_id for m in found.members}) / len(core) if core else None
        else:
            agreement = None
        topic_ids = [t.topic_id for t in found.topics]
        evidence = [e.passage_id for m in found.members for e in m.member.evidence]
        on_topic = sum(
            any(score >= TOPIC_MIN for score in searcher.topics_of_passages([pid], topic_ids).values())
            for pid in evidence) if topic_ids else 0
        per.append({"id": d["id"], "topics": [t.label for t in found.topics], "members": len(found.members),
                    "members_with_matched_topic": sum(bool(m.topics) for m in found.members),
                    "evidence": len(evidence), "evidence_on_topic": on_topic, "agreement_with_core": agreement})

    def share(part: str, whole: str) -> float | None:
        total = sum(p[whole] for p in per)
        return round(sum(p[part] for p in per) / total, 4) if total else None

    agreements = [p["agreement_with_core"] for p in per if p["agreement_with_core"] is not None]
    result = {"n": len(per), "k": k, "evidence_on_topic": share("evidence_on_topic", "evidence"),
              "members_with_matched_topic": share("members_with_matched_topic", "members"),
              "descriptions_without_topic": sum(not p["topics"] for p in per), "per_description": per}
    if agreements:
        result["agreement_with_core"] = round(sum(agreements) / len(agreements), 4)
    return result


def evaluate_statements(corpus_path: str | Path, queries_path: str | Path, k: int = 100,
                        dense_weights: tuple[float, ...] | None = None) -> dict:
    """MAP and nDCG@k of statement search over a throwaway index of a corpus file."""
    corpus = load_jsonl(corpus_path, ("id", "text"))
    queries = load_jsonl(queries_path, ("qid", "query", "relevant"))
    return rank_statements(corpus, queries, k, dense_weights)


def rank_statements(corpus: list[dict], queries: list[dict], k: int = 100,
                    dense_weights: tuple[float, ...] | None = None, embedding_model: str | None = None) -> dict:
    """``evaluate_statements`` on rows in memory; ``embedding_model`` None is the default model."""
    import tempfile

    from index.build import DEFAULT_MODEL, build_statement_index

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "statements.duckdb"
        build_statement_index(corpus, db, embedding_model=embedding_model or DEFAULT_MODEL)
        searcher = Searcher(db)
        result: dict = {"n": len(queries), "corpus": len(corpus)}
        for weight in dense_weights or (searcher.dense_weight,):
            searcher.dense_weight = weight
            aps, ndcgs = [], []
            for q in queries:
                ranked = [h.statement_id for h in searcher.rank_statement_ids(q["query"], limit=len(corpus))]
                relevant = {str(r) for r in q["relevant"]}
                aps.append(average_precision(ranked, relevant))
                ndcgs.append(ndcg_at_k(ranked, {r: 1.0 for r in relevant}, k))
            scores = {"map": round(sum(aps) / len(aps), 4), f"ndcg@{k}": round(sum(ndcgs) / len(ndcgs), 4)}
            if dense_weights:
                result[f"dense_weight={weight}"] = scores
            else:
                result.update(scores)
        searcher.close()
    return result


def evaluate_statements_cross_validated(corpus_path: str | Path, queries_path: str | Path, k: int = 100,
                                        folds: int = 2, base_model: str | Path | None = None,
                                        dense_weights: tuple[float, ...] | None = None) -> dict:
    """Statement search with the embedding model trained on the labels (``nlp.finetune``), measured
    fairly: the statements are split into ``folds`` by id; for each, the chiVe model is trained on
    the other folds' judgements and statement search ranks the held-out fold (its own throwaway index).
    Also ranks each fold with the untrained chiVe model, so the gain is read in the same run. With
    ``dense_weights``, each weight of the embeddings in the fused score is measured (``dense_weight=W``)."""
    import tempfile

    from nlp.finetune import BASE_MODEL_DIR, base_files, fold_of, tune_rows, write_model

    if folds < 2:
        raise ValueError(f"folds: {folds}; expected at least 2")
    base = Path(base_model or BASE_MODEL_DIR)
    vocab, rows = base_files(base)
    corpus = load_jsonl(corpus_path, ("id", "text"))
    queries = load_jsonl(queries_path, ("qid", "query", "relevant"))

    def within(docs: list[dict]) -> list[dict]:
        """The queries with only the relevant statements that are among ``docs``."""
        ids = {str(d["id"]) for d in docs}
        return [{**q, "relevant": [r for r in q["relevant"] if str(r) in ids]} for q in queries]

    per_fold = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in range(folds):
            held = [d for d in corpus if fold_of(d["id"], folds) == f]
            train = [d for d in corpus if fold_of(d["id"], folds) != f]
            tuned, _ = tune_rows(vocab, rows, train, within(train))
            model = write_model(base, Path(tmp) / f"fold{f}", tuned, {"fold": f})
            per_fold.append({"fold": f, "corpus": len(held),
                             "trained": rank_statements(held, within(held), k, dense_weights, str(model)),
                             "untrained": rank_statements(held, within(held), k, dense_weights, str(base))})
    result: dict = {"folds": folds, "corpus": len(corpus), "n": len(queries)}
    metrics = ("map", f"ndcg@{k}")
    for which in ("trained", "untrained"):
        if dense_weights:
            result[which] = {f"dense_weight={w}": {m: round(sum(p[which][f"dense_weight={w}"][m] for p in per_fold) / folds, 4)
                                                   for m in metrics} for w in dense_weights}
        else:
            result[which] = {m: round(sum(p[which][m] for p in per_fold) / folds, 4) for m in metrics}
    if not dense_weights:
        result["per_fold"] = [{"fold": p["fold"], "corpus": p["corpus"], "trained": p["trained"]["map"],
                               "untrained": p["untrained"]["map"]} for p in per_fold]
    return result


def evaluate_statement_speakers(searcher: Searcher, queries: list[dict], k: int = 10, around: int = AROUND_DAYS) -> dict:
    """Statement search on labelled member queries: the share of the top ``k`` members' statements (within
    ``around`` days of the query's date) that the query's labelled members made. No statement labels exist
    for the Tokyo minutes; this checks that statement ranking (its embeddings, trained on other assemblies'
    sentences) serves questions it was not trained on."""
    shares = []
    for q in queries:
        day = date.fromisoformat(q["date"]) if q.get("date") else None
        span = timedelta(days=around)
        filters = Filters(since=day - span, until=day + span) if day else Filters()
        hits = searcher.search_statements(q["query"], limit=k, filters=filters, role_kinds=("member",))
        if hits:
            labelled = {name_key(n) for n in q["relevant"]}
            shares.append(sum(1 for h in hits if h.member_name and name_key(h.member_name) in labelled) / len(hits))
    return {f"precision@{k}": round(sum(shares) / len(shares), 4) if shares else None, "n": len(shares),
            "around_days": around}
