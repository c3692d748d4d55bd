"""A served app moves the loaded index out of the cyclic GC's reach; an app built in a test does not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import gc
from fastapi.testclient import TestClient
from api.main import create_app
with TestClient(create_app()) as client:
    assert client.get("/v1/statements/search", params={"q": "待機児童"}).status_code == 200
    print(gc.get_freeze_count())
"""


def _frozen_objects(db: Path, **env: str) -> int:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "GIKAI_DB_PATH": str(db), "GIKAI_STATE_PATH": str(db.parent / "state.sqlite3"), **env},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return int(run.stdout.split()[-1])


def test_gc_freeze_after_loading_the_index(demo_db):
    # The index's Python objects (term dictionary, code tables, tagger) are tens of thousands.
    assert _frozen_objects(demo_db, GIKAI_GC_FREEZE="true") > 10_000
    assert _frozen_objects(demo_db, GIKAI_GC_FREEZE="false") == 0


def test_gikai_serve_turns_it_on(demo_db, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from api.cli import app
    from api.settings import get_settings

    seen = {}
    # serve writes both into os.environ; monkeypatch puts back what was there before.
    monkeypatch.delenv("GIKAI_GC_FREEZE", raising=False)
    monkeypatch.delenv("GIKAI_DB_PATH", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.update(freeze=get_settings().gc_freeze))
    try:
        # One process: uvicorn.run, replaced above (the default on 2+ cores forks two).
        result = CliRunner().invoke(app, ["serve", "--db", str(demo_db), "--port", "8999", "--workers", "1"])
        assert result.exit_code == 0, result.output
        assert seen == {"freeze": True}
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()  # no later test may see serve's settings
