"""A bounded load test of a running API server: N concurrent clients for a fixed time, over loopback.

Each client loops over a mix of the three searches a partner makes, with the dev queries
(``data/eval/member-queries-dev.jsonl``, field ``query``)::

    GET  /v1/statements/search?q=…&limit=10     target p95 ≤ 50 ms
    GET  /v1/members/search?q=…&limit=10        target p95 ≤ 100 ms
    POST /v1/match {"description": …}            target p95 ≤ 300 ms

and the result is one JSON object: per endpoint the count, errors (non-2xx answers and
exceptions such as timeouts, with a few example messages), p50/p95/p99/max latency in ms and
pass/fail against its target; overall requests/s; and whether the run passed (no errors and every
p95 within its target).

Latency is wall time from sending a request to reading the whole response, as a client sees it:
with more clients than cores it includes queueing in the server. Nothing is special-cased. Before
the timed run one request per endpoint is sent (the server loads the embedding model on the first
search); their latencies are reported as ``warmup_ms`` and not counted. The client runs in this
process and the server in another (``gikai serve``), so they do not share one interpreter lock;
``client_cpu_percent`` (CPU time of this process over wall time, 100 = one core) shows whether the
client itself was close to being the bottleneck, and ``load_average_1m_before`` whether other work shared
the machine.

``gikai loadtest --db var/index.duckdb`` starts its own server (``serve_subprocess``) on a free
loopback port; ``gikai loadtest --url http://127.0.0.1:8000`` measures a server already running.

Example::

    from api.loadtest import load_queries, run_load, serve_subprocess
    with serve_subprocess("var/index.duckdb") as url:
        result = run_load(url, load_queries(Path("data/eval/member-queries-dev.jsonl")), clients=50, seconds=60)
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import aiohttp
import certifi
import httpx
import typer

from api.schedule import TARGETS_MS

# Relative weights of the endpoints in each client's loop.
DEFAULT_MIX: dict[str, int] = {"statements": 1, "members": 1, "match": 1}
ENDPOINTS = ("statements", "members", "match")
DEFAULT_QUERIES = Path("data/eval/member-queries-dev.jsonl")
MAX_ERROR_EXAMPLES = 5


def load_queries(path: str | os.PathLike[str]) -> list[str]:
    """The ``query`` field of every line of a JSONL file (blank lines skipped)."""
    queries = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            queries.append(str(json.loads(line)["query"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a JSON object with a 'query' field") from exc
    if not queries:
        raise ValueError(f"{path}: no queries")
    return queries


def _request(endpoint: str, query: str) -> tuple[str, str, dict]:
    """(method, path, aiohttp keyword arguments) of one request."""
    if endpoint == "statements":
        return "GET", "/v1/statements/search", {"params": {"q": query, "limit": 10}}
    if endpoint == "members":
        return "GET", "/v1/members/search", {"params": {"q": query, "limit": 10}}
    if endpoint == "match":
        return "POST", "/v1/match", {"json": {"description": query}}
    raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")


def _schedule(mix: Mapping[str, int]) -> list[str]:
    """The endpoints of one round of a client's loop, interleaved (mix {a: 2, b: 1} → a, b, a)."""
    unknown = set(mix) - set(ENDPOINTS)
    if unknown:
        raise ValueError(f"unknown endpoints in mix: {sorted(unknown)}; one of {', '.join(ENDPOINTS)}")
    if any(int(w) != w or w < 0 for w in mix.values()) or not any(mix.values()):
        raise ValueError("mix: weights must be non-negative integers, at least one positive")
    longest = max(mix.values())
    return [e for i in range(longest) for e in ENDPOINTS if mix.get(e, 0) > i]


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (so p50 ≤ p95 ≤ p99 ≤ max always)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class _Stats:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    examples: list[str] = field(default_factory=list)

    def record(self, ms: float, status: int | None, error: str | None) -> None:
        self.latencies_ms.append(ms)
        self.statuses[str(status) if status is not None else "exception"] += 1
        if error is not None:
            self.errors += 1
            if len(self.examples) < MAX_ERROR_EXAMPLES:
                self.examples.append(error)

    def summary(self, target_ms: float | None) -> dict:
        lat = sorted(self.latencies_ms)
        p95 = round(percentile(lat, 95), 1)
        out = {
            "count": len(lat),
            "errors": self.errors,
            "error_examples": self.examples,
            "status_counts": dict(sorted(self.statuses.items())),
            "mean_ms": round(sum(lat) / len(lat), 1) if lat else 0.0,
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": p95,
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(lat[-1], 1) if lat else 0.0,
            "target_p95_ms": target_ms,
        }
        out["pass"] = bool(lat) and self.errors == 0 and (target_ms is None or p95 <= target_ms)
        return out


@dataclass
class _Client:
    """One simulated user: a session holding one kept-alive connection, and the server's base URL."""

    http: aiohttp.ClientSession
    base_url: str


def _session(headers: dict[str, str], timeout: float, tls: ssl.SSLContext) -> aiohttp.ClientSession:
    # aiohttp, not httpx: the client shares the two cores with the server it measures, and httpx spent
    # 2.4-2.6 ms of CPU a request against aiohttp's 0.7-0.8 (the same 300 requests to a million-passage
    # index): 12 % of a core at 44 requests/s taken from the server under test.
    return aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=timeout),
                                 connector=aiohttp.TCPConnector(limit=1, ssl=tls))


async def _send(client: _Client, endpoint: str, query: str) -> tuple[float, int | None, str | None]:
    method, path, kwargs = _request(endpoint, query)
    started = time.perf_counter()
    try:
        async with client.http.request(method, client.base_url + path, **kwargs) as response:
            body = await response.read()
        ms = (time.perf_counter() - started) * 1000
    except (aiohttp.ClientError, TimeoutError) as exc:
        ms = (time.perf_counter() - started) * 1000
        return ms, None, f"{method} {path} q={query[:30]!r}: {type(exc).__name__}: {exc}"[:300]
    if not 200 <= response.status < 300:
        text = body[:400].decode("utf-8", errors="replace")[:200]
        return ms, response.status, f"{method} {path} q={query[:30]!r}: {response.status} {text}"
    return ms, response.status, None


async def _run(base_url: str, queries: Sequence[str], clients: int, seconds: float, schedule: list[str],
               headers: dict[str, str], timeout: float, warmup: bool, think: float = 0.0) -> dict:
    stats = {e: _Stats() for e in ENDPOINTS}
    warmup_ms: dict[str, float] = {}

    # One TLS context for every client (building one per client cost 22 ms each here).
    tls = ssl.create_default_context(cafile=certifi.where())

    def connection() -> _Client:
        return _Client(_session(headers, timeout, tls), base_url)

    if warmup:
        warm = connection()
        async with warm.http:
            for endpoint in dict.fromkeys(schedule):
                ms, _, error = await _send(warm, endpoint, queries[0])
                warmup_ms[endpoint] = round(ms, 1)
                if error is not None:  # a broken server is an error of the run, not a warm-up detail
                    stats[endpoint].record(ms, None, f"warm-up: {error}")

    # Each client keeps its own connection, as separate users and CRM integrations do. One
    # shared pool sent most requests over the few connections it had used last, so a server
    # of several processes saw its load on whichever ones had accepted those.
    # They are made before the clock starts: made inside each client, they blocked the event loop
    # for about a second, and the clients whose staggered start fell in that second then sent their
    # first requests at the same instant (p99 300-500 ms from the first 2 s of a run).
    sessions = [connection() for _ in range(clients)]
    started = time.perf_counter()
    deadline = started + seconds

    async def client(i: int) -> None:
        rng = random.Random(i)
        session = sessions[i]
        async with session.http:
            if think > 0:  # spread the first requests instead of a thundering herd
                await asyncio.sleep(rng.uniform(0, think))
            n = 0
            # Clients start at different points of the query list and of the endpoint mix.
            while time.perf_counter() < deadline:
                endpoint = schedule[(i + n) % len(schedule)]
                query = queries[(i * 7 + n) % len(queries)]
                ms, status, error = await _send(session, endpoint, query)
                stats[endpoint].record(ms, status, error)
                n += 1
                if think > 0:  # a person reading the answer before the next search
                    await asyncio.sleep(rng.expovariate(1.0 / think))

    cpu_before = time.process_time()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    return {"stats": stats, "elapsed": elapsed, "cpu": cpu, "warmup_ms": warmup_ms}


def run_load(base_url: str, queries: Sequence[str], clients: int = 50, seconds: float = 60.0,
             mix: Mapping[str, int] | None = None, api_key: str | None = None, timeout: float = 30.0,
             targets: Mapping[str, float] | None = None, warmup: bool = True, think: float = 0.0) -> dict:
    """Run ``clients`` concurrent clients against ``base_url`` for ``seconds``; the result as a JSON-able dict.

    ``mix``: relative weights of ``statements``, ``members`` and ``match`` (default one each);
    ``api_key``: sent as ``X-API-Key`` (needed when the server is not in demo mode; the key's rate
    limit then applies, so create it with ``gikai keys create --rate-limit`` high enough).
    A request still in flight at the deadline is waited for and counted.
    ``think``: mean pause (exponential) of each client between its requests; 0 = closed loop, every
    client sends its next request the moment the last one returns (the server's saturation).
    """
    if clients < 1 or seconds <= 0:
        raise ValueError("clients must be ≥ 1 and seconds > 0")
    queries = [q for q in queries if q.strip()]
    if not queries:
        raise ValueError("no queries")
    mix = dict(DEFAULT_MIX if mix is None else mix)
    targets = dict(TARGETS_MS if targets is None else targets)
    schedule = _schedule(mix)
    headers = {"X-API-Key": api_key} if api_key else {}
    load_before = _load_average()
    raw = asyncio.run(_run(base_url.rstrip("/"), list(queries), clients, seconds, schedule, headers, timeout, warmup,
                           think))
    stats: dict[str, _Stats] = raw["stats"]
    endpoints = {e: stats[e].summary(targets.get(e)) for e in ENDPOINTS if mix.get(e, 0) > 0}
    requests = sum(s["count"] for s in endpoints.values())
    errors = sum(s["errors"] for s in endpoints.values())
    return {
        "url": base_url,
        "clients": clients,
        "think_s": think,
        "seconds": seconds,
        "elapsed_s": round(raw["elapsed"], 2),
        "mix": {e: mix.get(e, 0) for e in ENDPOINTS},
        "queries": len(queries),
        "requests": requests,
        "errors": errors,
        "requests_per_s": round(requests / raw["elapsed"], 1) if raw["elapsed"] else 0.0,
        "client_cpu_percent": round(100 * raw["cpu"] / raw["elapsed"], 1) if raw["elapsed"] else 0.0,
        "cpu_count": os.cpu_count(),
        # Other work on the machine inflates latency: the 1-minute load average just before the run
        # (afterwards it mostly counts the loaded server's own busy threads).
        "load_average_1m_before": load_before,
        "warmup_ms": raw["warmup_ms"],
        "endpoints": endpoints,
        "pass": errors == 0 and all(s["pass"] for s in endpoints.values()),
    }


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not on every platform
        return None


# -- a server of our own ------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _log_tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


class LocalServer:
    """``gikai serve --db DB --host 127.0.0.1 --port <free>`` as a child process (a context manager).

    Entering waits until ``/healthz`` answers 200 (``RuntimeError`` with the log's tail if the server
    exits or stays silent); leaving stops it (SIGTERM, then SIGKILL). The server's output goes to
    ``log_path`` (default: a temporary file, removed afterwards), never to a pipe nobody reads.
    """

    def __init__(self, db: str | os.PathLike[str], host: str = "127.0.0.1", port: int | None = None,
                 startup_timeout: float = 120.0, env: Mapping[str, str] | None = None,
                 log_path: str | os.PathLike[str] | None = None, workers: int | None = 1, cwd: str | None = None):
        self.db = Path(db)
        if not self.db.exists():
            raise FileNotFoundError(f"{self.db}: no index; run `gikai build` first")
        self.host, self.port = host, port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.startup_timeout, self.env, self.workers, self.cwd = startup_timeout, dict(env or {}), workers, cwd
        self._own_log = log_path is None
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="gikai-serve-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None
        self.start_seconds = 0.0

    def __enter__(self) -> LocalServer:
        # workers=None: what `gikai serve` starts by default.
        cmd = [sys.executable, "-m", "api.cli", "serve", "--db", str(self.db.resolve()), "--host", self.host,
               "--port", str(self.port), *(["--workers", str(self.workers)] if self.workers else [])]
        started = time.perf_counter()
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.cwd, env={**os.environ, **self.env})
        try:
            deadline = time.monotonic() + self.startup_timeout
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode} before answering; log "
                                       f"{self.log_path}:\n{_log_tail(self.log_path)}")
                try:
                    if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer /healthz within {self.startup_timeout:g} s; log "
                                       f"{self.log_path}:\n{_log_tail(self.log_path)}")
                time.sleep(0.2)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.start_seconds = time.perf_counter() - started
        return self

    def peak_rss_mb(self) -> float:
        """The server process's peak resident memory (VmHWM)."""
        if self.proc is None:
            return 0.0
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            pass
        return 0.0

    def memory(self) -> dict:
        """The server's memory now: every process it forked included. PSS counts a page shared by the
        processes once (forked servers share the loaded index), summed RSS counts it in each."""
        from index.bench import _process_tree, _pss_kb, _status_kb

        if self.proc is None:
            return {}
        tree = _process_tree(self.proc.pid)
        pss = [_pss_kb(p) for p in tree]
        return {"rss_sum_mb": round(sum(_status_kb(p, "VmRSS") for p in tree) / 1024, 1),
                "pss_sum_mb": round(sum(v or 0 for v in pss) / 1024, 1) if any(v is not None for v in pss) else None,
                "parent_peak_rss_mb": self.peak_rss_mb()}

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._own_log:
            self.log_path.unlink(missing_ok=True)


@contextmanager
def serve_subprocess(db: str | os.PathLike[str], host: str = "127.0.0.1", port: int | None = None,
                     startup_timeout: float = 120.0, env: Mapping[str, str] | None = None,
                     log_path: str | os.PathLike[str] | None = None, workers: int = 1) -> Iterator[str]:
    """A ``LocalServer`` on ``db``; yields its base URL."""
    with LocalServer(db, host, port, startup_timeout, env, log_path, workers) as server:
        yield server.url


# -- the command ----------------------------------------------------------------------------


def loadtest(
    url: Annotated[str | None, typer.Option(
        "--url", help="Server to load, e.g. http://127.0.0.1:8000 [default: start one on --db]")] = None,
    db: Annotated[Path | None, typer.Option(
        "--db", help="Index to serve when no --url [default: $GIKAI_DB_PATH or var/index.duckdb]")] = None,
    clients: Annotated[int, typer.Option(min=1, max=1000, help="Concurrent clients")] = 50,
    seconds: Annotated[float, typer.Option(min=0.1, max=3600, help="Duration of the timed run")] = 60.0,
    queries: Annotated[Path, typer.Option(help="JSONL with a 'query' field per line")] = DEFAULT_QUERIES,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", envvar="GIKAI_LOADTEST_API_KEY", help="Sent as X-API-Key (servers not in demo mode)")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 on any error or a p95 over its target")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object for machines")] = False,
    think: Annotated[float, typer.Option(min=0, max=600, help="Mean pause of each client between requests "
                                                             "(s); 0 = closed loop (saturation)")] = 1.0,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Server processes when starting one [default: as `gikai serve`: "
                            "$GIKAI_SERVER_PROCESSES, else one per core up to 2]")] = None,
) -> None:
    """Load test: N concurrent clients for a fixed time (statement search, member search, match); latency as JSON."""
    from api.settings import default_server_processes, get_settings

    if not queries.exists():
        typer.echo(f"error: {queries}: no such file", err=True)
        raise typer.Exit(2)
    try:
        texts = load_queries(queries)
        if url:
            result = run_load(url, texts, clients=clients, seconds=seconds, api_key=api_key, think=think)
        else:
            settings = get_settings()
            workers = workers or default_server_processes(settings)
            with LocalServer(db or settings.db_path, workers=workers) as own:
                result = run_load(own.url, texts, clients=clients, seconds=seconds, api_key=api_key, think=think)
                result["server"] = {"processes": workers, **own.memory()}
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print(result)
    if check and not result["pass"]:
        raise typer.Exit(1)


def _print(result: dict) -> None:
    typer.echo(f"{result['clients']} clients × {result['seconds']:g} s against {result['url']}: "
               f"{result['requests']} requests, {result['requests_per_s']} req/s, {result['errors']} errors "
               f"(client CPU {result['client_cpu_percent']}% of one core; "
               f"load average before {result['load_average_1m_before']} on {result['cpu_count']} CPUs)")
    for name, s in result["endpoints"].items():
        verdict = "ok" if s["pass"] else "MISS"
        typer.echo(f"  {name:<10} n={s['count']:<6} err={s['errors']:<4} p50={s['p50_ms']:>7} p95={s['p95_ms']:>7} "
                   f"p99={s['p99_ms']:>7} max={s['max_ms']:>7} ms  target p95≤{s['target_p95_ms']:g}  {verdict}")
        for example in s["error_examples"]:
            typer.echo(f"    {example}")
    typer.echo("PASS" if result["pass"] else "FAIL")


def register(app: typer.Typer) -> None:
    """``gikai loadtest``: add the command to the CLI (as ``api.keys_cli.register`` does for keys)."""
    app.command("loadtest")(loadtest)


def main() -> None:
    typer.run(loadtest)


if __name__ == "__main__":
    main()
