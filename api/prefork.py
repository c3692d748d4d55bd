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
index. When ``gikai build`` swaps in a new file, the parent loads it and replaces the
children one generation at a time: new children (sharing the new index) start, then the
old ones stop gracefully, finishing the requests they have. Children never load an index
themselves, so the memory stays shared across rebuilds.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import time
from collections.abc import Callable

from fastapi import FastAPI

# More replacements than this within a minute is a crash loop, not an accident: stop serving.
MAX_RESTARTS_PER_MINUTE = 5
# How often the parent looks for dead children and for a rebuilt index file.
POLL_SECONDS = 1.0
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _child(app: FastAPI, sock: socket.socket, log_level: str) -> None:
    import asyncio

    import uvicorn

    from api.http11 import uvicorn_options

    # The parent reloads after a rebuild and replaces this process; loading here would unshare.
    app.state.searcher.follow_rebuilds = False
    code = 0
    try:
        # serve() on a loop of our own, then exit at once: Server.run()'s asyncio.run() also waits
        # for the loop's executor to shut down, and a child stopped right after its start-up was
        # seen waiting there for ever (a crash-loop test caught it).
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", **uvicorn_options())
        loop.run_until_complete(uvicorn.Server(config).serve(sockets=[sock]))
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
    # What the children inherit stays out of the cyclic GC: no collection pauses over the index,
    # and no copy-on-write of the shared pages by the collector touching them.
    gc.collect()
    gc.freeze()
    sock = bind(host, port)
    print(f"gikai: index loaded; {workers} server processes on http://{host}:{port}", file=sys.stderr, flush=True)

    children: dict[int, float] = {}
    restarts: list[float] = []
    stopping = False

    def fork_one() -> None:
        # Signals stay blocked across fork: a SIGTERM arriving before the child has reset its
        # handlers would otherwise run the parent's stop() inside the child (seen in a test).
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                for signum in _STOP_SIGNALS:
                    signal.signal(signum, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
                _child(app, sock, log_level)
            children[pid] = time.monotonic()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

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
    identity = searcher._identity  # the file the parent loaded
    retiring: set[int] = set()
    status = 0
    while children or retiring:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(POLL_SECONDS)
            now_identity = _identity(searcher.db_path)
            if not stopping and now_identity is not None and now_identity != identity:
                identity = now_identity
                gc.unfreeze()
                try:
                    searcher.warm()  # the parent loads the new file once
                    searcher.close()
                except Exception as exc:  # noqa: BLE001 - keep serving the old index
                    print(f"gikai: could not load the rebuilt index ({exc}); still serving the old one",
                          file=sys.stderr, flush=True)
                    continue
                finally:
                    gc.freeze()
                old = set(children)
                for _ in range(workers):
                    fork_one()
                for pid_old in old:
                    children.pop(pid_old, None)
                    retiring.add(pid_old)
                    os.kill(pid_old, signal.SIGTERM)  # uvicorn finishes its requests, then exits
                print(f"gikai: index rebuilt; {workers} new server processes, {len(old)} retiring",
                      file=sys.stderr, flush=True)
            continue
        if pid in retiring:
            retiring.discard(pid)
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


def _identity(path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns
