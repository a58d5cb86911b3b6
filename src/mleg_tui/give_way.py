"""Modules loaded in the background, and jobs nobody waits for, give way to the keys.

The store opens after the first screen, in a worker: SQLAlchemy, SQLModel and the models
are about 300 ms of CPU, all of it under the GIL, so a key pressed meanwhile got half the
interpreter (page-down 30-70 ms instead of 15, measured in a real terminal). While a thread
is `giving_way`, each module it imports first waits until no key has come for GIVE_WAY
seconds; the waits of one block add up to WAIT_AT_MOST at most, so a clerk typing without
a pause delays the store by a second, never more.

The wait is in an import finder that answers nothing (the ordinary finders then find the
module); it waits only in the threads giving way, and only for modules not yet loaded.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

GIVE_WAY = 0.05  # seconds after a key in which a background import (or job) waits
WAIT_AT_MOST = 1.0  # seconds of waiting in one `giving_way` block, all modules together
REST_AT_MOST = 0.25  # seconds a background job waits for a rest (see `rest`)
STEP = 0.005


class _Finder:
    def __init__(self) -> None:
        self.last_key = 0.0
        self.budget: dict[int, float] = {}  # thread -> seconds it may still wait

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        me = threading.get_ident()
        left = self.budget.get(me)
        if left is None:
            return None
        start = time.monotonic()
        while left > time.monotonic() - start and time.monotonic() - self.last_key < GIVE_WAY:
            time.sleep(STEP)
        self.budget[me] = max(0.0, left - (time.monotonic() - start))
        return None

    def invalidate_caches(self) -> None:
        pass


_FINDER = _Finder()


def typed() -> None:
    """A key came (from the UI thread): background imports wait a moment."""
    _FINDER.last_key = time.monotonic()


@contextlib.contextmanager
def giving_way() -> Iterator[None]:
    """Imports made in this thread within the block give way to the keys."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    me = threading.get_ident()
    _FINDER.budget[me] = WAIT_AT_MOST
    try:
        yield
    finally:
        _FINDER.budget.pop(me, None)


def rest(at_most: float = REST_AT_MOST, *, unless: Callable[[], bool] = lambda: False) -> None:
    """In a worker, before work nobody is waiting for this instant (the count, the pane's
    student, rows read ahead): wait until no key has come for GIVE_WAY seconds, `at_most`
    seconds at most. Such jobs queue up behind the store's opening and all ran the moment it
    was open, sharing the interpreter with the key being handled then (30-50 ms for a
    page-down instead of 15). `unless()`: stop waiting (the job was replaced)."""
    end = time.monotonic() + at_most
    while (time.monotonic() < end and time.monotonic() - _FINDER.last_key < GIVE_WAY
           and not unless()):
        time.sleep(STEP)

