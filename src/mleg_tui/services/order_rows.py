"""The start screen's first window of rows, which comes before SQLAlchemy and SQLModel
are loaded (store.driver_rows). Every later window goes through services.orders. Here only
the standard library, the domain, the plain types and that reader are imported.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mleg_tui.clock import Clock
from mleg_tui.domain.status import OrderStatus, lapse_of
from mleg_tui.services.types import OrderRow

if TYPE_CHECKING:
    from mleg_tui.config import Settings

QUICK_TIMEOUT = 0.2  # seconds: rows read in the UI thread wait no longer for a locked file
TIMEOUT = 5.0


@dataclass(frozen=True)
class FirstWindow:
    rows: list[OrderRow]
    orders_at_most: int  # the highest order id: the count has no more digits than this


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
    from mleg_tui.store.driver_rows import first_rows, is_local_file

    if is_local_file(settings.db_url) != ui_thread:
        return None
    found = first_rows(settings.db_url, limit, offset=offset,
                       timeout=QUICK_TIMEOUT if ui_thread else TIMEOUT)
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
    ], ceiling)
