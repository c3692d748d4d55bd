"""Shared dependencies: the searcher over the built index and validated query parameters."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from api.schedule import DeadlineGate
from api.schemas import NOT_BLANK
from api.settings import Settings, get_settings
from index.search import Filters, Searcher
from index.session_day import AROUND_DAYS, MAX_AROUND_DAYS, SessionDay, session_day_for


async def get_search_gate(request: Request) -> DeadlineGate:
    """The process's search slots (``api.schedule``). The search endpoints are ``async`` and run their
    work through it: FastAPI validates a plain ``def`` endpoint's response in a second thread-pool hop,
    which cost ~1 ms a request on this machine."""
    return request.app.state.search_gate


SearchGateDep = Annotated[DeadlineGate, Depends(get_search_gate)]


def with_terms(text: str, fn, /, *args, **kwargs):
    """``fn(*args, **kwargs)`` and the words of ``text`` to mark in its evidence, for one thread hop.

    ``query_terms`` tokenizes the text again (the search did once): 0.1 ms a query on the dev queries and
    0.12 ms on company descriptions, against 12-40 ms for the search, so the tokens are not threaded through.
    """
    from nlp.highlight import query_terms

    return fn(*args, **kwargs), query_terms(text)


def with_description_terms(text: str, fn, /, *args, **kwargs):
    """``with_terms`` for a company's description: its sales words (自治体, 当社 …) are not searched, nor marked."""
    from nlp.highlight import query_terms

    return fn(*args, **kwargs), query_terms(text, description=True)


# Dependencies that only read the request are ``async def``: FastAPI runs a plain ``def``
# dependency in the thread pool, and those hops (nine per search) cost ~3 ms of a request.
async def get_searcher(request: Request) -> Searcher:
    return request.app.state.searcher


SearcherDep = Annotated[Searcher, Depends(get_searcher)]


async def current_settings() -> Settings:
    """``get_settings`` as a dependency without the thread-pool hop (tests override this one)."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(current_settings)]


def clean_text(value: str, name: str, max_chars: int) -> str:
    """Reject text a person could not have meant, with a message naming the parameter."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise HTTPException(422, f"{name}: malformed Unicode (unpaired surrogate)")
    # Control characters are noise from copy-paste; drop them rather than fail.
    value = "".join(c for c in value if unicodedata.category(c) != "Cc" or c in "\n\t").strip()
    if not value:
        raise HTTPException(422, f"{name}: must not be empty")
    if len(value) > max_chars:
        raise HTTPException(422, f"{name}: {len(value)} characters; at most {max_chars} are accepted")
    return value


# At least one printable, non-space character: the schema says what clean_text enforces.
_NOT_BLANK = NOT_BLANK


async def query_text(settings: SettingsDep, q: Annotated[str, Query(
        description="探したい課題・政策 (例: 待機児童)。1,000字まで", min_length=1, max_length=1000, pattern=_NOT_BLANK,
        examples=["待機児童"])]) -> str:
    return clean_text(q, "q", settings.max_query_chars)


QueryDep = Annotated[str, Depends(query_text)]


async def filters(
    assembly: Annotated[
        list[str] | None,
        Query(description="議会の団体コード (6桁、複数可)", max_length=200),
    ] = None,
    since: Annotated[date | None, Query(description="この日以降の発言 (YYYY-MM-DD)")] = None,
    until: Annotated[date | None, Query(description="この日以前の発言 (YYYY-MM-DD)")] = None,
) -> Filters:
    for code in assembly or []:
        if not re.fullmatch(r"[0-9]{6}", code):
            raise HTTPException(422, f"assembly: {code[:20]!r} is not a 6-digit 団体コード")
    if since and until and since > until:
        raise HTTPException(422, f"since ({since}) is after until ({until})")
    return Filters(assembly=assembly or None, since=since, until=until)


FiltersDep = Annotated[Filters, Depends(filters)]

PARTY_MAX_CHARS = 100
PARTY_DESCRIPTION = ("会派で絞る (会派名の一部でも可: 都民ファースト。全角・半角、空白と「・」は区別しません)。"
                     "スコアと順位は絞らないときと同じで、その会派の議員だけを返します (parts.relative はその中の 1 位との比)。"
                     "会派は名簿、名簿がなければ会議録で名乗った最新の会派")


def party_filter(party: str | None) -> str | None:
    """The ``party`` parameter, cleaned like a query (None when not given)."""
    return None if party is None else clean_text(party, "party", PARTY_MAX_CHARS)


async def member_filters(
    filters: FiltersDep,
    party: Annotated[str | None, Query(description=PARTY_DESCRIPTION, max_length=PARTY_MAX_CHARS,
                                       examples=["都民ファーストの会"])] = None,
) -> Filters:
    return replace(filters, party=party_filter(party)) if party is not None else filters


MemberFiltersDep = Annotated[Filters, Depends(member_filters)]


def session_day_of(on: date | None, around: int | None, filters: Filters) -> SessionDay | None:
    """The session day of a member ranking (``index.session_day``); what does not fit is a 422 saying why."""
    try:
        return session_day_for(on, around, filters)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


async def session_day(
    filters: FiltersDep,
    on: Annotated[date | None, Query(
        description="この日に課題を取り上げた議員を先頭に、続けて前後 around 日 (同じ定例会) に取り上げた議員を並べます "
                    "(YYYY-MM-DD。since/until とは併用できません。先頭の議員は led_on にこの日付が入ります)")] = None,
    around: Annotated[int | None, Query(
        ge=0, le=MAX_AROUND_DAYS, description=f"on の前後の日数 (0〜{MAX_AROUND_DAYS}、既定 {AROUND_DAYS})")] = None,
) -> SessionDay | None:
    return session_day_of(on, around, filters)


SessionDayDep = Annotated[SessionDay | None, Depends(session_day)]
