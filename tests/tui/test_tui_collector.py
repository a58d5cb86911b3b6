"""The garbage collector's full collections wait for the clerk to rest (collector.py): none in
the middle of typing (they took 45-130 ms at a million orders, in a keystroke's frame), one
soon after the keys stop, and the interpreter's own settings back when the app ends."""
from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from mleg_tui.collector import FULL_AFTER, FULL_AT_MOST, REST, TICK
from support.tui import loaded, until


class Cycle:
    """Garbage only a full collection finds: it refers to itself, and it is old."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def full_collections() -> Iterator[list[float]]:
    """The times (time.monotonic) at which a collection of the oldest generation started."""
    seen: list[float] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(time.monotonic())

    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)


def old_garbage() -> weakref.ref[Cycle]:
    """A cycle moved into the oldest generation, then dropped; and a full collection made due
    (as many younger collections since the last full one as the interpreter waits for)."""
    cycle = Cycle()
    for _ in range(FULL_AFTER + 2):
        gc.collect(1)  # each moves the survivors of the young generations into the oldest
    ref = weakref.ref(cycle)
    del cycle
    return ref


async def type_for(pilot: Any, seconds: float) -> float:
    """Keys at a clerk's pace (ten a second), for `seconds`; when the last ones were sent."""
    sent = time.monotonic()
    end = sent + seconds
    while time.monotonic() < end:
        sent = time.monotonic()
        await pilot.press("down", "up")
        await asyncio.sleep(0.1)
    return sent


async def test_no_full_collection_while_typing_one_when_the_clerk_rests(make_app, full_collections) -> None:
    before = gc.get_threshold()
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: gc.isenabled(), what="the collector resumed after the start")
        garbage = old_garbage()
        full_collections.clear()
        last_keys = await type_for(pilot, REST + 3 * TICK)
        assert full_collections == [], "a full collection ran in the middle of typing"
        assert garbage() is not None
        await until(pilot, lambda: garbage() is None, timeout=REST + 4 * TICK,
                    what="the old garbage collected once the keys stopped")
        assert full_collections and full_collections[0] - last_keys >= REST
    # Another app (or the rest of the program) gets the interpreter's collector as it was.
    assert gc.isenabled() and gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_typing_without_a_rest_is_collected_at_the_latest_when_long_overdue(
        make_app, full_collections) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: gc.isenabled(), what="the collector resumed after the start")
        cycle = Cycle()
        for _ in range(FULL_AT_MOST + 2):
            gc.collect(1)
        garbage = weakref.ref(cycle)
        del cycle
        full_collections.clear()
        await type_for(pilot, 3 * TICK)
        assert garbage() is None and full_collections
