import contextlib
import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.deps import current_settings
from api.http11 import uvicorn_options
from api.main import create_app
from api.settings import Settings
from tests.crawlers.conftest import crawled_members_index, local_server  # noqa: F401 - used by roster_page


@pytest.fixture(scope="session")
def client(demo_db):
    with TestClient(create_app(demo_db)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(db, app=None):
    """The real app over ``db`` (or ``app`` as given) served by uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app or create_app(db), host="127.0.0.1", port=port, log_level="warning",
                                        **uvicorn_options()))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(demo_db):
    """The real app over the demo index (browser tests, schema fuzzing)."""
    with serve_app(demo_db) as url:
        yield url


@pytest.fixture(scope="module")
def roster_page(request):
    """The app over the 2020 minutes plus a real roster and blog crawl (tests/fixtures/rosters, blogs)."""
    with serve_app(request.getfixturevalue("crawled_members_index")[0]) as url:
        yield url


@pytest.fixture(scope="session")
def history_page(tmp_path_factory):
    """The app over the 2020 定例会 and the 2001–2019 臨時会 minutes: members who spoke for other groups before."""
    from crawlers.poliinfo import import_files
    from crawlers.rawstore import RawStore
    from index.build import build_index
    from tests.conftest import DEMO_2020, ROOT

    raw = tmp_path_factory.mktemp("raw-history")
    import_files([DEMO_2020 / "proceedings-2020.json", ROOT / "data" / "demo" / "tokyo-extraordinary-2001-2019.json"],
                 RawStore(raw))
    db = tmp_path_factory.mktemp("index-history") / "index.duckdb"
    build_index(raw, db, workers=2)
    with serve_app(db) as url:
        yield url


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
