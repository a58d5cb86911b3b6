"""The order list's plain types: what is asked of it (OrderQuery) and each row it gives
(OrderRow). Apart from services.types (the student, the overview, the runs): the first
screen imports these alone, and the rest's 19 dataclasses took 15 ms of the first frame.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from mleg_tui.domain.dates import pl_date
from mleg_tui.domain.pesel import mask_in
from mleg_tui.domain.status import Lapse, OrderStatus, status_text

if TYPE_CHECKING:
    from mleg_tui.services.overview_types import OrderSet

# -- the order list (figure 11) -------------------------------------------------------------

SortKey = Literal["person", "album", "ordered_at", "status", "expiry", "error_code"]
# In the order of the list's columns: the service's sorts, the table's headers, the CLI's --sort.
SORT_KEYS: tuple[SortKey, ...] = get_args(SortKey)
# The columns' full names, as the sort picker lists them (the header may shorten them).
SORT_NAMES: dict[SortKey, str] = {"person": "Osoba", "album": "Nr albumu", "ordered_at": "Data zamówienia",
                                  "status": "Status", "expiry": "Data ważności", "error_code": "Kod błędu"}


@dataclass(frozen=True)
class OrderQuery:
    # What the lookup takes: words of a name (any part, folded, any order), the start of
    # an album number, a whole PESEL (that person's orders), an order reference or the
    # text of an order's QR code (that order).
    text: str = ""
    date_from: dt.date | None = None  # order date, inclusive, office time
    date_to: dt.date | None = None
    statuses: frozenset[OrderStatus] = field(default_factory=frozenset)
    error_code: str = ""  # the start of a code, any case
    error_code_whole: bool = False  # error_code is a whole code (one picked from the list)
    sort: SortKey = "ordered_at"
    descending: bool = True
    # A set the overview counted (services.overview_types.OrderSet), on top of the fields.
    set: OrderSet | None = None

    def describe(self) -> str:
        """The filter and sort in the clerk's words, for the access trace. A PESEL typed
        into the filter is masked: the trace is read by others."""
        parts = [f"zbiór z przeglądu: {self.set.label}"] if self.set is not None else []
        if self.text.strip():
            parts.append(f"tekst „{mask_in(self.text.strip())}”")
        if self.date_from:
            parts.append(f"zamówione od {pl_date(self.date_from)}")
        if self.date_to:
            parts.append(f"zamówione do {pl_date(self.date_to)}")
        if self.statuses:
            parts.append("status: " + ", ".join(s.label for s in sorted(self.statuses, key=lambda s: s.value)))
        if self.error_code.strip():
            code = self.error_code.strip().upper()
            parts.append(f"kod błędu „{code}”" if self.error_code_whole else f"kod błędu zaczynający się od „{code}”")
        head = "; ".join(parts) if parts else "wszystkie zamówienia"
        way = "malejąco" if self.descending else "rosnąco"
        return f"{head}; sortowanie: {SORT_NAMES[self.sort].lower()}, {way}"

    def as_json(self) -> dict[str, Any]:
        return {"text": mask_in(self.text), "date_from": iso(self.date_from), "date_to": iso(self.date_to),
                "statuses": sorted(s.value for s in self.statuses), "error_code": self.error_code,
                "error_code_whole": self.error_code_whole, "sort": self.sort, "descending": self.descending,
                "set": _set_json(self.set) if self.set is not None else None}


def _set_json(s: OrderSet) -> dict[str, Any]:
    return {"kind": s.kind, "as_of": iso(s.as_of), "status": s.status.value if s.status else None,
            "older_than_hours": s.older_than_hours, "younger_than_hours": s.younger_than_hours,
            "code": s.code, "action": s.action.value if s.action else None}


@dataclass(frozen=True)
class OrderRow:
    lp: int  # position in the whole filtered list, from 1
    id: int
    order_ref: str
    person_id: int
    person: str
    album: str
    ordered_at: dt.datetime  # office time
    status: OrderStatus
    expiry_date: dt.date
    error_code: str
    pending_action: str | None
    version: int
    key: tuple[Any, ...]  # the sort key, to page on from this row
    lapse: Lapse | None = None  # an expired card or expired codes (domain.status.lapse_of)

    def status_text(self, *, short: bool = False) -> str:
        """The Status column: the manual's word, marked when the card or its codes ran out."""
        return status_text(self.status, self.lapse, short=short)


def iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()
