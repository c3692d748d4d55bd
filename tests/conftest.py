"""Shared fixtures: a real index built once from the bundled 2020 plenary minutes."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.poliinfo import import_files
from crawlers.rawstore import RawStore
from index.build import build_index
from index.search import Searcher

ROOT = Path(__file__).resolve().parents[1]
DEMO_2020 = ROOT / "data" / "demo" / "tokyo-2020"
PROCEEDINGS_2020 = DEMO_2020 / "proceedings-2020.json"


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    import_files([DEMO_2020], RawStore(raw))
    return raw


@pytest.fixture(scope="session")
def demo_db(demo_raw, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("index") / "index.duckdb"
    build_index(demo_raw, db, workers=2)
    return db


@pytest.fixture(scope="session")
def searcher(demo_db) -> Searcher:
    s = Searcher(demo_db)
    yield s
    s.close()
