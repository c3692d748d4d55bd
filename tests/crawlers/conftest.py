"""Shared fixtures of the crawler tests: a local HTTP server with saved pages, a crawl runner.

``site`` (function scope, on a session-wide threaded server on 127.0.0.1) serves
what a test registers::

    site.add("/tenant/x/js/tenant.js", file=FIXTURES / "tenant.js")           # GET
    site.add("/dnp/search/minutes/get_minute", file=..., method="POST",
             form={"schedule_id": "2"})                                      # POST, matched on form fields
    site.add_dir("/record/", FIXTURES / "tokyo_gikai")                        # a directory
    site.robots("User-agent: *\\nDisallow: /dnp/search/minutes/")
    site.url("/tenant/x/SpMinuteSearch.html")
    site.seen("/dnp/search/minutes/get_minute")  # requests the server received

Content-Type (with charset) is chosen from the file extension unless given.
Unregistered paths answer 404. ``run_crawl_cli`` runs ``python -m crawlers.commands``
in a subprocess (Twisted's reactor cannot restart in one process) with the
politeness delays switched off through ``GIKAI_SCRAPY_*``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
}
DEFAULT_ROBOTS = "User-agent: *\nDisallow:\n"


@dataclass
class Route:
    body: bytes
    content_type: str
    status: int = 200
    method: str = "GET"
    form: dict[str, str] = field(default_factory=dict)
    truncate: bool = False
    """Announce twice the body's length and close early: a truncated download."""


@dataclass
class SeenRequest:
    method: str
    path: str
    query: str
    form: dict[str, str]


class LocalSite:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.routes: dict[str, list[Route]] = {}
            self.dirs: dict[str, Path] = {}
            self.requests: list[SeenRequest] = []
            self.robots(DEFAULT_ROBOTS)

    # -- registering ----------------------------------------------------
    def add(
        self,
        path: str,
        body: bytes | str | None = None,
        *,
        file: Path | None = None,
        content_type: str | None = None,
        status: int = 200,
        method: str = "GET",
        form: dict[str, object] | None = None,
        truncate: bool = False,
    ) -> None:
        if file is not None:
            body = Path(file).read_bytes()
        if isinstance(body, str):
            body = body.encode("utf-8")
        if content_type is None:
            suffix = Path(str(file) if file else path).suffix
            content_type = CONTENT_TYPES.get(suffix, "text/html; charset=utf-8")
        route = Route(body or b"", content_type, status, method.upper(), {k: str(v) for k, v in (form or {}).items()}, truncate)
        self.routes.setdefault(path, []).append(route)

    def add_dir(self, prefix: str, directory: Path) -> None:
        self.dirs[prefix.rstrip("/") + "/"] = Path(directory)

    def robots(self, text: str) -> None:
        self.routes["/robots.txt"] = [Route(text.encode(), "text/plain; charset=utf-8")]

    # -- reading --------------------------------------------------------
    def url(self, path: str = "/") -> str:
        return f"{self.base_url}{path}"

    def seen(self, path: str | None = None, method: str | None = None) -> list[SeenRequest]:
        with self.lock:
            return [
                r for r in self.requests if (path is None or r.path == path) and (method is None or r.method == method)
            ]

    # -- serving --------------------------------------------------------
    def find(self, method: str, path: str, form: dict[str, str]) -> Route | None:
        candidates = [r for r in self.routes.get(path, []) if r.method == method]
        matching = [r for r in candidates if all(form.get(k) == v for k, v in r.form.items())]
        if matching:
            return max(matching, key=lambda r: len(r.form))
        if method == "GET":
            for prefix, directory in self.dirs.items():
                if path.startswith(prefix):
                    rel = path[len(prefix) :] or "index.html"
                    if rel.endswith("/"):
                        rel += "index.html"
                    target = (directory / rel).resolve()
                    if target.is_file() and directory.resolve() in target.parents:
                        ctype = CONTENT_TYPES.get(target.suffix, "application/octet-stream")
                        return Route(target.read_bytes(), ctype)
        return None


def _handler(site: LocalSite):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
            pass

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            form: dict[str, str] = {}
            if method == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                form = dict(parse_qsl(raw, keep_blank_values=True))
            form_and_query = {**dict(parse_qsl(parts.query)), **form}
            with site.lock:
                site.requests.append(SeenRequest(method, parts.path, parts.query, form))
                route = site.find(method, parts.path, form_and_query)
            if route is None:
                route = Route(b"not found", "text/plain; charset=utf-8", 404)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            length = len(route.body) * 2 + 10 if route.truncate else len(route.body)
            self.send_header("Content-Length", str(length))
            if route.truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(route.body)
            if route.truncate:
                self.close_connection = True

        def do_GET(self):  # noqa: N802
            self._serve("GET")

        def do_POST(self):  # noqa: N802
            self._serve("POST")

    return Handler


@pytest.fixture(scope="session")
def local_server():
    site = LocalSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def crawled_members_index(tmp_path_factory, local_server):
    """The 2020 plenary minutes plus a real roster and blog crawl (saved pages served locally), built:
    (index path, build summary). Shared by the member end-to-end tests and the browser tests."""
    from crawlers.poliinfo import import_files
    from crawlers.rawstore import RawStore
    from index.build import build_index
    from tests.conftest import PROCEEDINGS_2020
    from tests.crawlers.test_spider_member_pages import env, serve

    site = local_server
    site.reset()
    serve(site)
    tmp = tmp_path_factory.mktemp("members-e2e")
    raw = tmp / "raw"
    result = run_cli("crawl-members", "--assembly", "130001", "--start-url", site.url("/membership/"),
                     "--raw-dir", str(raw), env=env(site, crawl_env))
    site.reset()
    assert result.returncode == 0, result.stderr[-3000:]
    import_files([PROCEEDINGS_2020], RawStore(raw))
    db = tmp / "index.duckdb"
    return db, build_index(raw, db, workers=1)


@pytest.fixture
def site(local_server):
    local_server.reset()
    yield local_server
    local_server.reset()


CRAWL_ENV = {
    "GIKAI_SCRAPY_DOWNLOAD_DELAY": "0",
    "GIKAI_SCRAPY_DOWNLOAD_DELAY_JITTER": "0",
    "GIKAI_SCRAPY_AUTOTHROTTLE_ENABLED": "false",
    "GIKAI_SCRAPY_RETRY_TIMES": "1",
    "GIKAI_SCRAPY_RETRY_BACKOFF_BASE": "0.1",
    "GIKAI_SCRAPY_DOWNLOAD_TIMEOUT": "10",
}


def crawl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIKAI_")}
    env.update(CRAWL_ENV)
    env.update(extra)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m crawlers.commands <args>`` in a subprocess, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "crawlers.commands", *args],
        cwd=REPO,
        env=env or crawl_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def run_crawl_cli():
    return run_cli


@pytest.fixture
def crawl_environ():
    """``crawl_env(**extra)``: the environment of a test crawl, with extra ``GIKAI_*`` variables."""
    return crawl_env


def hakodate_councils() -> bytes:
    """The real 函館市 council listing cut to 令和６年第１回２月定例会 (1251) and one 資料 entry."""
    data = json.loads((FIXTURES / "discussnet-ssp" / "saas" / "councils.json").read_text(encoding="utf-8"))
    for year in data["councils"][0]["view_years"]:
        for ctype in year["council_type"]:
            kept = [c for c in ctype["councils"] if c["council_id"] == 1251]
            if kept:
                materials = next(t for t in year["council_type"] if t["council_type_name1"] == "資料" and t["councils"])
                types = [{**ctype, "councils": kept}, {**materials, "councils": materials["councils"][:1]}]
                data["councils"][0]["view_years"] = [{**year, "council_type": types}]
                return json.dumps(data, ensure_ascii=False).encode("utf-8")
    raise AssertionError("council 1251 not in the fixture")


@pytest.fixture(scope="session")
def hakodate_councils_json() -> bytes:
    return hakodate_councils()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A private Debian redis-server on a free port, stopped after the test (scrapy-redis, host lock)."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server not installed (Debian: apt-get install -y redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)
