"""`gikai serve --workers 2`: two forked server processes over one loaded index, supervised."""

import os
import signal
import time
from pathlib import Path

import httpx

from api.loadtest import LocalServer


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
    # Stopping the server stops every process it forked.
    assert server.proc.poll() is not None
    time.sleep(0.5)
    assert not _children(parent)


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
