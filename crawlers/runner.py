"""Run one crawl in-process: pick the spider, build the settings, return the stats.

Library side of ``gikai crawl`` (the CLI only turns errors into messages).
``CrawlerProcess`` starts the Twisted reactor, which cannot be restarted, so one
Python process runs one :func:`run_crawl`; tests run crawls in subprocesses.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import Any

from crawlers.registry import SYSTEMS, Registry, default_registry
from crawlers.settings import crawl_settings
from crawlers.spiders import spider_for
from crawlers.stats import summarize, summary_line

logger = logging.getLogger(__name__)


class CrawlError(Exception):
    """A crawl could not start or its spider failed; the message names the input."""


@dataclass(frozen=True)
class CrawlTarget:
    assembly_code: str
    system: str
    start_url: str
    status: str
    """Registry status: reachable / blocked / permitted / unsupported (for a direct --start-url: 'direct')."""
    permission: str | None = None

    @property
    def obey_robots(self) -> bool:
        return self.permission is None


def resolve_target(
    assembly_code: str,
    *,
    system: str | None = None,
    start_url: str | None = None,
    use_permission: bool = True,
    registry: Registry | None = None,
) -> CrawlTarget:
    """What to crawl for an assembly; ``system``/``start_url`` override the registry.

    Raises ``UnknownAssemblyError`` (a KeyError) for an unknown code and
    ``CrawlError`` when no spider can crawl it.
    """
    registry = registry or default_registry()
    assembly = registry.get(assembly_code)
    system = system or assembly.system
    if system not in SYSTEMS:
        raise CrawlError(
            f"assembly {assembly_code} ({assembly.name}): no spider for its minutes system "
            f"({assembly.url or 'no URL'}); known systems: {', '.join(SYSTEMS)}"
        )
    permission = registry.permission(assembly) if use_permission else None
    status = "direct" if start_url else registry.status(assembly)
    return CrawlTarget(assembly_code, system, start_url or assembly.url, status, permission)


def run_crawl(
    target: CrawlTarget,
    *,
    since: Date | None = None,
    raw_dir: str | os.PathLike[str] = "var/raw",
    redis_url: str | None = None,
    redis_flush: bool = False,
    jobdir: str | os.PathLike[str] | None = None,
    httpcache: bool = False,
    stats_path: str | os.PathLike[str] | None = None,
    log_level: str | None = None,
) -> dict[str, Any]:
    """Crawl ``target`` into the raw store at ``raw_dir``; returns the crawl's Scrapy stats."""
    from scrapy.crawler import CrawlerProcess

    try:
        spidercls = spider_for(target.system)
    except LookupError as exc:
        raise CrawlError(str(exc)) from None
    extra: dict[str, Any] = {}
    if log_level:
        extra["LOG_LEVEL"] = log_level
    if redis_flush:
        extra["SCHEDULER_FLUSH_ON_START"] = True
    settings = crawl_settings(
        raw_dir=Path(raw_dir).absolute(),
        redis_url=redis_url,
        redis_key=f"{target.system}:{target.assembly_code}",
        jobdir=jobdir,
        httpcache=httpcache,
        obey_robots=target.obey_robots,
        extra=extra,
    )
    if target.permission:
        logger.warning(
            "robots.txt not obeyed for %s: operator permission %r", target.assembly_code, target.permission
        )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spidercls)
    failures: list[Any] = []
    deferred = process.crawl(
        crawler,
        assembly_code=target.assembly_code,
        start_url=target.start_url,
        since=since,
        raw_dir=str(Path(raw_dir).absolute()),
    )
    deferred.addErrback(failures.append)
    process.start()
    if failures:
        failure = failures[0]
        raise CrawlError(f"crawl of {target.assembly_code} ({target.start_url}) failed: {failure.value}")
    stats = dict(crawler.stats.get_stats())
    summary = summarize(stats)
    if stats_path:
        payload = {"summary": summary, "stats": {k: _jsonable(v) for k, v in stats.items()}}
        Path(stats_path).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    if stats.get("finish_reason") == "start_error":
        # Scrapy logs the spider's exception and closes the crawl as if it had run.
        raise CrawlError(
            f"crawl of {target.assembly_code} ({target.start_url}) could not start: the {target.system} spider "
            "failed while making its first requests (the ERROR above says why)"
        )
    return stats


def crawl_summary_line(target: CrawlTarget, stats: dict[str, Any]) -> str:
    return summary_line(summarize(stats), f"crawl {target.assembly_code} {target.system}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
