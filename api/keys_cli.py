"""``gikai keys create|list|revoke``: API keys for partner CRMs (stored hashed in the state file).

Exit codes: 2 for bad input (an unreadable --rate-limit), 1 when the key to revoke does not exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer

from api.settings import get_settings
from api.state import ApiKey, StateDB

keys_app = typer.Typer(help="API keys for the HTTP API (stored only as SHA-256 hashes).", no_args_is_help=True)

StatePath = Annotated[
    Path | None, typer.Option("--state", help="State file [default: $GIKAI_STATE_PATH or var/state.sqlite3]")
]
_UNITS = {"s": 60.0, "sec": 60.0, "min": 1.0, "m": 1.0, "h": 1 / 60, "hour": 1 / 60}


def parse_rate(value: str) -> float:
    """``120``, ``120/min``, ``2/s``, ``600/h`` → requests per minute."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|min|m|h|hour))?\s*", value)
    if m is None or float(m.group(1)) <= 0:
        raise ValueError(f"--rate-limit: {value!r} is not a rate like 60/min, 2/s or 600/h")
    return float(m.group(1)) * _UNITS[m.group(2) or "min"]


def _state(path: Path | None) -> StateDB:
    return StateDB(path or get_settings().state_path)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _rate(key: ApiKey) -> str:
    return f"{key.rate_limit_per_minute:g}/min" if key.rate_limit_per_minute else "default"


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who the key is for (e.g. the partner's CRM)")],
    rate_limit: Annotated[str | None, typer.Option("--rate-limit", help="e.g. 120/min, 2/s, 600/h "
                                                   "[default: $GIKAI_RATE_LIMIT_PER_MINUTE per minute]")] = None,
    state: StatePath = None,
) -> None:
    """Create a key and print it once: it cannot be shown again."""
    if not name.strip():
        raise _fail("--name: must not be empty", 2)
    try:
        per_minute = parse_rate(rate_limit) if rate_limit is not None else None
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    key, record = _state(state).create_key(name.strip(), per_minute)
    typer.echo(key)
    typer.echo(f"created key {record.id} ({record.name}, rate limit {_rate(record)}); "
               "store it now, it is not shown again", err=True)


@keys_app.command("list")
def list_keys(state: StatePath = None,
              as_json: Annotated[bool, typer.Option("--json", help="One JSON array for machines")] = False) -> None:
    """All keys: id, name, first characters, created, revoked, rate limit (never the key)."""
    keys = _state(state).keys()
    if as_json:
        typer.echo(json.dumps([k.__dict__ for k in keys], ensure_ascii=False))
        return
    if not keys:
        typer.echo("no API keys; create one with `gikai keys create --name NAME`")
        return
    for k in keys:
        status = f"revoked {k.revoked_at}" if k.revoked else "active"
        typer.echo(f"{k.id}\t{k.name}\t{k.prefix}…\t{k.created_at}\t{status}\t{_rate(k)}")


@keys_app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="The id shown by `gikai keys list`")],
           state: StatePath = None) -> None:
    """Revoke a key: requests with it get 403 from now on."""
    key = _state(state).revoke_key(key_id)
    if key is None:
        raise _fail(f"no API key with id {key_id}", 1)
    typer.echo(f"revoked key {key.id} ({key.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
