"""Runtime settings, from the environment (GIKAI_*) or a .env file; one place only."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# A list from the environment: `a,b` (what people write: GIKAI_CORS_ORIGINS=https://crm.example.com)
# or a JSON array. Without NoDecode, pydantic-settings accepted only JSON and anything else stopped
# `gikai serve` (and every other gikai command) at start with a SettingsError.
EnvList = Annotated[list[str], NoDecode]


def usable_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# Two server processes where two cores are usable, and not more by default: each adds its own ~270 MB
# at a million statements (its DuckDB reader's cache, per-request objects). Measured with
# `gikai loadtest` on that index (50 clients, 1 s think, 2 cores), p95 statement / member / match:
# one process 50.9-56.3 / 71-78 / 125-135 ms at 1.7 GB; two 47.4-52.7 / 62-75 / 85-124 ms at 1.9 GB PSS
# (after the reader's cache went from 128 to 64 MB; 2.0-2.06 GB before); four 83.1 / 106.0 / 113.4 ms at 2.7 GB.
DEFAULT_SERVER_PROCESSES_MAX = 2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GIKAI_", env_file=".env", extra="ignore")

    raw_dir: Path = Path("var/raw")
    db_path: Path = Path("var/index.duckdb")
    host: str = "127.0.0.1"
    port: int = 8000
    max_query_chars: int = 1000
    max_limit: int = 100
    cors_origins: EnvList = []
    # Application state (API keys, saved searches, webhook deliveries): kept apart from the rebuilt index.
    state_path: Path = Path("var/state.sqlite3")
    demo_mode: bool = True  # keyless requests allowed (rate-limited per client IP); off = every /v1 call needs a key
    rate_limit_per_minute: float = 60  # default per API key; `gikai keys create --rate-limit` overrides
    demo_rate_limit_per_minute: float = 60  # keyless demo traffic, per client IP
    # Keyless clients never limited: local use and the test client (behind a proxy, forward X-Forwarded-For).
    demo_rate_limit_exempt: EnvList = ["127.0.0.1", "::1", "testclient"]
    webhook_max_attempts: int = 5
    webhook_backoff_seconds: float = 1.0  # 1, 2, 4, 8 … between attempts
    webhook_timeout_seconds: float = 10.0
    # Requests computed at once per server process. Search is mostly Python holding the GIL, so a
    # few threads answer a burst in order instead of slowing every request down together: one per
    # usable core (at most 4). Measured with `gikai loadtest` (50 clients, 1 s think, demo index,
    # 2 cores), p95 statement/member/match: 4 threads 88–142/122–146/133–154 ms, 3: 73/81/93,
    # 2: 59–62/61–65/69–74, 1: 162/162/167 (DuckDB and numpy release the GIL, so 2 overlap).
    request_threads: int = Field(default_factory=lambda: min(4, usable_cores()))
    # Which waiting search gets a free request thread: "deadline" = the one whose endpoint's latency
    # target runs out first (`api.schedule`), "arrival" = first come, first served.
    search_order: Literal["deadline", "arrival"] = "deadline"
    # Searches a server process computes at once. None: its request threads, and with
    # `gikai serve --workers N` its share of the usable cores (`api.schedule.slots_per_process`).
    search_slots: int | None = Field(default=None, ge=1)
    # Processes `gikai serve` (and `gikai loadtest`'s own server) start when --workers is not given.
    # None: `default_server_processes`.
    server_processes: int | None = Field(default=None, ge=1, le=64)
    # Load the index into memory before accepting requests (a first query would otherwise wait for it).
    warm_on_start: bool = True
    # After loading, move the process's objects out of the cyclic GC's reach (gc.freeze): the index
    # lives as long as the server, and a full collection over it took 44 ms at a million passages.
    # `gikai serve` turns it on; off by default because an application built and dropped in one
    # process (tests, notebooks) would keep its cyclic garbage.
    gc_freeze: bool = False

    @field_validator("cors_origins", "demo_rate_limit_exempt", mode="before")
    @classmethod
    def _env_list(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()


def default_server_processes(settings: Settings) -> int:
    """Server processes when --workers is not given: ``GIKAI_SERVER_PROCESSES``, else one per usable
    core up to ``DEFAULT_SERVER_PROCESSES_MAX``."""
    return settings.server_processes or min(DEFAULT_SERVER_PROCESSES_MAX, usable_cores())
