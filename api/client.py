"""The CLI's way to a running server: `gikai search --url …` asks the API instead of opening the index.

Opening an index loads its columns and vectors (seconds on the demo, far more at a million passages);
a server has them in memory already, so repeated questions from a shell or a script come back at once.
Answers are the API's own JSON, read into the same models the CLI prints from a local index.
"""

from __future__ import annotations

import httpx

TIMEOUT_S = 60.0


class RemoteError(RuntimeError):
    """The server could not be reached or refused the request; the message says which and why."""


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _answer(response: httpx.Response) -> dict:
    if response.is_success:
        return response.json()
    try:
        detail = response.json().get("error") or response.text
    except ValueError:
        detail = response.text
    where = response.request.url.copy_with(query=None)  # the query is the user's own input; keep the line short
    raise RemoteError(f"{response.request.method} {where}: {response.status_code} {detail}")


def request(base_url: str, method: str, path: str, *, params: dict | None = None, body: dict | None = None,
            api_key: str | None = None) -> dict:
    """One API call; the decoded JSON of a 2xx answer, else ``RemoteError`` naming the URL and the API's error."""
    url = base_url.rstrip("/") + path
    # Drop unset options so the server applies its own defaults.
    params = {k: v for k, v in (params or {}).items() if v is not None}
    try:
        response = httpx.request(method, url, params=params, json=body, headers=_headers(api_key), timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach {url}: {exc}") from exc
    return _answer(response)
