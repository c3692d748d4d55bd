"""Rate limits: a token bucket per key and per keyless client IP; 429 + Retry-After in the error shape."""

from __future__ import annotations

import contextlib

import pytest
from fastapi.testclient import TestClient

from api.deps import current_settings
from api.main import create_app
from api.ratelimit import RateLimiter
from api.settings import Settings
from api.state import StateDB


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_minute_then_refills():
    clock = Clock()
    limiter = RateLimiter(clock)
    assert [limiter.hit("k", 3).allowed for _ in range(3)] == [True, True, True]
    denied = limiter.hit("k", 3)
    assert not denied.allowed and denied.retry_after == 20  # one token every 20 s
    assert limiter.hit("other", 3).allowed  # buckets are per identity
    clock.now += 19.9
    assert not limiter.hit("k", 3).allowed
    clock.now += 0.2
    assert limiter.hit("k", 3).allowed
    clock.now += 3600
    assert [limiter.hit("k", 3).allowed for _ in range(4)] == [True, True, True, False]  # never more than a minute


def test_retry_after_is_at_least_one_second():
    limiter = RateLimiter(Clock())
    for _ in range(600):
        limiter.hit("k", 600)
    assert limiter.hit("k", 600).retry_after == 1


@pytest.fixture
def make_client(demo_db, tmp_path):
    with contextlib.ExitStack() as stack:
        def make(client=("203.0.113.7", 50000), **overrides) -> TestClient:
            settings = Settings(state_path=tmp_path / "state.sqlite3", **overrides)
            app = create_app(demo_db)
            app.dependency_overrides[current_settings] = lambda: settings
            return stack.enter_context(TestClient(app, client=client))

        yield make


def test_per_key_limit_gives_429_with_retry_after(make_client, tmp_path):
    state = StateDB(tmp_path / "state.sqlite3")
    slow, _ = state.create_key("slow", rate_limit_per_minute=2)
    default, _ = state.create_key("default")
    c = make_client(demo_mode=False, rate_limit_per_minute=5)
    h = {"X-API-Key": slow}
    assert [c.get("/v1/assemblies", headers=h).status_code for _ in range(2)] == [200, 200]
    r = c.get("/v1/assemblies", headers=h)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) == 30
    assert r.json() == {"ok": False, "status": 429,
                        "error": "rate limit of 2 requests per minute exceeded; retry in 30 s"}
    # The same key through the other header shares the bucket; another key has its own (server default: 5).
    assert c.get("/v1/assemblies", headers={"Authorization": f"Bearer {slow}"}).status_code == 429
    codes = [c.get("/v1/assemblies", headers={"X-API-Key": default}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_keyless_demo_traffic_is_limited_per_client_ip(make_client):
    a = make_client(demo_rate_limit_per_minute=2)
    assert [a.get("/v1/assemblies").status_code for _ in range(3)] == [200, 200, 429]
    assert a.get("/healthz").status_code == 200  # only /v1/ is limited
    b = make_client(client=("198.51.100.1", 1), demo_rate_limit_per_minute=2)
    assert b.get("/v1/assemblies").status_code == 200


def test_local_clients_are_exempt_in_demo_mode(make_client):
    c = make_client(client=("127.0.0.1", 1), demo_rate_limit_per_minute=1)
    assert [c.get("/v1/assemblies").status_code for _ in range(3)] == [200, 200, 200]


def test_a_limited_request_is_not_answered_304(make_client):
    c = make_client(demo_rate_limit_per_minute=1)
    assert c.get("/v1/assemblies").status_code == 200
    assert c.get("/v1/assemblies", headers={"If-None-Match": "*"}).status_code == 429
