"""What a typed text names exactly: an album number, a PESEL, an order reference, the text
of an order's QR code. Each is one equality on an index (ux_person_album, ix_person_pesel,
ux_orders_ref, ix_orders_qr): instant at a million orders, never a scan."""
from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, Select, select, union
from sqlmodel import col

from mleg_tui.domain.pesel import pesel_shaped
from mleg_tui.store.models import Order, Person

QR_AT_MOST = 512  # characters of a QR code's text (MC-API.md)


def persons_named_by(text: str) -> CompoundSelect[Any]:
    """The ids of the persons `text` names exactly: their album number, their PESEL, the
    reference or the QR text of one of their orders."""
    t = text.strip()
    branches: list[Select[Any]] = [
        select(col(Person.id)).where(col(Person.album) == t),
        select(col(Order.person_id)).where(col(Order.order_ref) == t.upper()),
    ]
    if pesel_shaped(t):
        branches.append(select(col(Person.id)).where(col(Person.pesel) == t))
    if len(t) <= QR_AT_MOST:
        branches.append(select(col(Order.person_id)).where(col(Order.qr_code) == t))
    return union(*branches)


def persons_of_pesel(pesel: str) -> Select[Any]:
    return select(col(Person.id)).where(col(Person.pesel) == pesel)


def orders_named_by(word: str) -> CompoundSelect[Any]:
    """The ids of the orders whose reference (any case) or QR text `word` is."""
    return union(select(col(Order.id)).where(col(Order.order_ref) == word.upper()),
                 select(col(Order.id)).where(col(Order.qr_code) == word))
