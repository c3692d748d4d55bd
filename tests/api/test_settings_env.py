"""Settings from the environment, as an operator writes them: lists as `a,b` or as a JSON array."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import settings as settings_module
from api.main import create_app
from api.settings import Settings


@pytest.mark.parametrize(("value", "origins"), [
    ("https://crm.example.com", ["https://crm.example.com"]),  # was a SettingsError: gikai serve did not start
    ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
    ('["https://a.example", "https://b.example"]', ["https://a.example", "https://b.example"]),
    ("", []),
])
def test_cors_origins_from_the_environment(monkeypatch, value, origins):
    monkeypatch.setenv("GIKAI_CORS_ORIGINS", value)
    assert Settings().cors_origins == origins


def test_demo_rate_limit_exempt_from_the_environment(monkeypatch):
    monkeypatch.setenv("GIKAI_DEMO_RATE_LIMIT_EXEMPT", "10.0.0.5,::1")
    assert Settings().demo_rate_limit_exempt == ["10.0.0.5", "::1"]


def test_a_plain_origin_in_the_environment_enables_cors(monkeypatch, demo_db, tmp_path):
    monkeypatch.setenv("GIKAI_CORS_ORIGINS", "https://crm.example.com")
    monkeypatch.setenv("GIKAI_STATE_PATH", str(tmp_path / "state.sqlite3"))
    settings_module.get_settings.cache_clear()
    try:
        with TestClient(create_app(demo_db)) as c:
            r = c.get("/v1/assemblies", headers={"Origin": "https://crm.example.com"})
            assert r.status_code == 200 and r.json()["data"][0]["assembly_code"] == "130001"
            assert r.headers["access-control-allow-origin"] == "https://crm.example.com"
            assert "ETag" in r.headers["access-control-expose-headers"]
            other = c.get("/v1/assemblies", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in other.headers
    finally:
        settings_module.get_settings.cache_clear()


def test_request_threads_default_to_the_usable_cores_at_most_four(monkeypatch):
    from api.settings import Settings, usable_cores

    monkeypatch.delenv("GIKAI_REQUEST_THREADS", raising=False)
    assert Settings().request_threads == min(4, usable_cores()) >= 1
    monkeypatch.setenv("GIKAI_REQUEST_THREADS", "3")
    assert Settings().request_threads == 3


def test_search_slots_and_order_from_the_environment(monkeypatch, demo_db, tmp_path):
    monkeypatch.setenv("GIKAI_STATE_PATH", str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("GIKAI_REQUEST_THREADS", "3")
    settings_module.get_settings.cache_clear()
    try:
        gate = create_app(demo_db).state.search_gate
        assert (gate.slots, gate.by_deadline) == (3, True)  # as many as request threads, earliest deadline first
        monkeypatch.setenv("GIKAI_SEARCH_SLOTS", "2")
        monkeypatch.setenv("GIKAI_SEARCH_ORDER", "arrival")
        settings_module.get_settings.cache_clear()
        gate = create_app(demo_db).state.search_gate
        assert (gate.slots, gate.by_deadline) == (2, False)
        monkeypatch.setenv("GIKAI_SEARCH_ORDER", "fastest")
        with pytest.raises(ValueError, match="search_order"):
            Settings()
    finally:
        settings_module.get_settings.cache_clear()
