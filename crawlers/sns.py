"""Members' SNS posts through official APIs only.

X, Facebook, Instagram and TikTok pages are never scraped (see
:mod:`crawlers.middlewares_sns`). Where a platform offers an official API and
the operator holds credentials, an :class:`SnsAdapter` reads a member's recent
posts into :class:`~crawlers.records.PostRecord` (``source_system="member_pages"``,
``source_id`` the post's URL), which the pipelines store like any other post.

:class:`XApiAdapter` uses the X API v2 with a bearer token the operator supplies
in ``GIKAI_X_BEARER_TOKEN`` (never in the repository); the API base URL is
configurable so tests run against a local test double. Example::

    adapter = XApiAdapter.from_environ()          # SnsNotConfigured without a token
    posts = adapter.recent_posts("masuko_hiroki", since=datetime(2020, 1, 1, tzinfo=UTC),
                                 member_name="増子ひろき", assembly_code="130001")
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

from crawlers.records import PostRecord
from crawlers.settings import USER_AGENT

X_API_BASE = "https://api.x.com"
TOKEN_ENV = "GIKAI_X_BEARER_TOKEN"
BASE_ENV = "GIKAI_X_API_BASE"


class SnsError(Exception):
    """An SNS API call failed; ``status`` is the HTTP status (0 when no response)."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class SnsNotConfigured(SnsError):
    """No credentials: the message names the environment variable to set."""


class SnsRateLimited(SnsError):
    """HTTP 429; ``reset_at`` is when the API allows the next call, if it said."""

    def __init__(self, message: str, reset_at: datetime | None = None):
        super().__init__(message, 429)
        self.reset_at = reset_at


@runtime_checkable
class SnsAdapter(Protocol):
    """Reads a member's recent posts from one platform's official API."""

    kind: str
    """The ``MemberRecord.links`` key it serves: ``x``, ``facebook``…"""

    def recent_posts(
        self, handle: str, since: datetime | None = None, *, member_name: str, assembly_code: str
    ) -> list[PostRecord]: ...


def handle_from_url(url: str) -> str | None:
    """``https://x.com/masuko_hiroki`` → ``masuko_hiroki``; None for a URL that names no account."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if not parts or parts[0] in {"i", "home", "intent", "share", "search", "hashtag"}:
        return None
    return parts[0].lstrip("@") or None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class XApiAdapter:
    """X API v2: ``GET /2/users/by/username/:name`` then ``GET /2/users/:id/tweets``."""

    kind = "x"

    def __init__(
        self,
        bearer_token: str,
        base_url: str = X_API_BASE,
        *,
        max_pages: int = 5,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        if not bearer_token:
            raise SnsNotConfigured(f"no X API bearer token: set {TOKEN_ENV}")
        self.base_url = base_url.rstrip("/")
        self.max_pages = max_pages
        self.client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {bearer_token}", "User-Agent": USER_AGENT},
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> XApiAdapter:
        """Token from ``GIKAI_X_BEARER_TOKEN``, base URL from ``GIKAI_X_API_BASE`` (default the official API)."""
        environ = os.environ if environ is None else environ
        token = environ.get(TOKEN_ENV, "")
        if not token:
            raise SnsNotConfigured(f"no X API bearer token: set {TOKEN_ENV} to use the official X API")
        return cls(token, environ.get(BASE_ENV) or X_API_BASE, **kwargs)

    def close(self) -> None:
        self.client.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise SnsError(f"X API {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 429:
            reset = response.headers.get("x-rate-limit-reset")
            reset_at = datetime.fromtimestamp(int(reset), tz=UTC) if reset and reset.isdigit() else None
            raise SnsRateLimited(f"X API {path}: rate limited until {reset_at or 'unknown'}", reset_at)
        if response.status_code != 200:
            raise SnsError(f"X API {path}: HTTP {response.status_code}: {response.text[:200]}", response.status_code)
        try:
            data = response.json()
        except ValueError as exc:
            raise SnsError(f"X API {path}: invalid JSON: {exc}", response.status_code) from exc
        if "data" not in data and data.get("errors"):
            raise SnsError(f"X API {path}: {data['errors'][0].get('detail') or data['errors'][0]}", 200)
        return data

    def user_id(self, handle: str) -> str:
        data = self._get(f"/2/users/by/username/{handle}")
        try:
            return str(data["data"]["id"])
        except (KeyError, TypeError) as exc:
            raise SnsError(f"X API: no user {handle!r}", 404) from exc

    def recent_posts(
        self, handle: str, since: datetime | None = None, *, member_name: str, assembly_code: str
    ) -> list[PostRecord]:
        handle = handle_from_url(handle) if "/" in handle else handle.lstrip("@")
        if not handle:
            raise SnsError("X API: no account name given")
        uid = self.user_id(handle)
        params: dict[str, Any] = {"max_results": 100, "tweet.fields": "created_at", "exclude": "retweets"}
        if since is not None:
            params["start_time"] = _iso(since if since.tzinfo else since.replace(tzinfo=UTC))
        out: list[PostRecord] = []
        fetched_at = datetime.now(UTC)
        for _ in range(self.max_pages):
            data = self._get(f"/2/users/{uid}/tweets", params)
            for tweet in data.get("data") or []:
                text = tweet.get("text") or ""
                created = tweet.get("created_at")
                published = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
                url = f"https://x.com/{handle}/status/{tweet['id']}"
                out.append(
                    PostRecord(
                        source_system="member_pages",
                        source_id=url,
                        fetched_at=fetched_at,
                        assembly_code=assembly_code,
                        member_name=member_name,
                        url=url,
                        title=text.splitlines()[0][:60] if text else url,
                        published=published,
                        text=text,
                    )
                )
            token = (data.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return out
