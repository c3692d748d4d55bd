"""Per-host politeness shared by every crawler process: at most one request start per host per interval.

Scrapy's ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY`` hold inside one
process. Hundreds of councils share one SaaS host (``ssp.kaigiroku.net``,
``www.kensakusystem.jp``) and ``gikai crawl`` runs one council per process, so two
crawls of two tenants would put two request streams on that host. Here every request
books the host's next free turn and waits for it, just before it goes out:

- with ``REDIS_URL`` (``gikai crawl --redis``): key ``gikai:host:<host>`` holds the
  millisecond the host is free again and expires then (``SET … PX``), updated by one
  Lua script (``start = max(now, free)``, ``free = start + interval``) on the Redis
  server's clock, so workers on several machines agree. A killed worker's booking
  simply expires: it never blocks a host;
- otherwise a lock directory shared by the processes of one machine
  (``HOST_LOCK_DIR`` / ``GIKAI_HOST_LOCK_DIR``, default ``hostlock/`` beside the raw
  store, i.e. ``var/hostlock``): per host a file holding the time the host is free
  again, read and written under ``fcntl.flock`` (the kernel drops the flock of a
  killed process; the time it wrote just passes).

The interval is the crawl's ``DOWNLOAD_DELAY``: a floor across processes.
AutoThrottle and ``DOWNLOAD_DELAY_JITTER`` still space one process's own requests
further. With ``DOWNLOAD_DELAY = 0`` (test crawls of the local server) or
``HOST_LOCK_ENABLED = False`` (``GIKAI_HOST_LOCK=off``) nothing is booked or waited for.

Where it hooks in: :class:`HostLockDownloadHandler` wraps Scrapy's HTTP(S) download
handler, the last step before the request is sent. A downloader middleware would be
too early: its ``process_request`` runs before Scrapy's per-host download slot, which
then still holds the request for its own randomised, AutoThrottled delay (measured:
two crawls' requests 15 ms apart with a 0.25 s interval). In the handler, the request
has already passed the slot (so one process has at most
``CONCURRENT_REQUESTS_PER_DOMAIN`` requests waiting per host), the wait is not counted
in ``download_latency`` (AutoThrottle) nor ``DOWNLOAD_TIMEOUT``, and after the wait
the slot's clock is moved to the real start so its own delay counts from there.

Booking a turn rather than polling ``SET NX PX`` until the key is gone (the first idea
in docs/scaling.md) makes waiters take turns in order; with polling, the process
whose own request had just finished won every race and the other crawl starved.

Waiting never blocks the reactor: the Redis and file operations are single short
calls (like scrapy-redis's own queue operations), the waits are ``deferLater``.

Stats: ``hostlock/acquired`` (turns taken), ``hostlock/waits`` (requests that waited
for other processes) and ``hostlock/wait_seconds``; each such wait is logged at DEBUG.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import re
import time
from pathlib import Path
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)

KEY_PREFIX = "gikai:host:"
DEFAULT_DIR_NAME = "hostlock"
INNER_HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
_OWN_MARGIN = 0.005
"""Seconds added to our own booking's end so the next booking does not find it still there (ms rounding)."""
_BOGUS_FUTURE = 3600.0
"""A lock file time further ahead than this was written under a wrong clock: ignore it."""


class Backend(Protocol):
    name: str

    def reserve(self, host: str, hold: float) -> float:
        """Book ``host`` for ``hold`` seconds from when it is next free; returns the seconds until then."""

    def close(self) -> None: ...


# The key holds the millisecond (Redis server clock) the host is free again, and expires then.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local start = math.max(now, free)
local new = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', new - now)
return start - now
"""


class RedisBackend:
    """``gikai:host:<host>`` = when the host is free again (ms), expiring then: a dead worker's booking lapses."""

    name = "redis"

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
        self._reserve = self.client.register_script(_RESERVE)

    def reserve(self, host: str, hold: float) -> float:
        return int(self._reserve(keys=[KEY_PREFIX + host], args=[max(1, math.ceil(hold * 1000))])) / 1000.0

    def close(self) -> None:
        self.client.close()


class FileBackend:
    """Per host ``<dir>/<host>`` holding the epoch time the host is free again, updated under ``flock``."""

    name = "file"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, host: str) -> Path:
        return self.dir / (re.sub(r"[^A-Za-z0-9._-]", "_", host) or "_")

    def reserve(self, host: str, hold: float) -> float:
        fd = os.open(self.path(host), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held for one read and one write: microseconds
            try:
                free = float(os.read(fd, 64).decode("ascii", "replace").strip() or 0)
            except ValueError:
                free = 0.0
            now = time.time()
            if free > now + _BOGUS_FUTURE:
                free = 0.0
            start = max(now, free)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, f"{start + hold:.6f}\n".encode("ascii"))
            return start - now
        finally:
            os.close(fd)  # also releases the flock

    def close(self) -> None:
        pass


def lock_dir(settings) -> Path:
    """``HOST_LOCK_DIR``, else ``hostlock/`` beside the raw store (``var/raw`` → ``var/hostlock``)."""
    if configured := settings.get("HOST_LOCK_DIR"):
        return Path(configured)
    return Path(settings.get("RAW_DIR") or "var/raw").absolute().parent / DEFAULT_DIR_NAME


class HostLock:
    """One crawl's side of the shared lock: books turns, waits without blocking the reactor, counts."""

    def __init__(self, backend: Backend, interval: float, stats=None) -> None:
        self.backend = backend
        self.interval = interval
        self.stats = stats
        self._own_until: dict[str, float] = {}
        """Per host, when (``time.monotonic()``) this process's own last turn ends."""

    @classmethod
    def from_settings(cls, settings, stats=None) -> HostLock | None:
        """The crawl's lock, or None when it is off (``HOST_LOCK_ENABLED`` false or ``DOWNLOAD_DELAY`` 0)."""
        interval = settings.getfloat("DOWNLOAD_DELAY")
        if not settings.getbool("HOST_LOCK_ENABLED", True) or interval <= 0:
            return None
        if url := settings.get("REDIS_URL"):
            backend: Backend = RedisBackend(url)
        else:
            backend = FileBackend(lock_dir(settings))
        logger.info("host lock: %s backend, at most one request per host every %.2fs across processes",
                    backend.name, interval)
        return cls(backend, interval, stats)

    async def acquire(self, host: str, url: str = "") -> float:
        """Wait for our turn on ``host``; returns the seconds slept (0.0: the request may go at once).

        Only waits for other processes count in the stats: sitting out this process's own
        previous turn is what Scrapy's own delay does anyway.
        """
        slept = 0.0
        own = self._own_until.get(host, 0.0) - time.monotonic()
        if own > 0:
            await _sleep(own)
            slept += own
        wait = self.backend.reserve(host, self.interval)
        self._own_until[host] = time.monotonic() + wait + self.interval + _OWN_MARGIN
        if self.stats is not None:
            self.stats.inc_value("hostlock/acquired")
        if wait <= _OWN_MARGIN:
            return slept
        logger.debug("host lock: %s busy, waiting %.3fs before %s", host, wait, url or host)
        if self.stats is not None:
            self.stats.inc_value("hostlock/waits")
            self.stats.inc_value("hostlock/wait_seconds", round(wait, 3))
        await _sleep(wait)
        return slept + wait

    def close(self) -> None:
        self.backend.close()


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor  # the crawl's, installed by Scrapy before this runs

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


_LOCKS: WeakKeyDictionary[Any, HostLock | None] = WeakKeyDictionary()


class HostLockDownloadHandler:
    """Scrapy's HTTP(S) download handler (``HOST_LOCK_INNER_HANDLER``), after a turn on the host's lock."""

    lazy = False

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.inner = build_from_crawler(load_object(crawler.settings.get("HOST_LOCK_INNER_HANDLER") or INNER_HANDLER),
                                        crawler)
        # http and https get a handler each; they share the crawl's one lock.
        if crawler not in _LOCKS:
            _LOCKS[crawler] = HostLock.from_settings(crawler.settings, crawler.stats)
        self.lock = _LOCKS[crawler]

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        host = (urlparse_cached(request).hostname or "").lower()
        if self.lock is not None and host:
            if await self.lock.acquire(host, request.url):
                self._restart_slot_clock(request)
        return await self.inner.download_request(request)

    def _restart_slot_clock(self, request: Request) -> None:
        """After a wait, let Scrapy's own delay for the next request (AutoThrottle's) count from the real start."""
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        slot = getattr(downloader, "slots", {}).get(request.meta.get("download_slot"))
        if slot is not None and hasattr(slot, "lastseen"):
            slot.lastseen = time.monotonic()

    async def close(self) -> None:
        await self.inner.close()
        if self.lock is not None:
            self.lock.close()
