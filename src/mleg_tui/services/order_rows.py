"""The start screen's first window of rows, which comes before SQLAlchemy and SQLModel
are loaded (store.driver_rows). Every later window goes through services.orders. Here only
the standard library, the domain, the plain types and that reader are imported.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from mleg_tui.clock import Clock
from mleg_tui.domain.status import OrderStatus, lapse_of
from mleg_tui.services.list_types import OrderRow

if TYPE_CHECKING:
    from mleg_tui.config import Settings

SCREENS_AHEAD = 6  # screens of rows read by a worker or a child process (PostgreSQL), at once
QUICK_TIMEOUT = 0.2  # seconds: rows read in the UI thread wait no longer for a locked file
TIMEOUT = 5.0


@dataclass(frozen=True)
class FirstWindow:
    rows: list[OrderRow]
    orders_at_most: int  # the highest order id: the count has no more digits than this
    limit: int = 0  # the rows asked for (fewer came: the list ends there)


def first_window(settings: Settings, limit: int, *, offset: int = 0,
                 ui_thread: bool = False) -> FirstWindow | None:
    """The first `limit` rows of the default list (no filter, newest first), or None: then
    read through services.orders (which also opens, creates or upgrades the store). With
    `offset`: the rows after the first `offset` ones (the next screens, before the store is
    open: page-downs in the first second waited 100-150 ms for it, measured in a terminal).

    Each store is read from the thread that suits it. A local SQLite file is read from the
    UI thread (`ui_thread`), before the first frame, so that the rows are in it: a few ms,
    where a worker would take 100 ms while the screen is being built (sqlite3 gives up the
    GIL for every row and gets it back only every switch interval). PostgreSQL is read from
    a worker, after the first frame. Asked from the other thread, this is None at once."""
    from mleg_tui.store.driver_rows import is_local_file

    if is_local_file(settings.db_url) != ui_thread:
        return None
    return _read(settings, limit, offset, QUICK_TIMEOUT if ui_thread else TIMEOUT)


def _read(settings: Settings, limit: int, offset: int, timeout: float) -> FirstWindow | None:
    from mleg_tui.store.driver_rows import first_rows

    found = first_rows(settings.db_url, limit, offset=offset, timeout=timeout)
    if found is None:
        return None
    raw, ceiling = found
    clock = Clock(settings.today_override, settings.timezone)
    today, now = clock.today(), clock.now()
    return FirstWindow([
        OrderRow(lp=offset + i + 1, id=id_, order_ref=ref, person_id=pid, person=f"{first} {last}",
                 album=album or "", ordered_at=clock.local(at), status=OrderStatus(status),
                 expiry_date=expiry, error_code=err or "", pending_action=pending,
                 version=ver, key=(at, id_),
                 lapse=lapse_of(OrderStatus(status), expiry, codes, today, now))
        for i, (id_, ref, pid, status, at, expiry, err, pending, ver, album, first, last, codes)
        in enumerate(raw)
    ], ceiling, limit)


def first_count(settings: Settings) -> int | None:
    """The default list's count, with the database driver alone (services.orders.count_orders
    for no filter: every order), or None: then the ordinary way. A worker's: it comes with
    the first rows, not once the store is open (End waited for it, 100 ms at 1M)."""
    from mleg_tui.store.driver_rows import count_all

    return count_all(settings.db_url, timeout=TIMEOUT)


class ReadAside:
    """The first window of a PostgreSQL store, and then its count, read by a child process
    forked as the program starts, on the other core, while this one loads Textual and draws
    the screen: importing psycopg, connecting and reading took 100 ms on the same core as
    the first frame (the first screen 2.05x the bare Textual app's, measured in a real
    terminal). Nothing but the rows and the count come back, pickled, over a pipe."""

    def __init__(self, pid: int, fd: int, limit: int) -> None:
        self._pid, self.limit = pid, limit
        self._pipe: BinaryIO | None = os.fdopen(fd, "rb")
        self._rows_taken = False

    def _next(self) -> object:
        if self._pipe is None:
            return None
        try:
            return pickle.load(self._pipe)
        except Exception:  # noqa: BLE001 - the child failed: the ordinary way says why
            self.drop()
            return None

    def take(self) -> FirstWindow | None:
        """The rows (blocking until the child sends them), once; None if it failed: then
        the ordinary way, which says what is wrong."""
        if self._rows_taken:
            return None
        self._rows_taken = True
        found = self._next()
        return found if isinstance(found, FirstWindow) else None

    def take_count(self) -> int | None:
        """The count, after the rows (blocking until it comes); then the child is gone."""
        if not self._rows_taken:
            self.take()
        found = self._next()
        self.drop(done=True)
        return found if isinstance(found, int) else None

    def drop(self, *, done: bool = False) -> None:
        """Done with it (or the app ends first): the child is not left behind. `done`: it
        sent everything and is ending: wait for it; otherwise it may still be reading (the
        system reaps it once this process ends)."""
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0 if done else os.WNOHANG)


def read_aside(settings: Settings) -> ReadAside | None:
    """Start reading the first window of a PostgreSQL store in a child process (see
    ReadAside), SCREENS_AHEAD screens of this terminal; None for any other store, or where
    a process cannot be forked. Called before Textual is imported, with one thread."""
    from mleg_tui.store.driver_rows import count_all, is_postgresql

    limit = SCREENS_AHEAD * shutil.get_terminal_size().lines
    if not is_postgresql(settings.db_url) or not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the child: read, send, and end without running anything of the parent's
        code = 0
        try:
            os.close(r)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the app's
            with os.fdopen(w, "wb") as pipe:
                pickle.dump(_read(settings, limit, 0, TIMEOUT), pipe)
                pipe.flush()  # the rows first: the count may take the server a while
                pickle.dump(count_all(settings.db_url, timeout=TIMEOUT), pipe)
        except BaseException:  # noqa: BLE001 - the parent reads the ordinary way
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    return ReadAside(pid, r, limit)
