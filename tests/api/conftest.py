import contextlib
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.deps import current_settings
from api.main import create_app
from api.settings import Settings


@pytest.fixture(scope="session")
def client(demo_db):
    with TestClient(create_app(demo_db)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_db):
    """The real app served by uvicorn on a free loopback port (browser tests, schema fuzzing)."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(demo_db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def state_path(tmp_path):
    return tmp_path / "state.sqlite3"


@pytest.fixture
def make_client(demo_db, state_path):
    """A TestClient factory with its own state file and settings overrides (demo_mode=False …)."""
    with contextlib.ExitStack() as stack:
        def make(**overrides) -> TestClient:
            settings = Settings(state_path=state_path, **overrides)
            app = create_app(demo_db)
            app.dependency_overrides[current_settings] = lambda: settings
            return stack.enter_context(TestClient(app))

        yield make
