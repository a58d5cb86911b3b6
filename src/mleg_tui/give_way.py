"""Work in the background (the store's opening, jobs nobody waits for) gives way to the keys.

The store opens after the first screen, in a worker: SQLAlchemy, SQLModel and the models
are about 300 ms of CPU, all of it under the GIL, so a key pressed meanwhile got half the
interpreter (page-down 30-70 ms instead of 15, measured in a real terminal); the jobs that
follow it (the count, the pane's student, rows read ahead) did the same on a smaller scale.

While a thread is `giving_way`, it stops as soon as a key comes (`busy`, called by the
driver's input thread as the key arrives), and goes on once no key has come for GIVE_WAY
seconds: in its Python code at its next call (a profile hook of its own; waiting at module
boundaries was not enough, SQLModel's models run 30 ms at a stretch), inside SQLite
statements at their next pause point (mleg_tui.read_pause). The waits of one block add up
to WAIT_AT_MOST at most, so a clerk typing without a pause delays the store by a second,
never more. The hook is there only while the clerk is at the keys (it costs half again the
imports' CPU); meanwhile the interpreter's switch interval is short, so that the key's own
threads get the GIL back in SWITCH, not in 5 ms. Never around writes: a paused write would
keep the store's write lock.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.machinery import ModuleSpec
from types import FrameType, ModuleType
from typing import Any

from mleg_tui import read_pause

GIVE_WAY = 0.05  # seconds after a key in which a background import (or job) waits
WAIT_AT_MOST = 1.0  # seconds of waiting in one `giving_way` block, all waits together
REST_AT_MOST = 0.25  # seconds a background job waits for a rest (see `rest`)
STEP = 0.005
ACTIVE = 0.5  # seconds after a key in which the clerk is at the keys (see _Finder)
SWITCH = 0.0005  # the switch interval while some thread gives way (the interpreter's: 0.005)

_clock = time.monotonic
_last_key = 0.0
_budget: dict[int, float] = {}  # thread giving way -> seconds it may still wait
_lock = threading.Lock()
_giving = 0  # blocks open, all threads
_switch_before = 0.0


def busy() -> None:
    """From the UI thread: a key came, or work the clerk waits for begins (the filter's
    fields being built): background work waits a moment."""
    global _last_key
    _last_key = _clock()


def _wait() -> None:
    me = threading.get_ident()
    left = _budget.get(me, 0.0)
    start = _clock()
    while left > _clock() - start and _clock() - _last_key < GIVE_WAY:
        time.sleep(STEP)
    _budget[me] = max(0.0, left - (_clock() - start))


def _pause_read() -> None:
    """Inside a SQLite statement (mleg_tui.read_pause): in a thread giving way, as its calls."""
    if threading.get_ident() in _budget and _clock() - _last_key < GIVE_WAY:
        _wait()


read_pause.pause_reads_with(_pause_read)


def _hook(frame: FrameType | None, event: str, arg: Any) -> None:
    # Called for every call of the thread: as little as can be until a key comes.
    now = _clock()
    if now - _last_key < GIVE_WAY:
        # Not inside the import system's own code: it may hold the lock every import takes.
        if frame is None or not frame.f_code.co_filename.startswith("<frozen importlib"):
            _wait()
    elif now - _last_key > ACTIVE:
        sys.setprofile(None)  # the clerk rests: full speed (the finder hooks again)


class _Finder:
    """Asked first of every module about to be loaded: in a thread giving way, while the
    clerk is at the keys, the hook again (with it always there, the store opened 170 ms
    later with nobody typing)."""

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if threading.get_ident() in _budget and _clock() - _last_key <= ACTIVE:
            if sys.getprofile() is not _hook:
                sys.setprofile(_hook)
            _hook(None, "", None)
        return None

    def invalidate_caches(self) -> None:
        pass


_FINDER = _Finder()


@contextlib.contextmanager
def giving_way() -> Iterator[None]:
    """What this thread runs within the block (imports, reads) gives way to the keys."""
    global _giving, _switch_before
    me = threading.get_ident()
    outer = _budget.get(me)
    _budget[me] = WAIT_AT_MOST if outer is None else outer
    with _lock:
        if _giving == 0:
            _switch_before = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH, _switch_before))
        _giving += 1
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    before = sys.getprofile()
    if _clock() - _last_key <= ACTIVE:
        sys.setprofile(_hook)
    try:
        yield
    finally:
        sys.setprofile(before)
        if outer is None:
            _budget.pop(me, None)
        with _lock:
            _giving -= 1
            if _giving == 0:
                sys.setswitchinterval(_switch_before)


def rest(at_most: float = REST_AT_MOST, *, unless: Callable[[], bool] = lambda: False) -> None:
    """In a worker, before work nobody is waiting for this instant (the count, the pane's
    student, rows read ahead): wait until no key has come for GIVE_WAY seconds, `at_most`
    seconds at most. Such jobs queue up behind the store's opening and all ran the moment it
    was open, sharing the interpreter with the key being handled then (30-50 ms for a
    page-down instead of 15). `unless()`: stop waiting (the job was replaced)."""
    end = _clock() + at_most
    while _clock() < end and _clock() - _last_key < GIVE_WAY and not unless():
        time.sleep(STEP)
