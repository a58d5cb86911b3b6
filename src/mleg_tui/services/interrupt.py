"""A read a newer one has made pointless, stopped in the database rather than left to run.

Typing a surname into the filter asks at each key; the count of "k" over a million orders
runs on long after "kr" was typed, on one of two cores the new rows also need. The screen
gives each read an `Interrupt` and calls `interrupt()` when the list changes; the read's
SQLite statement stops at once (sqlite3's interrupt, safe from another thread) and the read
raises `Interrupted`, which front ends drop without a word.

PostgreSQL's statements run in the server: a stale one gets a cancel request, and its
connection is closed after the read, never pooled (a cancel can arrive after its statement
ended and would stop the next one on that connection). Stale counts of each key's name,
left to end, took the server's two cores from the last key's rows (112-122 ms where
8-20 was usual, at a million orders).
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any


class Interrupted(Exception):
    """The read was interrupted: nobody waits for its result."""


class Interrupt:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop: Callable[[], None] | None = None
        self.interrupted = False

    def interrupt(self) -> None:
        """From any thread: stop the read's statement now (if one runs), and any to come."""
        with self._lock:
            self.interrupted = True
            if self._stop is not None:
                self._stop()

    def watch(self, stop: Callable[[], None] | None) -> None:
        """The read started: `stop` stops its statements (None: they cannot be stopped)."""
        with self._lock:
            if self.interrupted:
                raise Interrupted
            self._stop = stop

    def unwatch(self) -> None:
        """The read ended: its connection goes back to the pool, where nothing must stop it."""
        with self._lock:
            self._stop = None


@contextlib.contextmanager
def interruptible(session: Any, interrupt: Interrupt | None) -> Iterator[None]:
    """Around a read's statements on `session` (a store session): `interrupt` stops them."""
    if interrupt is None:
        yield
        return
    from mleg_tui.store.engine import forget_connection, statement_stopper

    stop = statement_stopper(session)
    interrupt.watch(stop)
    try:
        yield
    except Exception:
        if interrupt.interrupted:  # the database's "interrupted", and whatever followed it
            raise Interrupted from None
        raise
    finally:
        interrupt.unwatch()
        if interrupt.interrupted and stop is not None:
            forget_connection(session)  # a late cancel must not reach the next read
