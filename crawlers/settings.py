"""Every crawler default in one place, and the one function that builds a crawl's settings.

Overrides come only from CLI options (passed to :func:`crawl_settings`) and from
environment variables prefixed ``GIKAI_``:

- ``GIKAI_USER_AGENT``: the whole User-Agent string;
- ``GIKAI_CONTACT``: contact put into the default User-Agent;
- ``GIKAI_RAW_DIR``: the raw store (default ``var/raw``), the same variable
  ``gikai import`` and ``gikai build`` read (``api/settings.py``);
- ``GIKAI_HOST_LOCK``: ``off`` turns the cross-process per-host lock off
  (``HOST_LOCK_ENABLED``, see :mod:`crawlers.hostlock`);
- ``GIKAI_HOST_LOCK_DIR``: its lock directory when there is no Redis (default
  ``hostlock/`` beside the raw store, ``var/hostlock``);
- ``GIKAI_SCRAPY_<NAME>``: any Scrapy setting, e.g. ``GIKAI_SCRAPY_DOWNLOAD_DELAY=3``
  (tests use it to crawl the local server without delay).

Elsewhere in ``crawlers`` only :mod:`crawlers.registry` (``GIKAI_PERMISSIONS_FILE``)
and :mod:`crawlers.sns` (``GIKAI_X_BEARER_TOKEN``, ``GIKAI_X_API_BASE``) read ``os.environ``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from crawlers import hostlock

BOT_NAME = "gikai"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

PROJECT_URL = "https://github.com/gikai-search/gikai"
DEFAULT_CONTACT = "crawler@gikai.example"
USER_AGENT = f"gikai-crawler/0.1 (+{PROJECT_URL}; contact: {DEFAULT_CONTACT})"

# Politeness: council sites are small municipal servers.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.5
DOWNLOAD_DELAY_JITTER = 0.5
"""Each delay is 0.5–1.5 × DOWNLOAD_DELAY (Scrapy ≥ 2.19; replaces the deprecated RANDOMIZE_DOWNLOAD_DELAY)."""
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
# The limits above hold per process; crawlers/hostlock.py makes DOWNLOAD_DELAY a floor per host across
# every crawl process sharing the Redis (REDIS_URL) or, without Redis, the lock directory of one machine.
HOST_LOCK_ENABLED = True
HOST_LOCK_DIR: str | None = None
"""None: ``hostlock/`` beside the raw store (``var/raw`` → ``var/hostlock``)."""
HOST_LOCK_INNER_HANDLER = hostlock.INNER_HANDLER
"""The download handler that sends the request once the turn is taken."""

# Retries wait RETRY_BACKOFF_BASE * 2**(n-1) seconds (capped) before the n-th retry.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0

# Development cache (``gikai crawl --httpcache``), off by default.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
"""Relative: beside the raw store (``var/raw`` → ``var/httpcache``)."""
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 408, 429]

# Records go to the raw store through the pipelines, never to feed exports.
FEEDS: dict[str, Any] = {}
ITEM_PIPELINES = {
    "crawlers.pipelines.ValidateRecordPipeline": 100,
    "crawlers.pipelines.RawStorePipeline": 800,
}
DOWNLOADER_MIDDLEWARES = {
    # First of all: X, Facebook, Instagram and TikTok are never requested (see crawlers/middlewares_sns.py).
    "crawlers.middlewares_sns.SnsRefusalMiddleware": 10,
    # Counting subclasses replace Scrapy's own at the same positions.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.CountingRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    "crawlers.middlewares.FetchStatsMiddleware": 950,
}
# The per-host lock across processes (crawlers/hostlock.py) wraps the HTTP(S) handler rather than being a
# downloader middleware: middlewares run before Scrapy's per-host download slot, which may still hold a
# request for its own delay after it has taken its turn. In the handler the turn is taken just before the
# request is sent, and only by requests that really go out (not robots.txt refusals, not HTTP-cache hits).
DOWNLOAD_HANDLERS = {
    "http": "crawlers.hostlock.HostLockDownloadHandler",
    "https": "crawlers.hostlock.HostLockDownloadHandler",
}

RAW_DIR = str(Path("var") / "raw")
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

REDIS_SETTINGS = {
    "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    # Keep the shared queue when a process stops so others (or a restart) go on.
    "SCHEDULER_PERSIST": True,
}


def _coerce(value: str) -> Any:
    """Env values are strings; JSON lets ``0``, ``true`` and ``[500, 503]`` through typed."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def default_raw_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$GIKAI_RAW_DIR``, else ``var/raw``: where crawls write when no ``--raw-dir`` is given."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("GIKAI_RAW_DIR") or RAW_DIR)


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    if raw_dir := environ.get("GIKAI_RAW_DIR"):
        out["RAW_DIR"] = raw_dir
    if host_lock := environ.get("GIKAI_HOST_LOCK"):
        out["HOST_LOCK_ENABLED"] = host_lock.strip().lower() not in ("off", "0", "false", "no")
    if host_lock_dir := environ.get("GIKAI_HOST_LOCK_DIR"):
        out["HOST_LOCK_DIR"] = host_lock_dir
    if contact := environ.get("GIKAI_CONTACT"):
        out["USER_AGENT"] = f"gikai-crawler/0.1 (+{PROJECT_URL}; contact: {contact})"
    if ua := environ.get("GIKAI_USER_AGENT"):
        out["USER_AGENT"] = ua
    prefix = "GIKAI_SCRAPY_"
    for key, value in environ.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            out[key[len(prefix) :]] = _coerce(value)
    return out


def crawl_settings(
    *,
    raw_dir: str | os.PathLike[str] | None = None,
    redis_url: str | None = None,
    redis_key: str | None = None,
    jobdir: str | os.PathLike[str] | None = None,
    httpcache: bool = False,
    obey_robots: bool = True,
    environ: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings for one crawl: module defaults < GIKAI_* env < CLI options."""
    settings = Settings()
    settings.setmodule(__name__, priority="project")
    settings.setdict(env_overrides(environ), priority="project")
    cmdline: dict[str, Any] = {}
    if raw_dir is not None:
        cmdline["RAW_DIR"] = str(raw_dir)
    if httpcache:
        cache_dir = Path(settings["HTTPCACHE_DIR"])
        if not cache_dir.is_absolute():
            base = Path(raw_dir if raw_dir is not None else settings["RAW_DIR"]).absolute().parent
            cache_dir = base / cache_dir
        cmdline["HTTPCACHE_ENABLED"] = True
        cmdline["HTTPCACHE_DIR"] = str(cache_dir)
    if jobdir is not None:
        cmdline["JOBDIR"] = str(jobdir)
    if not obey_robots:
        cmdline["ROBOTSTXT_OBEY"] = False
    if redis_url:
        cmdline.update(REDIS_SETTINGS)
        cmdline["REDIS_URL"] = redis_url
        if redis_key:
            # One queue per crawl target, so crawls of different assemblies
            # on the same Redis never mix.
            cmdline["SCHEDULER_QUEUE_KEY"] = f"gikai:{redis_key}:requests"
            cmdline["SCHEDULER_DUPEFILTER_KEY"] = f"gikai:{redis_key}:dupefilter"
    cmdline.update(extra or {})
    settings.setdict(cmdline, priority="cmdline")
    if settings.getfloat("AUTOTHROTTLE_START_DELAY") < settings.getfloat("DOWNLOAD_DELAY"):
        settings.set("AUTOTHROTTLE_START_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    return settings
