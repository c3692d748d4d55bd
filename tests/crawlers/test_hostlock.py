"""The per-host lock across processes (crawlers/hostlock.py), with a real redis-server and real processes.

Crawl tests run small Scrapy crawls in subprocesses (the settings of ``crawl_settings``,
so the lock is hooked in as in production) against a local server that notes
when each request arrives and for which Host. Intervals are 0.25 s; gaps are
checked with a tolerance for the server's thread scheduling.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawlers.hostlock import FileBackend, HostLock, RedisBackend, lock_dir
from crawlers.settings import crawl_settings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
INTERVAL = 0.25
TOLERANCE = 0.05





# -- a server that notes arrival times ---------------------------------------------------------

class ArrivalServer:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str, str]] = []  # (time.monotonic(), host, path)
        lock = threading.Lock()
        arrivals = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002
                pass

            def do_GET(self):  # noqa: N802
                with lock:
                    arrivals.append((time.monotonic(), self.headers["Host"].split(":")[0], self.path))
                body = b"ok" if self.path != "/robots.txt" else b"User-agent: *\nDisallow:\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def times(self, host: str) -> list[float]:
        return sorted(t for t, h, _ in self.arrivals if h == host)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    s = ArrivalServer()
    yield s
    s.close()


PROBE = r"""
import json, sys
from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from crawlers.settings import crawl_settings

cfg = json.loads(sys.argv[1])

class Probe(Spider):
    name = "hostlock_probe"

    async def start(self):
        for url in cfg["urls"]:
            yield Request(url, dont_filter=True)

    def parse(self, response):
        pass

settings = crawl_settings(raw_dir=cfg["raw"], redis_url=cfg.get("redis"), redis_key=cfg.get("key"),
                          environ=cfg["environ"], extra={"LOG_LEVEL": "DEBUG"})
process = CrawlerProcess(settings)
crawler = process.create_crawler(Probe)
print("ready", flush=True)
sys.stdin.readline()  # all crawls start together
process.crawl(crawler)
process.start()
with open(cfg["stats"], "w") as f:
    json.dump({k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, (int, float, str))}, f)
"""


def probe_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIKAI_") and "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def crawl_environ(**extra: str) -> dict[str, str]:
    """The crawl's GIKAI_* settings: the production defaults but a 0.25 s delay."""
    return {"GIKAI_SCRAPY_DOWNLOAD_DELAY": str(INTERVAL), "GIKAI_SCRAPY_RETRY_TIMES": "0", **extra}


def run_probes(tmp_path: Path, jobs: list[dict]) -> list[dict]:
    """Start every crawl at once; wait; return each crawl's stats."""
    procs = []
    for i, job in enumerate(jobs):
        cfg = {"raw": str(tmp_path / f"raw{i}"), "stats": str(tmp_path / f"stats{i}.json"), **job}
        procs.append((subprocess.Popen([sys.executable, "-c", PROBE, json.dumps(cfg)], cwd=REPO, env=probe_env(),
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True), cfg))
    for proc, _cfg in procs:  # Scrapy imported and set up everywhere: no start-up skew between the crawls
        assert proc.stdout.readline().strip() == "ready", proc.communicate()[1][-3000:]
    for proc, _cfg in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    stats = []
    for proc, cfg in procs:
        _out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0, err[-3000:]
        stats.append({**json.loads(Path(cfg["stats"]).read_text()), "_log": err})
    return stats


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


@pytest.mark.parametrize("backend", ["redis", "file"])
def test_two_crawls_of_one_host_take_turns_and_other_hosts_do_not_wait(backend, server, tmp_path, request):
    """Two crawl processes on 127.0.0.1 share it; a third on localhost (same server, other host) never waits."""
    env = crawl_environ()
    common: dict = {}
    if backend == "redis":
        common["redis"] = request.getfixturevalue("redis_url")
    else:
        env["GIKAI_HOST_LOCK_DIR"] = str(tmp_path / "locks")
    # Long enough that the crawls overlap even when one engine starts a second late after "go"
    # (with 4 pages, one crawl was once over before the other began: a,a,a,a,b,b,b,b).
    n = 8
    jobs = [
        {**common, "key": "a", "environ": env,
         "urls": [f"http://127.0.0.1:{server.port}/a/{i}" for i in range(n)]},
        {**common, "key": "b", "environ": env,
         "urls": [f"http://127.0.0.1:{server.port}/b/{i}" for i in range(n)]},
        {**common, "key": "c", "environ": env,
         "urls": [f"http://localhost:{server.port}/c/{i}" for i in range(n)]},
    ]
    stats_a, stats_b, stats_c = run_probes(tmp_path, jobs)
    for s in (stats_a, stats_b, stats_c):
        assert f"host lock: {backend} backend" in s["_log"]

    shared = server.times("127.0.0.1")
    assert len(shared) == 2 * (n + 1)  # each crawl's pages and its robots.txt
    assert min(gaps(shared)) >= INTERVAL - TOLERANCE, sorted(server.arrivals)
    # The two crawls really overlapped and took turns, and the summary counts the waits.
    order = [path.split("/")[1] for _t, host, path in sorted(server.arrivals) if host == "127.0.0.1"
             and path != "/robots.txt"]
    assert sum(1 for x, y in zip(order, order[1:], strict=False) if x != y) >= 3, order
    assert stats_a.get("hostlock/waits", 0) + stats_b.get("hostlock/waits", 0) >= 1
    assert stats_a.get("hostlock/wait_seconds", 0) + stats_b.get("hostlock/wait_seconds", 0) > 0

    # localhost is another host: its crawl never waited for the 127.0.0.1 crawls.
    assert stats_c["hostlock/acquired"] == n + 1
    assert stats_c.get("hostlock/waits", 0) == 0
    own = server.times("localhost")
    assert min(gaps(own)) >= INTERVAL - TOLERANCE
    if backend == "file":
        assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == ["127.0.0.1", "localhost"]


def test_lock_off_means_no_lock(server, tmp_path):
    off = crawl_environ(GIKAI_HOST_LOCK="off", GIKAI_HOST_LOCK_DIR=str(tmp_path / "locks"))
    n = 3
    stats = run_probes(tmp_path, [{"environ": off, "urls": [f"http://127.0.0.1:{server.port}/{i}" for i in range(n)]}])
    assert len(server.times("127.0.0.1")) == n + 1
    # No lock at all: nothing taken, nothing waited for, no lock directory.
    assert all("hostlock/acquired" not in s and "host lock:" not in s["_log"] for s in stats)
    assert not (tmp_path / "locks").exists()

    assert HostLock.from_settings(crawl_settings(environ={"GIKAI_HOST_LOCK": "off"})) is None
    assert HostLock.from_settings(crawl_settings(environ={"GIKAI_SCRAPY_DOWNLOAD_DELAY": "0"})) is None


# -- the backends across real processes ---------------------------------------------------------

USER = r"""
import json, sys, time
from crawlers.hostlock import FileBackend, RedisBackend
kind, where, host, count, hold = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
backend = RedisBackend(where) if kind == "redis" else FileBackend(where)
print("ready", flush=True)
sys.stdin.readline()  # start together
taken = []
while len(taken) < count:
    time.sleep(backend.reserve(host, hold))
    taken.append(time.time())
print(json.dumps(taken), flush=True)
"""


def start_user(kind: str, where: str, host: str, count: int, hold: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", USER, kind, where, host, str(count), str(hold)], cwd=REPO,
                            env=probe_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("kind", ["redis", "file"])
def test_lock_users_in_separate_processes(kind, tmp_path, request):
    where = request.getfixturevalue("redis_url") if kind == "redis" else str(tmp_path / "locks")
    users = [start_user(kind, where, "ssp.kaigiroku.net", 4, INTERVAL) for _ in range(2)]
    other = start_user(kind, where, "www.kensakusystem.jp", 4, INTERVAL)
    for proc in [*users, other]:
        assert proc.stdout.readline().strip() == "ready"
    start = time.time()
    for proc in [*users, other]:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    *shared_results, other_result = [json.loads(proc.communicate(timeout=30)[0].strip()) for proc in [*users, other]]
    shared = sorted(t for r in shared_results for t in r)
    assert len(shared) == 8
    assert min(gaps(shared)) >= INTERVAL - TOLERANCE, gaps(shared)
    assert shared[-1] - shared[0] < 7 * INTERVAL + 0.5  # turns follow each other, nobody idles
    # The other host went at its own pace, not after the shared host's 8 turns.
    assert other_result[0] - start < 0.5
    assert other_result[-1] - start < 3 * INTERVAL + 0.5


def test_a_killed_redis_holder_frees_the_host_when_its_booking_expires(redis_url):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom crawlers.hostlock import RedisBackend\n"
         f"print(RedisBackend({redis_url!r}).reserve('ssp.kaigiroku.net', 1.0), flush=True)\n"
         "time.sleep(60)"],
        cwd=REPO, env=probe_env(), stdout=subprocess.PIPE, text=True)
    assert float(holder.stdout.readline()) == 0.0  # its turn, at once
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    backend = RedisBackend(redis_url)
    key = "gikai:host:ssp.kaigiroku.net"
    assert 0 < backend.client.pttl(key) <= 1000
    wait = backend.reserve("ssp.kaigiroku.net", INTERVAL)
    assert 0 < wait <= 1.0  # only until the dead holder's turn ends
    time.sleep(wait + INTERVAL + 0.05)
    assert backend.client.exists(key) == 0  # expired: nothing left behind
    assert backend.reserve("ssp.kaigiroku.net", INTERVAL) == 0.0


def test_a_killed_file_holder_and_stale_times_do_not_block(tmp_path):
    backend = FileBackend(tmp_path)
    path = backend.path("www.kensakusystem.jp")
    # A process killed while it holds the flock: the kernel drops the lock with it.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\nfcntl.flock(fd, fcntl.LOCK_EX)\n"
         "os.write(fd, str(time.time() + 2).encode())\nprint('held', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    start = time.monotonic()
    wait = backend.reserve("www.kensakusystem.jp", INTERVAL)
    assert time.monotonic() - start < 0.1  # the flock died with its holder
    assert 0 < wait <= 2  # only the time it wrote counts

    path.write_text(f"{time.time() - 100}")  # a past time
    assert backend.reserve("www.kensakusystem.jp", INTERVAL) == 0.0
    path.write_text(f"{time.time() + 10 * 86400}")  # a time from a wrong clock
    assert backend.reserve("www.kensakusystem.jp", INTERVAL) == 0.0
    path.write_text("garbage")
    assert backend.reserve("www.kensakusystem.jp", INTERVAL) == 0.0


def test_turns_are_booked_in_order(tmp_path, redis_url):
    for backend in (FileBackend(tmp_path), RedisBackend(redis_url)):
        waits = [backend.reserve("h.example", 1.0) for _ in range(3)]
        assert waits[0] == 0.0
        assert 0.95 < waits[1] <= 1.0 and 1.95 < waits[2] <= 2.0
        assert backend.reserve("other.example", 1.0) == 0.0


def test_hooked_in_as_the_http_handler(tmp_path):
    s = crawl_settings(environ={}, raw_dir=tmp_path / "raw")
    handlers = s.getdict("DOWNLOAD_HANDLERS")
    assert handlers["http"] == handlers["https"] == "crawlers.hostlock.HostLockDownloadHandler"
    assert s["HOST_LOCK_INNER_HANDLER"] == "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
    assert s.getbool("HOST_LOCK_ENABLED") is True
    assert lock_dir(s) == tmp_path / "hostlock"
    assert lock_dir(crawl_settings(environ={"GIKAI_HOST_LOCK_DIR": str(tmp_path / "x")})) == tmp_path / "x"
    lock = HostLock.from_settings(s)
    assert isinstance(lock.backend, FileBackend) and lock.interval == 1.5
    lock = HostLock.from_settings(crawl_settings(environ={}, raw_dir=tmp_path / "raw", redis_url="redis://127.0.0.1:1/0"))
    assert isinstance(lock.backend, RedisBackend)  # connects lazily


def test_crawl_summary_shows_waits_only_when_there_were_some():
    from crawlers.stats import summarize, summary_line

    quiet = {"fetched": 3, "raw/stored": 2, "hostlock/acquired": 4}
    assert summary_line(summarize(quiet), "crawl x") == (
        "crawl x: fetched=3 stored=2 skipped=0 blocked-by-robots=0 quarantined=0")
    busy = {**quiet, "hostlock/waits": 3, "hostlock/wait_seconds": 4.234}
    assert summarize(busy)["host_lock_waits"] == 3
    assert summary_line(summarize(busy), "crawl x").endswith("quarantined=0 host-lock-waits=3 (4.2s)")
