"""API keys: `gikai keys create|list|revoke`, and 401 / 403 on /v1/ when demo mode is off."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.keys_cli import parse_rate
from api.state import StateDB

runner = CliRunner()


def keys(*args: str, state_path) -> object:
    return runner.invoke(cli, ["keys", *args, "--state", str(state_path)])


def test_create_prints_the_key_once_and_stores_only_its_hash(state_path):
    r = keys("create", "--name", "acme-crm", "--rate-limit", "120/min", state_path=state_path)
    assert r.exit_code == 0, r.output
    key = r.stdout.strip()
    assert key.startswith("gk_") and len(key) > 40
    assert "created key 1 (acme-crm, rate limit 120/min)" in r.stderr
    assert key.encode() not in state_path.read_bytes()
    assert hashlib.sha256(key.encode()).hexdigest().encode() in state_path.read_bytes()

    listed = keys("list", state_path=state_path)
    assert listed.exit_code == 0 and key not in listed.stdout
    assert listed.stdout.startswith("1\tacme-crm\t" + key[:10] + "…") and "active\t120/min" in listed.stdout
    as_json = json.loads(keys("list", "--json", state_path=state_path).stdout)
    assert as_json[0]["name"] == "acme-crm" and as_json[0]["revoked"] is False


def test_revoke_marks_the_key(state_path):
    keys("create", "--name", "a", state_path=state_path)
    r = keys("revoke", "1", state_path=state_path)
    assert r.exit_code == 0 and r.stdout.strip() == "revoked key 1 (a)"
    assert "\trevoked " in keys("list", state_path=state_path).stdout
    assert keys("revoke", "1", state_path=state_path).exit_code == 0  # idempotent


def test_revoke_unknown_key_is_exit_1(state_path):
    r = keys("revoke", "99", state_path=state_path)
    assert r.exit_code == 1 and r.stderr.strip() == "error: no API key with id 99"


@pytest.mark.parametrize("bad", ["fast", "0/min", "10/day", "-3"])
def test_bad_rate_limit_is_exit_2(state_path, bad):
    r = keys("create", "--name", "a", "--rate-limit", bad, state_path=state_path)
    assert r.exit_code == 2 and "--rate-limit" in r.stderr
    assert not state_path.exists()


@pytest.mark.parametrize(("text", "per_minute"), [("60", 60), ("120/min", 120), ("2/s", 120), ("600/h", 10),
                                                  ("1.5/min", 1.5)])
def test_parse_rate(text, per_minute):
    assert parse_rate(text) == pytest.approx(per_minute)


def test_empty_key_list(state_path):
    assert keys("list", state_path=state_path).stdout.startswith("no API keys")


def test_demo_mode_off_requires_a_key(make_client, state_path):
    key, _ = StateDB(state_path).create_key("acme")
    revoked, record = StateDB(state_path).create_key("old")
    StateDB(state_path).revoke_key(record.id)
    c = make_client(demo_mode=False)

    r = c.get("/v1/assemblies")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {"ok": False, "status": 401,
                        "error": "an API key is required: send `Authorization: Bearer gk_...` or `X-API-Key: gk_...`"}
    assert c.get("/v1/assemblies", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert c.get("/v1/assemblies", headers={"X-API-Key": key}).status_code == 200
    assert c.get("/v1/members/search", params={"q": "保育"}, headers={"X-API-Key": key}).status_code == 200

    unknown = c.get("/v1/assemblies", headers={"Authorization": "Bearer gk_nope"})
    assert unknown.status_code == 403
    assert unknown.json() == {"ok": False, "status": 403, "error": "API key is not valid"}
    gone = c.get("/v1/assemblies", headers={"X-API-Key": revoked})
    assert gone.status_code == 403 and gone.json()["error"] == f"API key {revoked[:10]}… has been revoked"
    assert c.post("/v1/saved-searches", json={"query": "防災", "callback_url": "https://example.com/h"}
                  ).status_code == 401
    assert c.get("/v1/members/search.csv", params={"q": "保育"}).status_code == 401
    # Not under /v1/: health checks and docs stay open.
    assert c.get("/healthz").status_code == 200
    assert c.get("/openapi.json").status_code == 200


def test_demo_mode_runs_keyless_but_checks_a_key_that_is_sent(make_client):
    c = make_client(demo_mode=True)
    assert c.get("/v1/assemblies").status_code == 200
    assert c.get("/v1/assemblies", headers={"X-API-Key": "gk_wrong"}).status_code == 403


def test_openapi_documents_both_key_schemes(make_client):
    schemes = make_client().get("/openapi.json").json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
