"""`gikai serve --workers 2`: two forked server processes over one loaded index, supervised."""

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from api.loadtest import LocalServer
from api.schedule import slots_per_process
from api.settings import Settings, usable_cores


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.add(int(entry.name))
    return out


def _wait_children(pid: int, n: int, exclude: set[int] = frozenset(), timeout: float = 60) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _children(pid) - exclude
        if len(found) >= n:
            return found
        time.sleep(0.1)
    raise AssertionError(f"expected {n} server processes under {pid}, found {_children(pid)}")


def test_two_processes_answer_and_a_killed_one_is_replaced(demo_db):
    with LocalServer(demo_db, workers=2, log_path=Path(demo_db).parent / "prefork.log") as server:
        first = _wait_children(server.proc.pid, 2)
        expected = httpx.get(f"{server.url}/v1/statements/search", params={"q": "待機児童", "limit": 5}).json()
        assert expected["data"] and "待機児童" in expected["data"][0]["text"]
        # New connections are spread over both processes; every one answers the same.
        for _ in range(20):
            with httpx.Client() as client:
                got = client.get(f"{server.url}/v1/statements/search", params={"q": "待機児童", "limit": 5}).json()
            assert [r["statement_id"] for r in got["data"]] == [r["statement_id"] for r in expected["data"]]

        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        replaced = _wait_children(server.proc.pid, 2, exclude={victim})
        assert victim not in replaced and len(replaced & first) == 1
        deadline = time.monotonic() + 60
        while True:  # the replacement answers once its lifespan has run
            try:
                r = httpx.get(f"{server.url}/v1/members/search", params={"q": "待機児童"}, timeout=10)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "no answer after a server process was replaced"
            time.sleep(0.2)
        assert r.json()["data"]
        parent = server.proc.pid
    # Each process computes its share of the cores' searches at a time (api.schedule).
    slots = slots_per_process(Settings().request_threads, 2, usable_cores())
    assert f"2 server processes on {server.url}, {slots} search(es) at a time in each" in (
        Path(demo_db).parent / "prefork.log").read_text(encoding="utf-8")
    # Stopping the server stops every process it forked.
    assert server.proc.poll() is not None
    time.sleep(0.5)
    assert not _children(parent)


def test_search_slots_set_by_the_operator_are_kept_by_each_process(demo_db, tmp_path):
    log = tmp_path / "slots.log"
    with LocalServer(demo_db, workers=2, log_path=log, env={"GIKAI_SEARCH_SLOTS": "2"}) as server:
        _wait_children(server.proc.pid, 2)
        assert httpx.get(f"{server.url}/v1/statements/search", params={"q": "待機児童"}).json()["data"]
    assert f"2 server processes on {server.url}, 2 search(es) at a time in each" in log.read_text(encoding="utf-8")


def test_gikai_serve_without_workers_starts_the_default_number(demo_db, tmp_path):
    log = tmp_path / "default.log"
    with LocalServer(demo_db, workers=None, log_path=log, env={"GIKAI_SERVER_PROCESSES": "2"}) as server:
        _wait_children(server.proc.pid, 2)
        assert httpx.get(f"{server.url}/v1/members/search", params={"q": "待機児童"}).json()["data"]
    assert f"2 server processes on {server.url}" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize(("cores", "env", "expected"), [(1, None, 1), (2, None, 2), (8, None, 2), (8, "4", 4)])
def test_default_server_processes(monkeypatch, cores, env, expected):
    from api import settings as settings_module

    monkeypatch.setattr(settings_module, "usable_cores", lambda: cores)
    if env:
        monkeypatch.setenv("GIKAI_SERVER_PROCESSES", env)
    assert settings_module.default_server_processes(Settings()) == expected


def test_a_rebuilt_index_is_loaded_once_and_the_processes_replaced(demo_db, tmp_path):
    import shutil

    import duckdb

    db = tmp_path / "index.duckdb"
    shutil.copy(demo_db, db)
    with LocalServer(db, workers=2) as server:
        old = _wait_children(server.proc.pid, 2)
        before = httpx.get(f"{server.url}/healthz").json()["index"]
        # What `gikai build` does: a new file, complete, swapped in with os.replace.
        new = tmp_path / "index.new.duckdb"
        shutil.copy(demo_db, new)
        con = duckdb.connect(str(new))
        con.execute("UPDATE build_info SET value = '2099-01-01T00:00:00+0000' WHERE key = 'built_at'")
        con.close()
        os.replace(new, db)
        replaced = _wait_children(server.proc.pid, 2, exclude=old)
        assert not (replaced & old)
        deadline = time.monotonic() + 60
        while True:
            try:
                info = httpx.get(f"{server.url}/healthz", timeout=10).json()["index"]
                if info.get("built_at") == "2099-01-01T00:00:00+0000":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the rebuilt index is not served"
            time.sleep(0.2)
        assert before.get("built_at") != info["built_at"]
        r = httpx.get(f"{server.url}/v1/statements/search", params={"q": "待機児童", "limit": 3})
        assert r.status_code == 200 and r.json()["data"]
        # The old processes finished and are gone; only the new generation serves.
        time.sleep(1.0)
        assert _children(server.proc.pid) == replaced


def test_processes_that_keep_dying_stop_the_server(demo_db, tmp_path):
    from api.prefork import MAX_RESTARTS_PER_MINUTE

    server = LocalServer(demo_db, workers=2, log_path=tmp_path / "serve.log")
    with server:
        killed: set[int] = set()
        # Each replacement is killed as soon as it appears: a crash loop, not an accident.
        while server.proc.poll() is None and len(killed) < MAX_RESTARTS_PER_MINUTE + 1:
            try:
                victim = min(_wait_children(server.proc.pid, 1, exclude=killed, timeout=30))
            except AssertionError:
                break  # no new process: the server is stopping
            os.kill(victim, signal.SIGKILL)
            killed.add(victim)
        server.proc.wait(timeout=60)
        assert server.proc.returncode == 1
        assert len(killed) == MAX_RESTARTS_PER_MINUTE + 1
        log = server.log_path.read_text()
    assert "died within a minute; stopping" in log
    assert not _children(server.proc.pid)


def _established_per_process(pids: set[int], port: int) -> dict[int, int]:
    """Established TCP connections on the server's port held by each process (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01 = ESTABLISHED
                inodes.add(fields[9])
    out = {}
    for pid in pids:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
        out[pid] = held
    return out


def test_connections_are_spread_evenly_over_the_processes(demo_db):
    import socket
    from urllib.parse import urlsplit

    with LocalServer(demo_db, workers=2) as server:
        children = _wait_children(server.proc.pid, 2)
        port = urlsplit(server.url).port
        deadline = time.monotonic() + 60
        while True:  # both processes serve (each marks itself accepting once asyncio listens)
            with httpx.Client() as probe:
                if probe.get(f"{server.url}/healthz").status_code == 200:
                    break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(1.0)
        # 20 clients connecting at once (a burst, as when a page of results fans out or a CRM job starts).
        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        try:
            for conn in conns:  # each is answered, so each has been accepted by some process
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            for conn in conns:
                assert conn.recv(64).startswith(b"HTTP/1.1 200")
            held = _established_per_process(children, port)
        finally:
            for conn in conns:
                conn.close()
    assert sum(held.values()) == 20, held
    assert min(held.values()) >= 8, held  # 10 and 10 unless a process was slow to take its turn


def test_a_process_leaves_a_connection_to_one_with_fewer():
    import socket

    from api import prefork

    connections = prefork.Connections(2)
    listening = socket.create_server(("127.0.0.1", 0))
    views = []
    for slot in (0, 1):
        view = prefork._BalancedListener(listening.family, listening.type, fileno=os.dup(listening.fileno()))
        view._connections, view._slot = connections, slot
        view.setblocking(False)
        view.listen(5)  # what asyncio does on start: marks the slot accepting, keeps the kernel queue
        views.append(view)
    assert list(connections.accepting) == [1, 1]
    port = listening.getsockname()[1]
    opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        time.sleep(0.1)
        first, _ = views[0].accept()  # equal counts: either may take it
        assert list(connections.counts) == [1, 0]
        try:  # process 1 has fewer connections: process 0 leaves the next one to it …
            views[0].accept()
            raise AssertionError("accepted while another process had fewer connections")
        except BlockingIOError:
            pass
        second, _ = views[1].accept()
        assert list(connections.counts) == [1, 1]
        third, _ = views[0].accept()
        assert list(connections.counts) == [2, 1]
        # … but not for ever: a process that does not take it (dead, stuck) loses it after DEFER_SECONDS.
        opened.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.1)
        try:
            views[0].accept()
            raise AssertionError("accepted at once while another process had fewer connections")
        except BlockingIOError:
            pass
        time.sleep(prefork.DEFER_SECONDS * 2)
        fourth, _ = views[0].accept()
        assert list(connections.counts) == [3, 1]
        for conn in (first, third, fourth):
            conn.close()
        first.close()  # closing twice counts once
        second.close()
        assert list(connections.counts) == [0, 0]
        # A process started when no slot was free accepts without taking part.
        unbalanced = prefork._BalancedListener(listening.family, listening.type, fileno=os.dup(listening.fileno()))
        unbalanced._connections, unbalanced._slot = connections, None
        views.append(unbalanced)
        unbalanced.listen(5)
        opened.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.1)
        fifth, _ = unbalanced.accept()
        fifth.close()
        assert list(connections.counts) == [0, 0] and list(connections.accepting) == [1, 1]
    finally:
        for sock in (*opened, *views, listening):
            sock.close()
