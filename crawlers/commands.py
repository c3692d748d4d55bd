"""Crawler commands of the ``gikai`` CLI (crawl, crawl-members, parse, sources).

Thin layer over :mod:`crawlers.registry`, :mod:`crawlers.runner` and the parser
modules: errors become one-line messages naming the input, and exit codes are
2 for bad input (unknown assembly, unknown system), 1 for failures.

Also runnable without the top-level CLI: ``python -m crawlers.commands crawl …``.
"""

from __future__ import annotations

import importlib
import json
import sys
from datetime import date as Date
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

PARSER_SYSTEMS = ("discussnet_ssp", "dbsearch", "voices", "kensakusystem", "kokkai", "tokyo_gikai")

ParserSystem = Enum("ParserSystem", {s: s for s in PARSER_SYSTEMS}, type=str)


def _err(message: str) -> None:
    typer.echo(f"error: {message}", err=True)


def _check_url(option: str, value: str | None) -> None:
    """Exit 2 naming the option unless ``value`` is an http(s) URL with a host."""
    from urllib.parse import urlsplit

    if value is None:
        return
    try:
        parts = urlsplit(value)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        ok = False
    if not ok:
        _err(f"{option} {value!r}: expected an http:// or https:// URL")
        raise typer.Exit(2)


def sources(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """How many of the assemblies each spider can reach: reachable / blocked / permitted / unsupported."""
    from crawlers.registry import STATUSES, default_registry

    registry = default_registry()
    summary = registry.summary()
    if as_json:
        typer.echo(
            json.dumps(
                {"assemblies": len(registry.municipalities()), "by_system": summary}, ensure_ascii=False, indent=1
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Minutes sources of {len(registry.municipalities())} assemblies")
    table.add_column("system")
    for status in STATUSES:
        table.add_column(status, justify="right")
    table.add_column("total", justify="right")
    for system, counts in summary.items():
        table.add_row(system, *(str(counts[s]) for s in STATUSES), str(sum(counts.values())), end_section=False)
    Console().print(table)


def crawl(
    assembly: Annotated[str, typer.Option("--assembly", help="6-digit 団体コード (000001 衆議院, 000002 参議院).")],
    since: Annotated[str | None, typer.Option(help="Only minutes held on or after this date (YYYY-MM-DD).")] = None,
    raw_dir: Annotated[
        Path | None, typer.Option("--raw-dir", help="Raw store directory (default: $GIKAI_RAW_DIR, else var/raw).")
    ] = None,
    redis: Annotated[
        str | None, typer.Option("--redis", help="Redis URL: share one request queue between processes.")
    ] = None,
    redis_flush: Annotated[
        bool, typer.Option("--redis-flush", help="Clear this crawl's Redis queue and seen-set first.")
    ] = False,
    jobdir: Annotated[Path | None, typer.Option("--jobdir", help="Persist state here to pause/resume.")] = None,
    httpcache: Annotated[bool, typer.Option("--httpcache", help="Cache responses (development).")] = False,
    ignore_robots_permitted: Annotated[
        bool,
        typer.Option(
            "--ignore-robots-permitted/--obey-robots",
            help="Ignore robots.txt for an assembly listed in registry/permissions.yaml (default), or obey it anyway.",
        ),
    ] = True,
    system: Annotated[str | None, typer.Option(help="Spider to use instead of the registry's.")] = None,
    start_url: Annotated[str | None, typer.Option("--start-url", help="Crawl from this URL.")] = None,
    stats_json: Annotated[Path | None, typer.Option("--stats-json", help="Write the crawl's stats here.")] = None,
    log_level: Annotated[str | None, typer.Option("--log-level", help="Scrapy log level.")] = None,
) -> None:
    """Crawl one assembly's minutes into the raw store and print the summary line."""
    from crawlers.registry import SYSTEMS, UnknownAssemblyError
    from crawlers.runner import CrawlError, crawl_summary_line, resolve_target, run_crawl
    from crawlers.settings import default_raw_dir

    since_date = None
    if since:
        try:
            since_date = Date.fromisoformat(since)
        except ValueError:
            _err(f"--since {since!r}: expected a date YYYY-MM-DD")
            raise typer.Exit(2) from None
    if system and system not in SYSTEMS:
        _err(f"--system {system!r}: expected one of {', '.join(SYSTEMS)}")
        raise typer.Exit(2)
    _check_url("--start-url", start_url)
    try:
        target = resolve_target(
            assembly, system=system, start_url=start_url, use_permission=ignore_robots_permitted
        )
    except UnknownAssemblyError as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    except CrawlError as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    if target.status == "blocked":
        typer.echo(
            f"warning: robots.txt of {target.start_url} disallows what the {target.system} spider needs and "
            f"{assembly} has no permission in crawlers/registry/permissions.yaml; blocked requests are counted.",
            err=True,
        )
    try:
        stats = run_crawl(
            target,
            since=since_date,
            raw_dir=raw_dir or default_raw_dir(),
            redis_url=redis,
            redis_flush=redis_flush,
            jobdir=jobdir,
            httpcache=httpcache,
            stats_path=stats_json,
            log_level=log_level,
        )
    except CrawlError as exc:
        _err(str(exc))
        raise typer.Exit(1) from None
    typer.echo(crawl_summary_line(target, stats))


def parse(
    files: Annotated[list[Path], typer.Argument(help="Saved responses.", exists=False)],
    system: Annotated[ParserSystem, typer.Option("--system", help="Which parser.")],
    url: Annotated[str | None, typer.Option("--url", help="URL the files were fetched from.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file (ParsedPage).")] = False,
) -> None:
    """Run a spider's parse code on saved responses; one result per file."""
    system_name = system.value if isinstance(system, Enum) else str(system)
    try:
        module = importlib.import_module(f"crawlers.parsers.{system_name}")
    except ModuleNotFoundError:
        _err(f"--system {system_name}: parser module crawlers/parsers/{system_name}.py not available")
        raise typer.Exit(2) from None
    failed = 0
    for path in files:
        try:
            body = path.read_bytes()
            page = module.parse(body, url or path.absolute().as_uri())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            failed += 1
            _err(f"{path}: {type(exc).__name__}: {exc}")
            continue
        data = page.to_json_dict()
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            typer.echo(
                f"{path}: {data['kind']}, {len(data['meetings'])} meetings, {len(data['speeches'])} speeches,"
                f" date {data['date']}, title {data['title']!r}"
            )
    if failed:
        raise typer.Exit(1)


def crawl_members(
    assembly: Annotated[str, typer.Option("--assembly", help="6-digit 団体コード.")],
    start_url: Annotated[
        str | None, typer.Option("--start-url", help="Member list page (default: crawlers/rosters.yaml).")
    ] = None,
    posts: Annotated[
        bool, typer.Option("--posts/--no-posts", help="Also read posts from members' sites and blogs.")
    ] = True,
    blog_url: Annotated[
        str | None, typer.Option("--blog-url", help="Only read posts from this site (needs --member).")
    ] = None,
    member: Annotated[str | None, typer.Option("--member", help="Whose site --blog-url is.")] = None,
    max_pages: Annotated[int, typer.Option("--max-pages", help="Article pages per site at most.")] = 20,
    since: Annotated[str | None, typer.Option(help="Only posts published on or after (YYYY-MM-DD).")] = None,
    raw_dir: Annotated[
        Path | None, typer.Option("--raw-dir", help="Raw store directory (default: $GIKAI_RAW_DIR, else var/raw).")
    ] = None,
    stats_json: Annotated[Path | None, typer.Option("--stats-json", help="Write each stage's stats here.")] = None,
    log_level: Annotated[str | None, typer.Option("--log-level", help="Scrapy log level.")] = None,
) -> None:
    """Crawl an assembly's member list (roster), then posts from the members' own sites and blogs.

    X, Facebook, Instagram and TikTok are never requested: their links are recorded only.
    """
    from crawlers.member_crawl import MemberCrawl, check, run_member_crawl, summary_lines
    from crawlers.registry import UnknownAssemblyError
    from crawlers.runner import CrawlError
    from crawlers.settings import default_raw_dir

    since_date = None
    if since:
        try:
            since_date = Date.fromisoformat(since)
        except ValueError:
            _err(f"--since {since!r}: expected a date YYYY-MM-DD")
            raise typer.Exit(2) from None
    _check_url("--start-url", start_url)
    _check_url("--blog-url", blog_url)
    job = MemberCrawl(assembly, start_url, blog_url, member, posts, max_pages)
    try:
        check(job)
    except (UnknownAssemblyError, CrawlError) as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    try:
        stats = run_member_crawl(
            job, since=since_date, raw_dir=raw_dir or default_raw_dir(), stats_path=stats_json, log_level=log_level
        )
    except CrawlError as exc:
        _err(str(exc))
        raise typer.Exit(1) from None
    for line in summary_lines(job, stats):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Attach the crawler commands to the top-level CLI."""
    app.command("sources")(sources)
    app.command("crawl")(crawl)
    app.command("parse")(parse)
    app.command("crawl-members")(crawl_members)


def main(argv: list[str] | None = None) -> None:
    """``python -m crawlers.commands``: the crawler commands without the rest of the CLI."""
    app = typer.Typer(no_args_is_help=True, add_completion=False)
    register(app)
    app(args=argv if argv is not None else sys.argv[1:], prog_name="gikai")


if __name__ == "__main__":
    main()
