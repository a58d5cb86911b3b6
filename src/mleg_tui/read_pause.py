"""Where a long read may pause mid-statement: the store calls `pause_point` from inside its
SQLite statements (every few thousand steps), a front end says what pausing means.

The TUI pauses the reads nobody waits for this instant (the count over a million orders,
the pane's student) while a key is being handled: on two cores the count took the one the
terminal needed (mleg_tui.give_way). Only the standard library is imported here.
"""
from __future__ import annotations

from collections.abc import Callable

_pause: Callable[[], None] | None = None


def pause_reads_with(pause: Callable[[], None] | None) -> None:
    """`pause()` runs in the thread of the statement, which goes on once it returns (at
    once, mostly). Never pause around writes: a paused write keeps the store's write lock."""
    global _pause
    _pause = pause


def pause_point() -> None:
    if _pause is not None:
        _pause()
