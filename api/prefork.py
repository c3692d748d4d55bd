"""Several server processes over one loaded index: load once, then fork.

A query runs Python under the GIL, so one process uses about one core however many
threads it has. ``uvicorn --workers`` spawns fresh interpreters that each load the
index again (1.9 GB each at a million statements). Here the parent loads the index
(BM25 postings, vectors, filter columns, topic scores: numpy arrays), closes its
DuckDB connection, binds the socket and forks; the children share those arrays
copy-on-write — reference counts live in object headers, not in the arrays' data — and
each opens its own read-only DuckDB connection. The kernel spreads connections over
the children that accept on the shared socket.

A child that dies is forked again from the parent, which still holds the loaded
index. After ``gikai build`` swaps in a new file, each child loads it for itself
(no longer shared) until the server is restarted.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable

from fastapi import FastAPI

# More replacements than this within a minute is a crash loop, not an accident: stop serving.
MAX_RESTARTS_PER_MINUTE = 5


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _child(app: FastAPI, sock: socket.socket, log_level: str) -> None:
    import uvicorn

    # Default signal dispositions again; uvicorn installs its own for a graceful stop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 0
    try:
        uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="on")).run(sockets=[sock])
    except BaseException:  # noqa: BLE001 - the child must never return into the parent's loop
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve_forked(make_app: Callable[[], FastAPI], host: str, port: int, workers: int,
                 log_level: str = "info") -> int:
    """Load the index in this process, fork ``workers`` servers on one socket, supervise them."""
    app = make_app()
    searcher = app.state.searcher
    searcher.warm()
    # Children must not share the parent's DuckDB connection; each opens its own.
    searcher.close()
    sock = bind(host, port)
    print(f"gikai: index loaded; {workers} server processes on http://{host}:{port}", file=sys.stderr, flush=True)

    children: dict[int, float] = {}
    restarts: list[float] = []
    stopping = False

    def fork_one() -> None:
        pid = os.fork()
        if pid == 0:
            _child(app, sock, log_level)
        children[pid] = time.monotonic()

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        fork_one()
    status = 0
    while children:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        started = children.pop(pid, None)
        if started is None or stopping:
            continue
        code = os.waitstatus_to_exitcode(wait_status)
        lived = time.monotonic() - started
        print(f"gikai: server process {pid} exited ({code}) after {lived:.0f} s", file=sys.stderr, flush=True)
        now = time.monotonic()
        restarts[:] = [t for t in restarts if now - t < 60] + [now]
        if len(restarts) <= MAX_RESTARTS_PER_MINUTE:
            fork_one()
        else:
            print(f"gikai: {len(restarts)} server processes died within a minute; stopping", file=sys.stderr,
                  flush=True)
            status = 1
            stop(signal.SIGTERM, None)
    sock.close()
    return status
