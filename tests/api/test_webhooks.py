"""Saved searches and their webhooks: signed POSTs of new matches to a local receiver, retries, no duplicates."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.state import StateDB
from api.webhooks import BATCH_SIZE, deliver_new_matches, sign, verify_signature

SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """A webhook receiver on 127.0.0.1 answering with the given status codes (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                status = outer.statuses[min(len(outer.requests), len(outer.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/gikai"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("secret", "body", "header", "ok"), [
    (SECRET, b"{}", sign(SECRET, b"{}"), True),
    ("other-secret", b"{}", sign(SECRET, b"{}"), False),
    (SECRET, b"{ }", sign(SECRET, b"{}"), False),
    (SECRET, b"{}", None, False),
    (SECRET, b"{}", sign(SECRET, b"{}").removeprefix("sha256="), False),
    (SECRET, b"{}", "sha256=zz", False),
    (SECRET, b"{}", "sha256=\u00e9", False),
])
def test_verify_signature(secret, body, header, ok):
    assert verify_signature(secret, body, header) is ok


def test_new_matches_are_delivered_signed_once(make_client, demo_db, state_path):
    c = make_client()
    with Receiver() as receiver:
        created = c.post("/v1/saved-searches", json={
            "query": "産後ケア", "assemblies": ["130001"], "callback_url": receiver.url, "secret": SECRET})
        assert created.status_code == 201, created.text
        saved = created.json()
        assert saved["id"].startswith("ss_") and saved["secret"] is None  # a secret we were given is not echoed
        summary = deliver_new_matches(demo_db, state_path, backoff=0)
        assert summary.saved_searches == 1 and summary.deliveries == len(receiver.requests) >= 1
        assert summary.delivered == summary.deliveries and summary.failed == 0

        delivered = []
        for headers, body in receiver.requests:
            assert verify_signature(SECRET, body, headers["X-Gikai-Signature"])
            assert headers["Content-Type"] == "application/json; charset=utf-8"
            payload = json.loads(body)
            assert payload["event"] == "saved_search.new_statements"
            assert payload["delivery_id"] == headers["X-Gikai-Delivery"]
            assert payload["saved_search"] == {"id": saved["id"], "query": "産後ケア", "assemblies": ["130001"]}
            assert payload["count"] == len(payload["data"]) <= BATCH_SIZE
            delivered += payload["data"]
        assert summary.statements == len(delivered)
        ids = [s["statement_id"] for s in delivered]
        assert len(set(ids)) == len(ids)
        assert "産後" in delivered[0]["text"] + (delivered[0]["heading"] or "")
        assert all(s["source_url"].startswith("https://www.gikai.metro.tokyo.jp/") for s in delivered)

        # A second run after the same build has nothing new to say.
        again = deliver_new_matches(demo_db, state_path, backoff=0)
        assert again.deliveries == 0 and len(receiver.requests) == summary.deliveries

    log = c.get(f"/v1/saved-searches/{saved['id']}/deliveries").json()
    assert log["count"] == summary.deliveries
    assert {d["status"] for d in log["data"]} == {"delivered"} and all(d["attempts"] == 1 for d in log["data"])
    assert sum(d["statements"] for d in log["data"]) == len(ids)


def test_failing_receiver_is_retried_with_backoff_then_logged_as_failed(make_client, demo_db, state_path):
    c = make_client()
    waits: list[float] = []
    with Receiver(statuses=[500]) as receiver:
        sid = c.post("/v1/saved-searches", json={"query": "防災", "callback_url": receiver.url}).json()["id"]
        summary = deliver_new_matches(demo_db, state_path, max_attempts=3, backoff=0.01, sleep=waits.append)
        assert len(receiver.requests) == 3 and waits == [0.01, 0.02]
        assert len({h["X-Gikai-Delivery"] for h, _ in receiver.requests}) == 1  # one delivery, three attempts
        assert summary.deliveries == summary.failed == 1 and summary.statements == 0  # later batches wait

    state = StateDB(state_path)
    [delivery] = state.deliveries(sid)
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    assert [(a["attempt"], a["status_code"]) for a in state.attempts(delivery.id)] == [(1, 500), (2, 500), (3, 500)]
    assert state.delivered_ids(sid) == set()  # offered again after the next build

    # The receiver is back: the same statements go out, each once.
    with Receiver() as receiver:
        state_row = state.saved_searches(everyone=True)[0]
        with state.connect() as con:
            con.execute("UPDATE saved_searches SET callback_url = ? WHERE id = ?", (receiver.url, state_row.id))
        summary = deliver_new_matches(demo_db, state_path, backoff=0)
        assert summary.failed == 0 and summary.delivered == len(receiver.requests) >= 1
        assert len(state.delivered_ids(sid)) == summary.statements


def test_unreachable_receiver_and_refusals(make_client, demo_db, state_path):
    c = make_client()
    with Receiver(statuses=[410]) as receiver:
        sid = c.post("/v1/saved-searches", json={"query": "防災", "callback_url": receiver.url}).json()["id"]
        deliver_new_matches(demo_db, state_path, max_attempts=3, backoff=0)
        assert len(receiver.requests) == 1  # a 4xx other than 408/429 is not retried
    assert StateDB(state_path).deliveries(sid)[0].last_error == "HTTP 410"

    with Receiver() as closed:
        url = closed.url
    StateDB(state_path).delete_saved_search(sid, None)
    sid = c.post("/v1/saved-searches", json={"query": "防災", "callback_url": url}).json()["id"]
    summary = deliver_new_matches(demo_db, state_path, max_attempts=2, backoff=0)
    [delivery] = StateDB(state_path).deliveries(sid)
    assert summary.failed == 1 and delivery.attempts == 2 and delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectError")


def test_no_saved_searches_no_state_file(demo_db, tmp_path):
    summary = deliver_new_matches(demo_db, tmp_path / "none.sqlite3")
    assert summary.deliveries == 0 and not (tmp_path / "none.sqlite3").exists()


def test_saved_search_api(make_client, state_path):
    c = make_client()
    made = c.post("/v1/saved-searches", json={"query": " 待機児童 ", "callback_url": "https://crm.example.com/h"})
    assert made.status_code == 201
    body = made.json()
    assert body["query"] == "待機児童" and body["secret"].startswith("whsec_")  # generated: shown once
    listed = c.get("/v1/saved-searches").json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == body["id"] and listed["data"][0]["secret"] is None
    assert c.delete(f"/v1/saved-searches/{body['id']}").status_code == 204
    gone = c.delete(f"/v1/saved-searches/{body['id']}")
    assert gone.status_code == 404 and gone.json() == {
        "ok": False, "status": 404, "error": f"saved search {body['id']!r} not found"}
    assert c.get("/v1/saved-searches").json()["count"] == 0


@pytest.mark.parametrize(("payload", "message"), [
    ({"query": "", "callback_url": "https://x.example/h"}, "query: must not be empty"),
    ({"query": "防災", "callback_url": "ftp://x.example/h"}, "callback_url: must be an absolute http"),
    ({"query": "防災", "callback_url": "/relative"}, "callback_url"),
    ({"query": "防災", "callback_url": "https://x.example/h", "assemblies": ["13"]}, "assemblies: '13'"),
    ({"query": "防災", "callback_url": "https://x.example/h", "secret": "short"}, "secret"),
    ({"query": "防災"}, "callback_url"),
])
def test_bad_saved_search_is_422(make_client, payload, message):
    r = make_client().post("/v1/saved-searches", json=payload)
    assert r.status_code == 422 and message in r.json()["error"], r.text


def test_saved_searches_belong_to_their_key(make_client, state_path):
    state = StateDB(state_path)
    alice, _ = state.create_key("alice")
    bob, _ = state.create_key("bob")
    c = make_client(demo_mode=False)
    sid = c.post("/v1/saved-searches", json={"query": "防災", "callback_url": "https://a.example/h"},
                 headers={"X-API-Key": alice}).json()["id"]
    assert c.get("/v1/saved-searches", headers={"X-API-Key": bob}).json()["count"] == 0
    assert c.get(f"/v1/saved-searches/{sid}/deliveries", headers={"X-API-Key": bob}).status_code == 404
    assert c.delete(f"/v1/saved-searches/{sid}", headers={"X-API-Key": bob}).status_code == 404
    assert c.get("/v1/saved-searches", headers={"X-API-Key": alice}).json()["data"][0]["id"] == sid
    assert c.delete(f"/v1/saved-searches/{sid}", headers={"X-API-Key": alice}).status_code == 204


@pytest.mark.parametrize("url", [
    "http://[::1/",  # unclosed IPv6 literal: urlsplit raises, this was a 500
    "http://a.example:99999/h",  # port out of range
    "http://a..b/h",  # empty IDNA label: httpx raises UnicodeError at delivery
    "http://\u00d0\u00bb/h",  # not a valid IDNA host: httpx.InvalidURL at delivery
    "http://exa mple.com/h",
    "https://a.example/h\x00",
])
def test_callback_url_that_cannot_be_posted_to_is_422(make_client, state_path, url):
    c = make_client()
    r = c.post("/v1/saved-searches", json={"query": "防災", "callback_url": url})
    assert r.status_code == 422, r.text
    assert r.json() == {"ok": False, "status": 422,
                        "error": "callback_url: must be an absolute http:// or https:// URL"}
    assert StateDB(state_path).saved_searches(everyone=True) == []


@pytest.mark.parametrize("url", ["http://[::1]:8080/h", "http://例え.テスト/h", "https://crm.example.com/h?x=1"])
def test_callback_url_accepted_forms(make_client, url):
    r = make_client().post("/v1/saved-searches", json={"query": "防災", "callback_url": url})
    assert r.status_code == 201 and r.json()["callback_url"] == url, r.text


def test_a_stored_unusable_callback_url_fails_only_its_own_delivery(make_client, demo_db, state_path):
    """A URL stored before the API checked it (here written to the state file directly) used to raise
    out of deliver_new_matches, so no other saved search got its webhook after the build."""
    c = make_client()
    with Receiver() as receiver:
        bad = c.post("/v1/saved-searches", json={"query": "防災", "callback_url": "https://placeholder.example/h"}
                     ).json()["id"]
        good = c.post("/v1/saved-searches", json={"query": "産後ケア", "callback_url": receiver.url}).json()["id"]
        state = StateDB(state_path)
        with state.connect() as con:
            con.execute("UPDATE saved_searches SET callback_url = ? WHERE id = ?", ("http://a..b/h", bad))
        summary = deliver_new_matches(demo_db, state_path, max_attempts=3, backoff=0)
        assert len(receiver.requests) >= 1 and summary.delivered == len(receiver.requests)
    assert summary.failed == 1
    [failed] = state.deliveries(bad)
    assert failed.status == "failed" and failed.attempts == 1 and failed.last_status_code is None
    assert failed.last_error.startswith("UnicodeError")
    assert {d.status for d in state.deliveries(good)} == {"delivered"}
