"""A session day: who raised a need on that day first, then who raised it in the days around it.

A council session (定例会) runs over several days, and members of different groups take up the same
subject on different days: in the 2020 first session, 代表質問 on 26 February and 一般質問 on 27 and
28 February. Someone who asks who raised a subject on the 26th wants that day's questioners first, and
after them the members who took it up in the same session, not an empty list: only a handful of
members question the executive on one day, and ``since = until = day`` shows nobody else.

The ranking has two tiers:

1. members whose score over the day alone is at least ``LEAD_SHARE`` of that day's best, in the day's
   order, with the day's score and evidence: they raised it that day (a member at a tenth of the best
   mentioned it in passing, and waits for the second tier);
2. everyone else, ranked over ``day ± around`` days.

Measured on the dev member queries (``gikai eval members [--around N] [--lead-share S]``, nDCG@10
topic / summary):
  only the day (``--dates day``):                          0.922 / 0.924
  the day's members first, then the rest of ±7 days (S 0):  0.931 / 0.938
  leaders at ≥ 0.3 / 0.5 / 0.6 of the day's best, ±7 days: 0.927 / 0.952, 0.928 / 0.955, 0.928 / 0.952
  only the day's best member leads, ±7 days:               0.921 / 0.950
  ≥ 0.5, ±3 / ±14 / ±30 days:                              0.928 / 0.954, 0.928 / 0.952, 0.928 / 0.951
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from index.search import Filters

AROUND_DAYS = 7
MAX_AROUND_DAYS = 90
LEAD_SHARE = 0.5

T = TypeVar("T")


@dataclass(frozen=True)
class SessionDay:
    day: date
    around: int = AROUND_DAYS
    lead_share: float = LEAD_SHARE  # 0: every member of the day leads; 1: only the day's best

    def __post_init__(self) -> None:
        if not 0 <= self.around <= MAX_AROUND_DAYS:
            raise ValueError(f"around: {self.around} days; expected 0 to {MAX_AROUND_DAYS}")
        if not 0 <= self.lead_share <= 1:
            raise ValueError(f"lead share: {self.lead_share}; expected 0 to 1")

    def on_day(self, base: Filters) -> Filters:
        return replace(base, since=self.day, until=self.day)

    def window(self, base: Filters) -> Filters:
        # Clamped: 0001-01-01 minus a week is not a date (OverflowError).
        span = timedelta(days=self.around)
        since = self.day - span if self.day - date.min >= span else date.min
        until = self.day + span if date.max - self.day >= span else date.max
        return replace(base, since=since, until=until)


def lead_then_window(on_day: list[T], window: list[T], key: Callable[[T], Hashable],
                     score: Callable[[T], float], share: float = LEAD_SHARE) -> tuple[list[T], int]:
    """The two tiers merged, and how many lead (those at ``share`` of the day's best or above). Each list
    is best first; a leader appears as the day's ranking has it (score and evidence of that day), everyone
    else as the window's."""
    best = max((score(x) for x in on_day), default=0.0)
    leaders = [x for x in on_day if best > 0 and score(x) >= share * best]
    seen = {key(x) for x in leaders}
    return leaders + [x for x in window if key(x) not in seen], len(leaders)


def lead_members(session_day: SessionDay, on_day: list[T], around: list[T], member: Callable[[T], object]) -> list[T]:
    """Member rankings (``MemberScore`` or what ``member`` finds one in) merged by ``lead_then_window``; the
    leaders get ``led_on`` = the day."""
    ranked, leaders = lead_then_window(on_day, around, key=lambda x: member(x).member_id,
                                       score=lambda x: member(x).score, share=session_day.lead_share)
    for x in ranked[:leaders]:
        member(x).led_on = session_day.day
    return ranked


def session_day_for(on: date | None, around: int | None, filters: Filters) -> SessionDay | None:
    """The session day a request asks for (``on``, ``around``), or None; a ValueError names what does not fit
    (the API answers it with 422, the CLI and ``index.frames`` pass it on)."""
    if on is None:
        if around is not None:
            raise ValueError("around: needs on (the day whose surrounding days it widens to)")
        return None
    if filters.since or filters.until:
        raise ValueError(f"on: cannot be combined with since/until; on searches the days around it "
                         f"(around, {AROUND_DAYS} by default)")
    return SessionDay(on, AROUND_DAYS if around is None else around)
