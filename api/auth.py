"""Who is calling, and may they: API keys and rate limits for every ``/v1/`` endpoint.

* A key is sent as ``Authorization: Bearer gk_…`` or ``X-API-Key: gk_…``.
* A key that was sent must be valid, in every mode: unknown or revoked → 403.
* No key: allowed in demo mode (``GIKAI_DEMO_MODE``, default on: the web page and local use),
  otherwise 401.
* Then the caller's token bucket: per key (its own limit or ``GIKAI_RATE_LIMIT_PER_MINUTE``), or per
  client IP for keyless demo traffic (``GIKAI_DEMO_RATE_LIMIT_PER_MINUTE``; local clients in
  ``GIKAI_DEMO_RATE_LIMIT_EXEMPT`` are not limited); empty → 429 + Retry-After.

``api_access`` is installed once, as an application-wide dependency (see ``api.main``), so a new
``/v1/`` router is covered without doing anything; other paths (``/healthz``, the web page) pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SettingsDep
from api.settings import Settings
from api.state import ApiKey, StateDB

bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="APIキー (Bearer)",
    description="`gikai keys create --name NAME` で発行したキー: `Authorization: Bearer gk_...`",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="APIキー (X-API-Key)",
    description="Bearer の代わりに `X-API-Key: gk_...` でも送れます",
)


@dataclass(frozen=True)
class Caller:
    key: ApiKey | None  # None: keyless demo traffic
    client: str

    @property
    def key_id(self) -> int | None:
        return self.key.id if self.key else None


async def get_state(settings: SettingsDep) -> StateDB:  # no I/O: a path holder
    return StateDB(settings.state_path)


StateDep = Annotated[StateDB, Depends(get_state)]


async def authenticate(request: Request, settings: Settings, state: StateDB, token: str | None) -> Caller:
    client = request.client.host if request.client else "unknown"
    if token and token.strip():
        key = await anyio.to_thread.run_sync(state.key_by_secret, token.strip())  # SQLite: off the event loop
        if key is None:
            raise HTTPException(403, "API key is not valid")
        if key.revoked:
            raise HTTPException(403, f"API key {key.prefix}… has been revoked")
        return Caller(key, client)
    if settings.demo_mode:
        return Caller(None, client)
    raise HTTPException(401, "an API key is required: send `Authorization: Bearer gk_...` or `X-API-Key: gk_...`",
                        headers={"WWW-Authenticate": "Bearer"})


def rate_limit(request: Request, caller: Caller, settings: Settings) -> None:
    if caller.key is not None:
        identity = f"key:{caller.key.id}"
        per_minute = caller.key.rate_limit_per_minute or settings.rate_limit_per_minute
    elif caller.client in settings.demo_rate_limit_exempt:
        return
    else:
        identity = f"ip:{caller.client}"
        per_minute = settings.demo_rate_limit_per_minute
    decision = request.app.state.rate_limiter.hit(identity, per_minute)
    if not decision.allowed:
        raise HTTPException(
            429, f"rate limit of {per_minute:g} requests per minute exceeded; retry in {decision.retry_after} s",
            headers={"Retry-After": str(decision.retry_after), "X-RateLimit-Limit": f"{per_minute:g}"},
        )


def _presented_key(request: Request) -> str | None:
    """The one key the request presents. Every credential header sent must carry a key, and the
    same one: a malformed Authorization header beside a good X-API-Key is refused, not ignored."""
    keys = []
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, credential = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise HTTPException(403, "Authorization header must be `Bearer gk_...`")
        keys.append(credential.strip())
    header_key = request.headers.get("x-api-key")
    if header_key is not None:
        if not header_key.strip():
            raise HTTPException(403, "X-API-Key header is empty")
        keys.append(header_key.strip())
    if len(set(keys)) > 1:
        raise HTTPException(403, "Authorization and X-API-Key carry different keys")
    return keys[0] if keys else None


async def api_access(
    request: Request, settings: SettingsDep, state: StateDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
    x_api_key: Annotated[str | None, Security(api_key_scheme)] = None,
) -> None:
    """Application-wide dependency: authenticate and rate-limit ``/v1/`` requests; other paths pass.

    ``async``: keyless traffic needs no I/O, and a thread-pool hop costs ~1 ms a request here;
    only a presented key is looked up in a worker thread."""
    if not request.url.path.startswith("/v1/"):
        return
    caller = await authenticate(request, settings, state, _presented_key(request))
    request.state.caller = caller
    rate_limit(request, caller, settings)


async def current_caller(request: Request) -> Caller:
    """The caller ``api_access`` admitted (for routes that act on the caller's own objects)."""
    caller = getattr(request.state, "caller", None)
    if caller is None:  # an app built without api_access: treat as keyless local use
        raise HTTPException(401, "an API key is required")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
