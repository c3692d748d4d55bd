"""Per-caller rate limits: a token bucket in memory, one per API key or per client IP (keyless demo).

A bucket holds ``rate`` tokens (one minute's worth, so a burst of a full minute is allowed)
and refills continuously at ``rate / 60`` per second. Limits are per server process;
put a shared limiter (e.g. at the proxy) in front of several workers.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_BUCKETS = 50_000


@dataclass
class Decision:
    allowed: bool
    limit: float
    remaining: int
    retry_after: int  # seconds until one token is back (0 when allowed)


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # identity -> (tokens, updated)

    def hit(self, identity: str, per_minute: float) -> Decision:
        """Take one token from ``identity``'s bucket if there is one."""
        if per_minute <= 0:
            return Decision(False, per_minute, 0, 60)
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            if identity not in self._buckets and len(self._buckets) >= MAX_BUCKETS:
                self._prune(now)
            tokens, updated = self._buckets.get(identity, (per_minute, now))
            tokens = min(per_minute, tokens + (now - updated) * rate)
            allowed = tokens >= 1.0
            self._buckets[identity] = (tokens - 1.0 if allowed else tokens, now)
        if allowed:
            return Decision(True, per_minute, int(tokens - 1.0), 0)
        return Decision(False, per_minute, 0, max(1, math.ceil((1.0 - tokens) / rate)))

    def _prune(self, now: float) -> None:
        # Buckets untouched for an hour are full again: forgetting them changes nothing.
        for identity in [i for i, (_, updated) in self._buckets.items() if now - updated > 3600]:
            del self._buckets[identity]
