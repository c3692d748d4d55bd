"""api.schedule: a freed search slot goes to the waiting search whose latency target runs out first."""

import asyncio
import threading
import time

import pytest

from api.schedule import DeadlineGate, search_slots, slots_per_process
from api.settings import Settings


async def _occupy(gate: DeadlineGate) -> tuple[threading.Event, asyncio.Task]:
    """A search holding the gate's only slot until the event is set."""
    release = threading.Event()
    busy = asyncio.create_task(gate.run("match", release.wait))
    while gate.running < 1:
        await asyncio.sleep(0)
    return release, busy


async def _queue(gate: DeadlineGate, *searches: tuple[str, list, str]) -> list[asyncio.Task]:
    """Queue searches (kind, list to append to, value) behind the busy slot; wait until all wait."""
    tasks = [asyncio.create_task(gate.run(kind, out.append, value)) for kind, out, value in searches]
    while gate.waiting < len(searches):
        await asyncio.sleep(0)
    return tasks


async def _queue_behind_a_busy_slot(gate: DeadlineGate, kinds: list[str], pause: float = 0.0) -> list[str]:
    """Occupy the only slot, queue one search of each kind (in this order), free the slot; the order they ran."""
    release, busy = await _occupy(gate)
    ran: list[str] = []
    waiting = []
    for kind in kinds:
        waiting.append(asyncio.create_task(gate.run(kind, ran.append, kind)))
        await asyncio.sleep(pause)
    while gate.waiting < len(kinds):
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(busy, *waiting)
    assert gate.running == 0 and gate.waiting == 0
    return ran


def test_the_search_with_the_earliest_deadline_runs_first():
    # A statement search (50 ms target) that arrives behind a match (300 ms) and a member search (100 ms).
    ran = asyncio.run(_queue_behind_a_busy_slot(DeadlineGate(1), ["match", "members", "statements"]))
    assert ran == ["statements", "members", "match"]


def test_first_come_first_served_when_ordered_by_arrival():
    ran = asyncio.run(_queue_behind_a_busy_slot(DeadlineGate(1, by_deadline=False), ["match", "members", "statements"]))
    assert ran == ["match", "members", "statements"]


def test_a_match_that_has_waited_past_a_later_statements_deadline_goes_first():
    # The match's deadline (arrival + 300 ms) is earlier than that of a statement search arriving 0.26 s later.
    ran = asyncio.run(_queue_behind_a_busy_slot(DeadlineGate(1), ["match", "statements"], pause=0.26))
    assert ran == ["match", "statements"]


def test_slots_are_shared_out_and_never_exceeded():
    async def main() -> int:
        gate = DeadlineGate(2)
        lock = threading.Lock()
        now = peak = 0

        def work() -> None:
            nonlocal now, peak
            with lock:
                now += 1
                peak = max(peak, now)
            time.sleep(0.01)
            with lock:
                now -= 1

        await asyncio.gather(*(gate.run(kind, work) for kind in ["statements", "members", "match"] * 4))
        assert gate.running == 0
        return peak

    assert asyncio.run(main()) == 2


def test_a_cancelled_waiter_gives_up_its_turn():
    async def main() -> list[str]:
        gate = DeadlineGate(1)
        release, busy = await _occupy(gate)
        ran: list[str] = []
        gone, kept = await _queue(gate, ("statements", ran, "gone"), ("members", ran, "kept"))
        gone.cancel()  # the client went away while its search waited
        release.set()
        await asyncio.gather(busy, kept)
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert gate.running == 0
        # The slot is free again: the next search runs at once.
        await asyncio.wait_for(gate.run("statements", ran.append, "next"), 5)
        return ran

    assert asyncio.run(main()) == ["kept", "next"]


def test_a_waiter_cancelled_as_it_is_handed_the_slot_passes_it_on():
    class CancelOnHandover(DeadlineGate):
        victim: asyncio.Task | None = None

        def _fill(self) -> None:
            super()._fill()
            if self.victim is not None:  # its turn has just been given, it has not resumed yet
                self.victim.cancel()
                self.victim = None

    async def main() -> list[str]:
        gate = CancelOnHandover(1)
        release, busy = await _occupy(gate)
        ran: list[str] = []
        first, second = await _queue(gate, ("statements", ran, "first"), ("members", ran, "second"))
        gate.victim = first
        release.set()
        await busy
        await asyncio.wait_for(second, 5)
        with pytest.raises(asyncio.CancelledError):
            await first
        assert gate.running == 0
        return ran

    assert asyncio.run(main()) == ["second"]


@pytest.mark.parametrize(("threads", "processes", "cores", "slots"), [
    (2, 1, 2, 2),  # one process on 2 cores: both request threads search
    (2, 2, 2, 1),  # `--workers 2` on 2 cores: one search per process
    (4, 2, 8, 4),
    (4, 4, 2, 1),  # more processes than cores: still one each
    (1, 1, 8, 1),  # the request threads cap it
])
def test_slots_per_process(threads, processes, cores, slots):
    assert slots_per_process(threads, processes, cores) == slots


def test_search_slots_from_the_settings(monkeypatch):
    monkeypatch.delenv("GIKAI_SEARCH_SLOTS", raising=False)
    monkeypatch.setenv("GIKAI_REQUEST_THREADS", "3")
    assert search_slots(Settings()) == 3  # one process: its request threads
    assert search_slots(Settings(), processes=64) == 1  # more processes than cores: one each
    monkeypatch.setenv("GIKAI_SEARCH_SLOTS", "2")
    assert search_slots(Settings()) == search_slots(Settings(), processes=4) == 2  # the operator's number
