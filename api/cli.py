"""`gikai`: the one command line in front of every job (import, crawl, parse, build, search, serve, eval)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from api.settings import default_server_processes, get_settings
from index.session_day import AROUND_DAYS, LEAD_SHARE, MAX_AROUND_DAYS

app = typer.Typer(help="議員サーチ: 会議録から課題に取り組む議員を探す / find council members engaged with a need.",
                  no_args_is_help=True, add_completion=False)
import_app = typer.Typer(help="Import minutes files into the raw store.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure ranking quality on labelled queries.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(eval_app, name="eval")

console = Console()
err = Console(stderr=True)

RawDir = Annotated[Path | None, typer.Option("--raw-dir", help="Raw store directory (default: $GIKAI_RAW_DIR or var/raw)")]
DbPath = Annotated[Path | None, typer.Option("--db", help="Index file (default: $GIKAI_DB_PATH or var/index.duckdb)")]
ServerUrl = Annotated[str | None, typer.Option(
    "--url", envvar="GIKAI_URL",
    help="Ask a running server (e.g. http://127.0.0.1:8000) instead of opening the index: no load time")]
ApiKey = Annotated[str | None, typer.Option("--api-key", envvar="GIKAI_API_KEY",
                                            help="API key for --url when the server requires one")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@import_app.command("poliinfo")
def import_poliinfo(paths: Annotated[list[Path], typer.Argument(help="PoliInfo JSON files or directories")],
                    raw_dir: RawDir = None) -> None:
    """Import PoliInfo JSON minutes (東京都議会) into the raw store; re-importing adds nothing."""
    from crawlers.poliinfo import import_files
    from crawlers.rawstore import RawStore

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _fail(f"no such file or directory: {', '.join(missing)}")
    summary = import_files(paths, RawStore(raw_dir or get_settings().raw_dir))
    for problem in summary.rejected:
        err.print(f"[yellow]rejected:[/yellow] {problem}")
    console.print(summary.line())
    if summary.rejected and not summary.created and not summary.unchanged:
        raise typer.Exit(1)


@app.command()
def build(raw_dir: RawDir = None, db: DbPath = None,
          workers: Annotated[int, typer.Option(help="Tokenizer processes (0 = all cores)")] = 0,
          full: Annotated[bool, typer.Option("--full", help="Rebuild everything even when an incremental "
                                                             "build is possible")] = False) -> None:
    """Build the search index from the raw store (incremental over an existing index; written aside, swapped in
    atomically)."""
    from crawlers.rawstore import RawStoreError
    from index.build import build_index

    settings = get_settings()
    raw = raw_dir or settings.raw_dir
    if not raw.is_dir():
        raise _fail(f"raw store {raw} does not exist; run `gikai import` or `gikai crawl` first")
    try:
        summary = build_index(raw, db or settings.db_path, workers=workers or None, progress=sys.stderr.isatty(),
                              full=full)
    except RawStoreError as exc:
        raise _fail(f"unreadable raw record: {exc}") from exc
    for line in summary.surname_ambiguous:
        err.print(f"[yellow]ambiguous surname, left unlinked:[/yellow] {line}")
    console.print(summary.line())
    if settings.state_path.exists():  # saved searches: POST their new matches to the webhooks
        from api.webhooks import deliver_new_matches

        console.print(deliver_new_matches(db or settings.db_path, settings.state_path).line())


def _parse_day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _fail(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from exc


OnDay = Annotated[str | None, typer.Option(
    help="YYYY-MM-DD: members who raised it on this day first, then those of the days around it (--around)")]
AroundDays = Annotated[int | None, typer.Option(help="Days either side of --on (default 7)")]
PartyOption = Annotated[str | None, typer.Option(
    help="会派: only members of a group whose name contains this (都民ファースト), ranked as without it")]


def _party(party: str | None) -> str | None:
    """--party cleaned as the API cleans ``party``, refused with its message."""
    from api.deps import party_filter

    try:
        return party_filter(party)
    except Exception as exc:  # HTTPException carries the same message the API gives
        raise _fail(getattr(exc, "detail", str(exc))) from exc


def _session_day(on: str | None, around: int | None, filters):
    """The session day (``index.session_day``), refused with the API's messages."""
    from index.session_day import session_day_for

    day = _parse_day(on, "--on")
    try:
        return session_day_for(day, around, filters)
    except ValueError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="課題・政策 (例: 待機児童)")],
    statements: Annotated[bool, typer.Option("--statements", help="Rank statements instead of members")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    assembly: Annotated[list[str] | None, typer.Option(help="団体コード (repeatable)")] = None,
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    on: OnDay = None,
    around: AroundDays = None,
    party: PartyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for machines")] = False,
    db: DbPath = None,
    url: ServerUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Rank the members most engaged with a need, with their evidence passages."""
    from api.schemas import MemberHit, Statement

    if statements and (on or around is not None or party is not None):
        raise _fail("--on/--around/--party rank members; statement search takes --since/--until")
    if url:  # the server checks the input and answers with the same messages
        path = "/v1/statements/search" if statements else "/v1/members/search"
        params = {"q": query, "limit": limit, "assembly": assembly or None, "since": since, "until": until,
                  "on": on, "around": around, "party": party}
        answer = _remote(url, "GET", path, params=params, api_key=api_key)
        query, terms = answer["query"], answer.get("terms", [])
        hits = [(Statement if statements else MemberHit).model_validate(h) for h in answer["data"]]
    else:
        from api.deps import clean_text
        from index.search import Filters, IndexNotFound, Searcher

        try:
            query = clean_text(query, "query", get_settings().max_query_chars)
        except Exception as exc:  # HTTPException carries the same message the API gives
            raise _fail(getattr(exc, "detail", str(exc))) from exc
        filters = Filters(assembly=assembly or None, since=_parse_day(since, "--since"),
                          until=_parse_day(until, "--until"), party=_party(party))
        session_day = _session_day(on, around, filters)
        searcher = Searcher(db or get_settings().db_path)
        try:
            if statements:
                hits = [Statement.of(h) for h in searcher.search_statements(query, limit=limit, filters=filters)]
            else:
                hits = [MemberHit.of(m) for m in searcher.search_members(query, limit=limit, filters=filters,
                                                                         session_day=session_day)]
        except IndexNotFound as exc:
            raise _fail(str(exc)) from exc
        from nlp.highlight import query_terms

        terms = query_terms(query)
    if as_json:
        print(json.dumps({"query": query, "terms": terms, "data": [h.model_dump(mode="json") for h in hits]},
                         ensure_ascii=False))
        return
    if not hits:
        console.print(f"「{query}」に一致する発言はありません / no statements match")
        return
    if statements:
        _print_statements(hits, terms)
    else:
        _print_members(query, hits, terms)


def _emit(result: dict, as_json: bool) -> None:
    """An evaluation's result: one JSON line for machines, or rich's readable print."""
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        console.print(result)


def _remote(url: str, method: str, path: str, **kwargs) -> dict:
    from api.client import RemoteError, request

    for name, value in (kwargs.get("params") or kwargs.get("body") or {}).items():
        # Invalid UTF-8 in argv arrives as lone surrogates, which cannot be sent; say so as the API would.
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise _fail(f"{'query' if name == 'q' else name}: malformed Unicode (unpaired surrogate)") from exc
    try:
        return request(url, method, path, **kwargs)
    except RemoteError as exc:
        raise _fail(str(exc)) from exc


def _print_members(query: str, hits, terms: list[str]) -> None:
    table = Table(title=f"「{query}」に取り組む議員", show_lines=True)
    # Japanese has no spaces to wrap at: without fold, rich cuts a quote, a URL or a 会派 to one line and "…".
    for col in ("#", "議員", "議会・会派", "スコア (内訳)", "根拠"):
        table.add_column(col, overflow="fold")
    for i, m in enumerate(hits, 1):
        p = m.parts
        evidence = Text("\n").join(
            Text.assemble(f"{e.date} {e.meeting_title}\n「", _marked(e.text, terms, 80), f"」\n{e.source_url}")
            for e in m.evidence[:2]
        )
        # A member who leads because they raised it on the --on day says so: their score is that day's.
        name = f"{m.name}\n({m.led_on:%m/%d} に発言)" if m.led_on else m.name
        table.add_row(str(i), name, f"{m.assembly_name}\n{m.party}" if m.party else m.assembly_name,
                      f"{m.score:.2f}\nfocus {p.focus:.2f}\nspeech {p.speech:.2f}\nanswers {p.answers:.2f}\n"
                      f"breadth {p.breadth:.2f}" + (f"\ntopic {p.topic:.2f}" if p.topic else ""), evidence)
    console.print(table)


def _print_statements(hits, terms: list[str]) -> None:
    table = Table(show_lines=True)
    for col in ("#", "発言者"):
        table.add_column(col)
    # Japanese has no spaces to wrap at: without fold, rich cuts a quote or a URL to one line and "…".
    table.add_column("日付・会議", overflow="fold")
    table.add_column("発言", overflow="fold")
    for i, h in enumerate(hits, 1):
        table.add_row(str(i), f"{h.speaker or ''}\n{h.speaker_role or ''}", f"{h.date}\n{h.meeting_title}\n{h.source_url}",
                      _marked(h.text, terms, 200))
    console.print(table)


def _marked(text: str, terms: list[str], size: int) -> Text:
    """An excerpt around the words search matched, with those words in bold."""
    from nlp.highlight import excerpt

    quote = Text(excerpt(text, terms, size))
    if terms:
        quote.highlight_words(terms, "bold")
    return quote


@app.command()
def match(
    description: Annotated[str, typer.Argument(help="解決策・課題の説明 (例: 病児保育のオンライン予約システム…)")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    assembly: Annotated[list[str] | None, typer.Option(help="団体コード (repeatable)")] = None,
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    on: OnDay = None,
    around: AroundDays = None,
    party: PartyOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbPath = None,
    url: ServerUrl = None,
    api_key: ApiKey = None,
) -> None:
    """Members whose interests match a solution description, with matched topics, evidence and a reason."""
    from api.schemas import MatchHit, MemberHit, TopicRef

    if url:  # the server checks the input and answers with the same messages
        body = {"description": description, "assemblies": assembly or None, "since": since, "until": until,
                "party": party, "on": on, "around": around, "limit": limit}
        answer = _remote(url, "POST", "/v1/match", body={k: v for k, v in body.items() if v is not None},
                         api_key=api_key)
        description, terms = answer["description"], answer.get("terms", [])
        topics = [TopicRef.model_validate(t) for t in answer["topics"]]
        hits = [MatchHit.model_validate(h) for h in answer["data"]]
    else:
        from api.deps import clean_text
        from index.match import match_members
        from index.search import Filters, IndexNotFound, Searcher

        try:
            description = clean_text(description, "description", 2000)
        except Exception as exc:
            raise _fail(getattr(exc, "detail", str(exc))) from exc
        filters = Filters(assembly=assembly or None, since=_parse_day(since, "--since"),
                          until=_parse_day(until, "--until"), party=_party(party))
        session_day = _session_day(on, around, filters)
        try:
            result = match_members(Searcher(db or get_settings().db_path), description, filters, limit=limit,
                                   session_day=session_day)
        except IndexNotFound as exc:
            raise _fail(str(exc)) from exc
        topics = [TopicRef(**t.__dict__) for t in result.topics]
        hits = [MatchHit(**MemberHit.of(m.member).model_dump(),
                         matched_topics=[TopicRef(**t.__dict__) for t in m.topics], reason=m.reason)
                for m in result.members]
        from nlp.highlight import query_terms

        terms = query_terms(description, description=True)
    if as_json:
        print(json.dumps({"description": description, "topics": [t.model_dump(mode="json") for t in topics],
                          "terms": terms, "data": [h.model_dump(mode="json") for h in hits]}, ensure_ascii=False))
        return
    labels = {t.topic_id: t.label for t in topics}
    console.print("トピック: " + ("、".join(
        f"{t.label} ({t.score:.2f}, " + (f"議員の発言 {t.passages}件" if t.passages else "該当する発言なし")
        + (f"、「{labels.get(t.fallback_for, t.fallback_for)}」の代わり)" if t.fallback_for else ")")
        for t in topics) or "なし"))
    if not hits:
        console.print("該当する議員は見つかりませんでした / no member matches")
        return
    _print_members(description[:30], hits, terms)
    for i, h in enumerate(hits, 1):
        console.print(f"{i}. {h.name}: {h.reason}")


@app.command()
def serve(db: DbPath = None, host: Annotated[str | None, typer.Option()] = None,
          port: Annotated[int | None, typer.Option()] = None,
          workers: Annotated[int | None, typer.Option(
              min=1, max=64, help="Server processes; they share one loaded index (forked after loading it). "
                                  "Default: $GIKAI_SERVER_PROCESSES, else one per core up to 2")] = None) -> None:
    """Serve the HTTP API (read-only over the built index); docs at /docs."""
    import os

    import uvicorn

    settings = get_settings()
    path = db or settings.db_path
    if not path.exists():
        raise _fail(f"{path}: no index; run `gikai build` first")
    os.environ["GIKAI_DB_PATH"] = str(path)
    os.environ.setdefault("GIKAI_GC_FREEZE", "true")  # a long-lived server: see Settings.gc_freeze
    get_settings.cache_clear()
    host, port = host or settings.host, port or settings.port
    workers = workers or default_server_processes(settings)
    if workers > 1 and hasattr(os, "fork"):
        from api.main import create_app
        from api.prefork import serve_forked

        raise typer.Exit(serve_forked(create_app, host, port, workers))
    from api.http11 import uvicorn_options

    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=workers, **uvicorn_options())


@eval_app.command("members")
def eval_members(
    queries: Annotated[Path, typer.Option(help="JSONL: {qid, kind, query, date, relevant: {name: grade}}")] = Path(
        "data/eval/member-queries-dev.jsonl"),
    db: DbPath = None,
    k: int = 10,
    dates: Annotated[str, typer.Option(
        help="How each query's date is used. around: members who raised it that day lead, then the days around "
             "it (GET /v1/members/search?on=); day: only that day; none: the whole index")] = "around",
    around: Annotated[int, typer.Option(min=0, max=MAX_AROUND_DAYS, help="--dates around: days either side")] = AROUND_DAYS,
    lead_share: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="--dates around: members at this share of the day's best score or above lead "
                               "(0: every member of the day, 1: only the best)")] = LEAD_SHARE,
    reference: Annotated[bool, typer.Option(
        help="Also measure the naive reference (SudachiPy + rank-bm25 over whole speeches, member = best "
             "speech) and the best score the labels allow, under the same protocol")] = False,
    reference_since: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Reference corpus: only speeches from this date on")] = None,
    via: Annotated[str, typer.Option(
        help="search: member search (GET /v1/members/search); match: each query as a solution description "
             "(POST /v1/match)")] = "search",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """nDCG@k of member ranking on labelled queries."""
    from index.evaluate import evaluate_members, load_queries
    from index.search import IndexNotFound, Searcher

    if not queries.exists():
        raise _fail(f"{queries}: no such query file")
    db_path = db or get_settings().db_path
    try:
        labelled = load_queries(queries)
        result = evaluate_members(Searcher(db_path), labelled, k=k, dates=dates, via=via, around=around,
                                  lead_share=lead_share)
        if reference:
            from index.member_reference import member_references

            result.update(member_references(db_path, labelled, k=k, dates=dates, around=around,
                                            lead_share=lead_share,
                                            since=reference_since.date() if reference_since else None))
    except (ValueError, IndexNotFound) as exc:
        raise _fail(str(exc)) from exc
    _emit(result, as_json)


@app.command()
def bench(
    statements: Annotated[int | None, typer.Option(
        "--statements", min=100, help="Synthesize a corpus of N statements from the bundled minutes' sentences "
        "(~1,800 assemblies, ~30,000 members) and measure on it; without it, measure the index at --db")] = None,
    raw_dir: RawDir = None, db: DbPath = None,
    queries: Annotated[Path, typer.Option(help="Query file to time")] = Path("data/eval/member-queries-dev.jsonl"),
    n_queries: Annotated[int, typer.Option(min=1, max=10_000, help="Queries timed per endpoint")] = 200,
    reference_queries: Annotated[int, typer.Option(min=1, max=10_000, help="Queries timed on rank-bm25")] = 50,
    tokenizer_sample: Annotated[int, typer.Option(min=1, help="Statements in the tokenizer sample")] = 20_000,
    work_dir: Annotated[Path | None, typer.Option(help="Where the synthetic corpus and index go "
                                                       "[default: a new directory under var/bench]")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the work directory's corpus and index")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic corpus")] = 0,
    workers: Annotated[int, typer.Option(help="Build processes (0 = all cores)")] = 0,
    incremental: Annotated[bool, typer.Option(help="Also time adding 1 % new statements")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Build and query speed, memory and the speed-up over rank-bm25 against the targets, in one run (JSON)."""
    import time

    from index.bench import BenchError, run_bench

    settings = get_settings()
    db_path = None
    if statements is None:
        db_path = db or settings.db_path
        if not db_path.exists():
            raise _fail(f"{db_path}: no index; run `gikai build` first, or use --statements N")
    try:
        result = run_bench(
            statements=statements, raw_dir=raw_dir or settings.raw_dir, db_path=db_path, queries_path=queries,
            n_queries=n_queries, reference_queries=reference_queries, tokenizer_sample=tokenizer_sample,
            work_dir=work_dir, keep=keep, seed=seed, workers=workers or None, incremental=incremental,
            log=lambda message: err.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] bench: {message}", highlight=False),
        )
    except (BenchError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        console.print_json(data=result)
    if result["errors"]:
        raise typer.Exit(1)


@eval_app.command("match")
def eval_match(
    descriptions: Annotated[Path, typer.Option(help="JSONL: {id, description[, assemblies]}")] = Path(
        "data/eval/match-descriptions.jsonl"),
    db: DbPath = None,
    k: Annotated[int, typer.Option(min=1, max=100, help="Members per description")] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Share of `match` evidence on the topics of unlabelled solution descriptions (judged by the tagger)."""
    from index.evaluate import evaluate_descriptions, load_jsonl
    from index.search import IndexNotFound, Searcher

    if not descriptions.exists():
        raise _fail(f"{descriptions}: no such file")
    try:
        result = evaluate_descriptions(Searcher(db or get_settings().db_path),
                                       load_jsonl(descriptions, ("id", "description")), k=k)
    except (ValueError, IndexNotFound) as exc:
        raise _fail(str(exc)) from exc
    _emit(result, as_json)


@eval_app.command("statements")
def eval_statements(
    corpus: Annotated[Path, typer.Option(help="JSONL: {id, text} per statement")] = Path(
        "data/eval/statements-dev-corpus.jsonl"),
    queries: Annotated[Path, typer.Option(help="JSONL: {qid, query, relevant: [ids]}")] = Path(
        "data/eval/statements-dev-queries.jsonl"),
    k: int = 100,
    cross_validate: Annotated[int, typer.Option(
        "--cross-validate", min=0, max=10,
        help="N ≥ 2: train the embedding model on N−1 parts of these labels and rank the held-out part, "
             "N times (nlp/finetune.py); the fair measure when the default model was trained on this file")] = 0,
    dense_weight: Annotated[list[float] | None, typer.Option(
        "--dense-weight", min=0.0, max=1.0,
        help="measure these weights of the embeddings in the fused score (repeatable; default: the search's own)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """MAP and nDCG@k of statement search, on a throwaway index of a corpus file."""
    from index.evaluate import evaluate_statements, evaluate_statements_cross_validated

    for path in (corpus, queries):
        if not path.exists():
            raise _fail(f"{path}: no such file")
    if cross_validate == 1:
        raise _fail("--cross-validate: 1 part leaves nothing to test on; give 2 or more (0: off)")
    try:
        weights = tuple(dense_weight) if dense_weight else None
        result = (evaluate_statements_cross_validated(corpus, queries, k=k, folds=cross_validate, dense_weights=weights)
                  if cross_validate else evaluate_statements(corpus, queries, k=k, dense_weights=weights))
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    _emit(result, as_json)


@eval_app.command("all")
def eval_all(
    db: DbPath = None,
    member_queries: Path = Path("data/eval/member-queries-dev.jsonl"),
    june_queries: Path = Path("data/eval/member-queries-june-pseudo.jsonl"),
    corpus: Path = Path("data/eval/statements-dev-corpus.jsonl"),
    statement_queries: Path = Path("data/eval/statements-dev-queries.jsonl"),
    descriptions: Path = Path("data/eval/match-descriptions.jsonl"),
    long_descriptions: Path = Path("data/eval/match-descriptions-long.jsonl"),
) -> None:
    """Member and statement metrics together, as one JSON object (what `make eval` prints)."""
    from index.evaluate import (
        evaluate_descriptions,
        evaluate_members,
        evaluate_statement_speakers,
        evaluate_statements,
        evaluate_statements_cross_validated,
        load_jsonl,
        load_queries,
    )
    from index.search import IndexNotFound, Searcher

    for path in (member_queries, june_queries, corpus, statement_queries, descriptions, long_descriptions):
        if not path.exists():
            raise _fail(f"{path}: no such file")
    try:
        searcher = Searcher(db or get_settings().db_path)
        labelled = load_queries(member_queries)
        june = load_queries(june_queries)
        result = {
            # The query's session day (`on=`), only that day, the whole index: index/evaluate.py.
            "members": evaluate_members(searcher, labelled),
            "members_day_only": evaluate_members(searcher, labelled, dates="day"),
            "members_without_date_filter": evaluate_members(searcher, labelled, dates="none"),
            "match": evaluate_members(searcher, labelled, via="match"),
            "match_day_only": evaluate_members(searcher, labelled, dates="day", via="match"),
            "match_without_date_filter": evaluate_members(searcher, labelled, dates="none", via="match"),
            # Another session (June 2020), labelled for this repository and never tuned on
            # (data/eval/SOURCE.md): does the ranking hold beyond the dev days?
            "members_june_pseudo": evaluate_members(searcher, june),
            "match_june_pseudo": evaluate_members(searcher, june, via="match"),
            "match_descriptions": {k: v for k, v in evaluate_descriptions(
                searcher, load_jsonl(descriptions, ("id", "description"))).items() if k != "per_description"},
            # The same needs in a company's own words (127-178 characters, with its sales talk).
            # agreement_with_core: the share of the short description's top five that the long one returns too.
            "match_descriptions_long": {k: v for k, v in evaluate_descriptions(
                searcher, load_jsonl(long_descriptions, ("id", "description")),
                cores=load_jsonl(descriptions, ("id", "description"))).items() if k != "per_description"},
            # The default embedding model was trained on these very labels (nlp/finetune.py), so
            # "statements" flatters it; the two-fold cross-validation is the fair number.
            "statements": evaluate_statements(corpus, statement_queries),
            "statements_cross_validated": evaluate_statements_cross_validated(corpus, statement_queries),
            # The Tokyo member questions as statement searches: do the labelled members' statements come first?
            "statements_by_labelled_members": {"dev": evaluate_statement_speakers(searcher, labelled),
                                               "june_pseudo": evaluate_statement_speakers(searcher, june)},
        }
    except (ValueError, IndexNotFound) as exc:
        raise _fail(str(exc)) from exc
    print(json.dumps(result, ensure_ascii=False))


def _register_plugins() -> None:
    from api.keys_cli import register as register_keys
    from api.loadtest import register as register_loadtest
    from crawlers.commands import register

    register(app)
    register_keys(app)
    register_loadtest(app)


_register_plugins()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
