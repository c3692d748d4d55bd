"""Conditional GET: weak ETag per (index build, URL) on /v1/ reads; If-None-Match → 304 without a body."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.etag import ETagMiddleware, code_fingerprint, etag_matches, make_etag
from api.main import create_app


@pytest.mark.parametrize(
    ("header", "matches"),
    [(None, False), ("", False), ('W/"abc"', True), ('"abc"', True), ('W/"x", W/"abc"', True), ("*", True),
     ('W/"abcd"', False), ("abc", False)],
)
def test_weak_comparison(header, matches):
    assert etag_matches(header, 'W/"abc"') is matches


def test_etag_depends_on_build_and_url():
    a = make_etag("built_at=1", "http://x/v1/a?q=1")
    assert a.startswith('W/"') and a == make_etag("built_at=1", "http://x/v1/a?q=1")
    assert a != make_etag("built_at=2", "http://x/v1/a?q=1") and a != make_etag("built_at=1", "http://x/v1/a?q=2")


@pytest.mark.parametrize("path", ["/v1/assemblies", "/v1/members/search?q=保育&limit=3",
                                  "/v1/statements/search?q=防災", "/v1/statements/search.csv?q=防災&limit=5"])
def test_if_none_match_gives_304_without_body(client, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert "content-type" not in again.headers
    assert client.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_other_url_other_etag(client):
    a = client.get("/v1/statements/search", params={"q": "防災"}).headers["etag"]
    b = client.get("/v1/statements/search", params={"q": "防災", "limit": 5}).headers["etag"]
    assert a != b
    assert client.get("/v1/statements/search", params={"q": "防災", "limit": 5},
                      headers={"If-None-Match": a}).status_code == 200


def test_errors_are_never_304(client):
    r = client.get("/v1/members/search", params={"q": ""}, headers={"If-None-Match": "*"})
    assert r.status_code == 422 and "etag" not in r.headers
    r = client.get("/v1/members/130001-000000000000", headers={"If-None-Match": "*"})
    assert r.status_code == 404


def test_only_v1_reads_carry_an_etag(client):
    assert "etag" not in client.get("/healthz").headers
    assert "etag" not in client.get("/v1/saved-searches").headers  # state, not index: changes without a build


def _rebuild(demo_db, db, built_at: str) -> None:
    """What `gikai build` does: write a new file aside, swap it in."""
    rebuilt = db.with_name("rebuilt.duckdb")
    shutil.copy(demo_db, rebuilt)
    con = duckdb.connect(str(rebuilt))
    con.execute("UPDATE build_info SET value = $v WHERE key = 'built_at'", {"v": built_at})
    con.execute("CHECKPOINT")
    con.close()
    os.replace(rebuilt, db)


def test_a_new_build_changes_the_etag(demo_db, tmp_path):
    db = tmp_path / "index.duckdb"
    shutil.copy(demo_db, db)
    with TestClient(create_app(db)) as c:
        before = c.get("/v1/assemblies").headers["etag"]
    _rebuild(demo_db, db, "2099-01-01T00:00:00+0000")
    with TestClient(create_app(db)) as c:
        after = c.get("/v1/assemblies", headers={"If-None-Match": before})
        assert after.status_code == 200 and after.headers["etag"] != before
        assert c.get("/v1/assemblies", headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_a_build_swapped_under_a_running_server_changes_the_etag(demo_db, tmp_path):
    db = tmp_path / "index.duckdb"
    shutil.copy(demo_db, db)
    with TestClient(create_app(db)) as c:
        before = c.get("/v1/assemblies").headers["etag"]
        _rebuild(demo_db, db, "2099-01-01T00:00:00+0000")
        after = c.get("/v1/assemblies", headers={"If-None-Match": before})
        assert after.status_code == 200 and after.headers["etag"] != before


def test_code_fingerprint_follows_the_source(tmp_path):
    root = Path(__file__).resolve().parents[2]
    for package in ("api", "index", "nlp"):
        shutil.copytree(root / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    assert code_fingerprint(tmp_path) == code_fingerprint(root)  # the same source, wherever it lives
    ranking = tmp_path / "index" / "members.py"
    ranking.write_text(ranking.read_text(encoding="utf-8").replace("EVIDENCE_MIN_SHARE = 0.4", "EVIDENCE_MIN_SHARE = 0.5"),
                       encoding="utf-8")
    assert "EVIDENCE_MIN_SHARE = 0.5" in ranking.read_text(encoding="utf-8")
    assert code_fingerprint(tmp_path) != code_fingerprint(root)


def _app_with_code(db, code: str):
    app = create_app(db)
    [etag_layer] = [m for m in app.user_middleware if m.cls is ETagMiddleware]
    etag_layer.kwargs["code"] = code
    return app


def test_a_server_upgrade_on_the_same_build_changes_the_etag(demo_db):
    """Same index, same URL, other server code (a ranking change needs no rebuild): not a 304."""
    with TestClient(_app_with_code(demo_db, "old-code")) as c:
        before = c.get("/v1/members/search", params={"q": "待機児童"})
        assert before.status_code == 200 and before.json()["count"] == 10
        assert c.get("/v1/members/search", params={"q": "待機児童"},
                     headers={"If-None-Match": before.headers["etag"]}).status_code == 304
    with TestClient(_app_with_code(demo_db, code_fingerprint())) as c:
        after = c.get("/v1/members/search", params={"q": "待機児童"}, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.json()["data"] == before.json()["data"]
        assert after.headers["etag"] != before.headers["etag"]
