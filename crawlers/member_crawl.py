"""Run ``gikai crawl-members``: the roster spider, then the member pages spider, in one process.

Library side of the command (the CLI only turns errors into messages). Both
crawls run one after the other on one Twisted reactor, so the member pages
spider reads the member records the roster crawl has just stored. robots.txt is
always obeyed here: the permissions in ``registry/permissions.yaml`` are for
minutes systems, not for member lists or members' own sites.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import Any

from crawlers.registry import default_registry
from crawlers.runner import CrawlError, _jsonable
from crawlers.settings import crawl_settings
from crawlers.stats import summarize, summary_line

STAGES = ("roster", "member_pages")


@dataclass(frozen=True)
class MemberCrawl:
    assembly_code: str
    start_url: str | None = None
    """Member list URL; default: ``crawlers/rosters.yaml``."""
    blog_url: str | None = None
    """Read posts from this one site only (no roster crawl); needs ``member_name``."""
    member_name: str | None = None
    posts: bool = True
    max_pages: int = 20

    def stages(self) -> list[str]:
        if self.blog_url:
            return ["member_pages"]
        return list(STAGES) if self.posts else ["roster"]


def check(job: MemberCrawl) -> None:
    """Raise ``UnknownAssemblyError`` or ``CrawlError`` for a job that cannot start."""
    from crawlers.spiders.roster import ROSTERS_PATH, roster_config

    default_registry().get(job.assembly_code)
    if job.blog_url and not job.member_name:
        raise CrawlError("--blog-url needs --member (whose posts they are)")
    if "roster" in job.stages() and not (job.start_url or roster_config(job.assembly_code).start_url):
        raise CrawlError(
            f"no member list URL for assembly {job.assembly_code}: give --start-url or add it to {ROSTERS_PATH}"
        )


def run_member_crawl(
    job: MemberCrawl,
    *,
    since: Date | None = None,
    raw_dir: str | os.PathLike[str] = "var/raw",
    stats_path: str | os.PathLike[str] | None = None,
    log_level: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the job's stages into the raw store; returns ``{stage: Scrapy stats}``."""
    from scrapy.crawler import CrawlerProcess
    from twisted.internet import defer

    from crawlers.spiders.member_pages import MemberPagesSpider
    from crawlers.spiders.roster import RosterSpider

    check(job)
    raw = str(Path(raw_dir).absolute())
    settings = crawl_settings(raw_dir=raw, extra={"LOG_LEVEL": log_level} if log_level else None)
    process = CrawlerProcess(settings)
    crawlers: dict[str, Any] = {}
    failures: list[Any] = []

    common = {"assembly_code": job.assembly_code, "since": since, "raw_dir": raw}
    kwargs = {
        "roster": {"start_url": job.start_url},
        "member_pages": {"start_url": job.blog_url, "member_name": job.member_name, "max_pages": job.max_pages},
    }
    classes = {"roster": RosterSpider, "member_pages": MemberPagesSpider}

    @defer.inlineCallbacks
    def run_all():
        try:
            for stage in job.stages():
                crawler = process.create_crawler(classes[stage])
                crawlers[stage] = crawler
                yield process.crawl(crawler, **common, **kwargs[stage])
        except Exception as exc:  # noqa: BLE001 - reported as CrawlError below
            failures.append(exc)
        finally:
            process._stop_reactor()

    run_all()
    process.start(stop_after_crawl=False)
    if failures:
        raise CrawlError(f"member crawl of {job.assembly_code} failed: {failures[0]}")
    stats = {stage: dict(c.stats.get_stats()) for stage, c in crawlers.items()}
    if stats_path:
        payload = {
            stage: {"summary": summarize(s), "stats": {k: _jsonable(v) for k, v in s.items()}}
            for stage, s in stats.items()
        }
        Path(stats_path).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return stats


def summary_lines(job: MemberCrawl, stats: dict[str, dict[str, Any]]) -> list[str]:
    return [summary_line(summarize(s), f"crawl-members {job.assembly_code} {stage}") for stage, s in stats.items()]
