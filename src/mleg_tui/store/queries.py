"""What several use cases ask of the store, written once: conditions on orders, and a
person with their programmes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from mleg_tui.domain.rules import Level, Programme, ProgrammeStatus
from mleg_tui.domain.status import LIVE, OrderStatus
from mleg_tui.errors import NotFound
from mleg_tui.store.models import Enrolment, Order, Person

_LIVE = sorted(s.value for s in LIVE)  # one order, so one SQL text


def live() -> ColumnElement[bool]:
    """The order has not ended (domain.status.LIVE)."""
    return col(Order.status).in_(_LIVE)


def card_in_use(today: dt.date) -> ColumnElement[bool]:
    """Not a picked-up card past its expiry (domain.status.lapse_of's rule, in SQL): such
    a card is out, with nothing left to read from MC and nothing to cancel or revoke."""
    return or_(col(Order.status) != OrderStatus.ODEBRANA.value, col(Order.expiry_date) >= today)


def pending() -> ColumnElement[bool]:
    """A revocation or cancellation waits for MC's confirmation."""
    return col(Order.pending_action).is_not(None)


def not_pending() -> ColumnElement[bool]:
    return col(Order.pending_action).is_(None)


def find_person(session: Session, album: str | None = None, person_id: int | None = None) -> Person:
    """By id, else by album number; NotFound says which was missing."""
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound(f"Nie ma osoby o identyfikatorze {person_id}.")
        return person
    wanted = (album or "").strip()
    if not wanted:
        raise NotFound("Podaj numer albumu.")
    found = session.exec(select(Person).where(Person.album == wanted)).first()
    if found is None:
        raise NotFound(f"Nie ma studenta o numerze albumu {wanted}.")
    return found


def programmes_of(session: Session, person_id: int) -> list[Programme]:
    """The person's programmes as the rules read them, in the order they were imported."""
    rows = session.exec(
        select(Enrolment).where(Enrolment.person_id == person_id).order_by(col(Enrolment.id))
    ).all()
    return [
        Programme(
            code=e.programme_code,
            name=e.programme_name,
            level=Level(e.level),
            status=ProgrammeStatus(e.status),
            status_date=e.status_date,
            planned_end=e.planned_end_date,
        )
        for e in rows
    ]
