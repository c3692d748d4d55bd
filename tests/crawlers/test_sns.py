"""SNS rule (the refusing middleware) and the official X API adapter against a local test double."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from crawlers.middlewares_sns import SnsRefusalMiddleware, SnsRefused
from crawlers.settings import crawl_settings
from crawlers.sns import SnsAdapter, SnsError, SnsNotConfigured, SnsRateLimited, XApiAdapter, handle_from_url

TOKEN = "test-token-not-a-secret"


# -- the middleware --------------------------------------------------------------
@pytest.fixture
def middleware():
    crawler = get_crawler(settings_dict={})
    return SnsRefusalMiddleware.from_crawler(crawler), crawler.stats


@pytest.mark.parametrize(
    "url",
    ["https://x.com/masuko_hiroki", "http://twitter.com/a", "https://www.facebook.com/a",
     "https://www.instagram.com/a/", "https://www.tiktok.com/@a", "https://x.com/robots.txt"],
)
def test_middleware_refuses_sns_hosts_and_counts(middleware, url):
    mw, stats = middleware
    with pytest.raises(SnsRefused):
        mw.process_request(Request(url))
    assert stats.get_value("sns/refused") == 1


@pytest.mark.parametrize("url", ["https://ameblo.jp/a/", "https://www.youtube.com/@a", "http://127.0.0.1:8000/x.com"])
def test_middleware_lets_other_hosts_through(middleware, url):
    mw, stats = middleware
    assert mw.process_request(Request(url)) is None
    assert stats.get_value("sns/refused") is None


def test_middleware_runs_first_and_cannot_be_configured_away():
    settings = crawl_settings(environ={})
    order = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    enabled = {k: v for k, v in order.items() if v is not None}
    assert enabled["crawlers.middlewares_sns.SnsRefusalMiddleware"] == min(enabled.values())


# -- the X API adapter -----------------------------------------------------------
class XDouble:
    """The two X API v2 endpoints the adapter uses, with bearer-token check and pagination."""

    def __init__(self):
        self.requests: list[tuple[str, dict, str]] = []
        self.rate_limited = False

    def handler(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                double.requests.append((parts.path, query, self.headers.get("Authorization", "")))
                status, body = double.answer(parts.path, query, self.headers.get("Authorization"))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if status == 429:
                    self.send_header("x-rate-limit-reset", "1583020800")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def answer(self, path, query, auth):
        if auth != f"Bearer {TOKEN}":
            return 401, {"title": "Unauthorized", "status": 401}
        if self.rate_limited:
            return 429, {"title": "Too Many Requests"}
        if path == "/2/users/by/username/masuko_hiroki":
            return 200, {"data": {"id": "116", "name": "増子ひろき", "username": "masuko_hiroki"}}
        if path == "/2/users/by/username/nobody":
            return 200, {"errors": [{"detail": "Could not find user with username: [nobody]."}]}
        if path == "/2/users/116/tweets":
            if query.get("pagination_token") == "p2":
                return 200, {"data": [{"id": "1002", "text": "厚生委員会で質疑しました。", "created_at": "2020-03-10T05:00:00.000Z"}],
                             "meta": {"result_count": 1}}
            return 200, {"data": [{"id": "1001", "text": "代表質問に立ちました。\n新型コロナ対策を質しました。",
                                   "created_at": "2020-02-26T04:00:00.000Z"}],
                         "meta": {"result_count": 1, "next_token": "p2"}}
        return 404, {"title": "Not Found"}


@pytest.fixture
def x_double():
    double = XDouble()
    server = ThreadingHTTPServer(("127.0.0.1", 0), double.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    double.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield double
    server.shutdown()
    server.server_close()


def test_x_adapter_reads_recent_posts_with_bearer_token(x_double):
    adapter = XApiAdapter.from_environ({"GIKAI_X_BEARER_TOKEN": TOKEN, "GIKAI_X_API_BASE": x_double.base_url})
    assert isinstance(adapter, SnsAdapter)
    got = adapter.recent_posts(
        "https://x.com/masuko_hiroki", since=datetime(2020, 2, 1, tzinfo=UTC),
        member_name="増子ひろき", assembly_code="130001",
    )
    assert [p.url for p in got] == ["https://x.com/masuko_hiroki/status/1001", "https://x.com/masuko_hiroki/status/1002"]
    first = got[0]
    assert (first.member_name, first.assembly_code, first.source_system) == ("増子ひろき", "130001", "member_pages")
    assert first.title == "代表質問に立ちました。"
    assert first.published == datetime(2020, 2, 26, 4, 0, tzinfo=UTC)
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in x_double.requests)
    _, query, _ = x_double.requests[1]
    assert query["start_time"] == "2020-02-01T00:00:00Z"


def test_x_adapter_without_token_names_the_variable():
    with pytest.raises(SnsNotConfigured, match="GIKAI_X_BEARER_TOKEN"):
        XApiAdapter.from_environ({})


def test_x_adapter_errors(x_double):
    adapter = XApiAdapter(TOKEN, x_double.base_url)
    with pytest.raises(SnsError, match="Could not find user"):
        adapter.recent_posts("nobody", member_name="x", assembly_code="130001")
    with pytest.raises(SnsError) as bad_token:
        XApiAdapter("wrong", x_double.base_url).user_id("masuko_hiroki")
    assert bad_token.value.status == 401
    x_double.rate_limited = True
    with pytest.raises(SnsRateLimited) as limited:
        adapter.user_id("masuko_hiroki")
    assert limited.value.reset_at == datetime(2020, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "handle"),
    [("https://x.com/masuko_hiroki", "masuko_hiroki"), ("https://twitter.com/@nishizawa_keita/", "nishizawa_keita"),
     ("https://x.com/i/flow/login", None), ("https://x.com/", None)],
)
def test_handle_from_url(url, handle):
    assert handle_from_url(url) == handle
