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

from api.schedule import search_slots
from api.settings import get_settings

# More replacements than this within a minute is a crash loop, not an accident: stop serving.
MAX_RESTARTS_PER_MINUTE = 5
# How often the parent looks for dead children and for a rebuilt index file.
POLL_SECONDS = 1.0
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


# The kernel's queue of connections waiting on the shared socket.
LISTEN_BACKLOG = 2048
# How long a process leaves a waiting connection to a process with fewer connections before it
# takes the connection itself (that process may be dead and not yet replaced, or stuck). With 5 ms,
# 20 connections opened at once still split 16:4 on this VM, whose idle processes are slow to wake.
DEFER_SECONDS = 0.02
# While it waits, the socket stays readable and the event loop would spin on it; each turn sleeps
# this long, without the GIL, so the process's own requests go on.
DEFER_PAUSE_SECONDS = 0.001


class Connections:
    """Open connections of every server process, in memory the processes share: one slot each.

    The parent gives each child a slot and clears it when the child retires or dies; only the
    child writes its own count, and marks the slot accepting once it serves.
    """

    def __init__(self, slots: int):
        from multiprocessing.sharedctypes import RawArray

        self.counts = RawArray("q", slots)
        self.accepting = RawArray("b", slots)  # set by the child when it serves, cleared by the parent

    def clear(self, slot: int) -> None:
        """For a child about to start (it marks itself accepting once it serves) or one gone."""
        self.accepting[slot] = 0
        self.counts[slot] = 0

    def fewer_elsewhere(self, slot: int) -> bool:
        mine = self.counts[slot]
        return any(self.accepting[i] and self.counts[i] < mine for i in range(len(self.counts)) if i != slot)


class _CountedConnection(socket.socket):
    """An accepted connection that takes itself off its process's count when closed."""

    _connections: Connections
    _slot: int

    def close(self) -> None:
        if not self._closed:
            self._connections.counts[self._slot] -= 1
        super().close()


class _BalancedListener(socket.socket):
    """The shared listening socket as one server process sees it.

    Each process accepts a connection only when no other has fewer open connections, so the
    connections of 50 clients split evenly. Without this, whichever process woke first took them:
    asyncio accepts up to its backlog (uvicorn's 2,048) per wake-up, and even one at a time the
    same process kept winning the race (measured: 35 of 49 connections on one of two processes, whose
    one core then ran out at 43 requests/s, p95 over 100 ms). ``listen`` is a no-op here so
    the kernel queue that all processes share keeps its size when asyncio starts serving.
    """

    _connections: Connections
    _slot: int | None  # None: no slot was free (see serve_forked); accept without balancing
    _deferred_at: float | None = None

    def listen(self, backlog: int = 0) -> None:
        if self._slot is not None:
            self._connections.accepting[self._slot] = 1  # asyncio starts serving

    def accept(self):
        if self._slot is None:
            return super().accept()
        if self._connections.fewer_elsewhere(self._slot):
            now = time.monotonic()
            if self._deferred_at is None:
                self._deferred_at = now
            if now - self._deferred_at < DEFER_SECONDS:
                time.sleep(DEFER_PAUSE_SECONDS)
                raise BlockingIOError  # asyncio tries again when the socket is next readable
        self._deferred_at = None
        fd, address = self._accept()
        conn = _CountedConnection(self.family, self.type, self.proto, fileno=fd)
        conn._connections, conn._slot = self._connections, self._slot
        self._connections.counts[self._slot] += 1
        return conn, address


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def _child(app: FastAPI, sock: socket.socket, log_level: str, connections: Connections, slot: int | None) -> None:
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
        # backlog=1: asyncio then accepts one connection per wake-up, so each one is balanced.
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", backlog=1, **uvicorn_options())
        listener = _BalancedListener(sock.family, sock.type, fileno=os.dup(sock.fileno()))
        listener._connections, listener._slot = connections, slot
        loop.run_until_complete(uvicorn.Server(config).serve(sockets=[listener]))
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
    gate = app.state.search_gate
    gate.slots = search_slots(get_settings(), workers)
    searcher = app.state.searcher
    searcher.warm()
    # Children must not share the parent's DuckDB connection; each opens its own.
    searcher.close()
    # What the children inherit stays out of the cyclic GC: no collection pauses over the index,
    # and no copy-on-write of the shared pages by the collector touching them.
    gc.collect()
    gc.freeze()
    sock = bind(host, port)
    print(f"gikai: index loaded; {workers} server processes on http://{host}:{port}, {gate.slots} search(es) "
          "at a time in each", file=sys.stderr, flush=True)

    children: dict[int, float] = {}
    restarts: list[float] = []
    stopping = False
    # Room for the retiring processes of rebuilds beside their replacements.
    connections = Connections(4 * workers + 4)
    slot_of: dict[int, int] = {}

    def fork_one() -> None:
        # Signals stay blocked across fork: a SIGTERM arriving before the child has reset its
        # handlers would otherwise run the parent's stop() inside the child (seen in a test).
        # No free slot (rebuilds in quick succession while old processes finish long requests):
        # the process serves unbalanced rather than not at all.
        slot = min(set(range(len(connections.counts))) - set(slot_of.values()), default=None)
        if slot is not None:
            connections.clear(slot)
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                for signum in _STOP_SIGNALS:
                    signal.signal(signum, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
                _child(app, sock, log_level, connections, slot)
            children[pid] = time.monotonic()
            if slot is not None:
                slot_of[pid] = slot
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
                    if pid_old in slot_of:
                        connections.accepting[slot_of[pid_old]] = 0
                    os.kill(pid_old, signal.SIGTERM)  # uvicorn finishes its requests, then exits
                print(f"gikai: index rebuilt; {workers} new server processes, {len(old)} retiring",
                      file=sys.stderr, flush=True)
            continue
        if pid in slot_of:
            connections.clear(slot_of.pop(pid))
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
