"""The start screen's first window of rows, which comes before SQLAlchemy and SQLModel
are loaded (store.driver_rows). Every later window goes through services.orders. Here only
the standard library, the domain, the plain types and that reader are imported.
"""
from __future__ import annotations

from mleg_tui.clock import Clock
from mleg_tui.domain.status import OrderStatus, lapse_of
from mleg_tui.services.types import FirstWindow, OrderRow


def current_schema(version: int) -> bool:
    """Whether first rows read from a store of `version` are this program's own rows."""
    from mleg_tui.store import SCHEMA_VERSION

    return version == SCHEMA_VERSION


def first_window(db_url: str, clock: Clock, limit: int, *, timeout: float = 5.0) -> FirstWindow | None:
    """The first `limit` rows of the default list, read before the store's machinery is
    loaded (see store.driver_rows), or None: then read through services.orders."""
    from mleg_tui.store.driver_rows import first_rows

    found = first_rows(db_url, limit, timeout=timeout)
    if found is None:
        return None
    version, raw = found
    today, now = clock.today(), clock.now()
    rows = [
        OrderRow(lp=i + 1, id=id_, order_ref=ref, person_id=pid, person=f"{first} {last}",
                 album=album or "", ordered_at=clock.local(at), status=OrderStatus(status),
                 expiry_date=expiry, error_code=err or "", pending_action=pending,
                 version=ver, key=(at, id_),
                 lapse=lapse_of(OrderStatus(status), expiry, codes, today, now))
        for i, (id_, ref, pid, status, at, expiry, err, pending, ver, album, first, last, codes)
        in enumerate(raw)
    ]
    return FirstWindow(rows, version)
