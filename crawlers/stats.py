"""The crawl summary: five numbers read from Scrapy's stats, one line printed.

Keys (incremented by the middlewares, the base spider and the pipelines):

- ``fetched``: responses received (robots.txt excluded);
- ``raw/stored``: records new to the raw store (``raw/duplicate``: already there);
- ``skipped/<why>``: minutes not requested (``already_stored``, ``before_since``, …);
- ``robots/blocked``: requests robots.txt forbade;
- ``quarantine/count`` (``quarantine/reason/<reason>``): responses set aside;
- ``hostlock/waits`` (``hostlock/wait_seconds``): requests that waited for another
  process's turn on their host (``crawlers.hostlock``); shown only when not 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SUMMARY_FIELDS = ("fetched", "stored", "skipped", "blocked_by_robots", "quarantined")


def summarize(stats: Mapping[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "fetched": int(stats.get("fetched", 0)),
        "stored": int(stats.get("raw/stored", 0)),
        "skipped": int(sum(v for k, v in stats.items() if k.startswith("skipped/"))),
        "blocked_by_robots": int(stats.get("robots/blocked", 0)),
        "quarantined": int(stats.get("quarantine/count", 0)),
    }
    if waits := int(stats.get("hostlock/waits", 0)):
        summary["host_lock_waits"] = waits
        summary["host_lock_wait_seconds"] = round(float(stats.get("hostlock/wait_seconds", 0)), 1)
    return summary


def summary_line(summary: Mapping[str, Any], label: str = "crawl") -> str:
    """``crawl 012025 discussnet_ssp: fetched=12 stored=5 skipped=0 blocked-by-robots=0 quarantined=2``

    plus `` host-lock-waits=3 (4.2s)`` when requests waited for other processes on their host."""
    parts = " ".join(f"{k.replace('_', '-')}={summary.get(k, 0)}" for k in SUMMARY_FIELDS)
    if waits := summary.get("host_lock_waits"):
        parts += f" host-lock-waits={waits} ({summary.get('host_lock_wait_seconds', 0)}s)"
    return f"{label}: {parts}"
