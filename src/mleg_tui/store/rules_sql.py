"""The eligibility rules (domain.eligibility.assess, domain.rules) as SQL conditions on a
person, so that the overview counts a million persons in the store, not in Python.

Each condition mirrors one reason of `assess` and is tested to agree with it person by
person (tests/services/test_overview.py), on the demo store and on hand-built cases. The
reasons about the person alone are not worked out here: the domain's own verdict is kept
on the row (store.person_facts); what depends on today (the programmes) is computed here.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, not_, or_, select
from sqlmodel import col

from mleg_tui.domain.eligibility import (
    BAD_PESEL,
    CARD_VALID,
    NO_ALBUM,
    NO_PESEL,
    NO_PHOTO,
    NO_PROGRAMME,
    ORDER_IN_PROGRESS,
)
from mleg_tui.domain.rules import ENTITLING_LEVELS, Level, ProgrammeStatus, ValidityRules, _on
from mleg_tui.domain.status import IN_PROGRESS, OrderStatus
from mleg_tui.store.models import Enrolment, Order, Person
from mleg_tui.store.person_facts import REASON_BITS

_ENTITLING = sorted(level.value for level in ENTITLING_LEVELS)
_IN_PROGRESS = sorted(s.value for s in IN_PROGRESS)


def graduate_year_from(today: dt.date, rules: ValidityRules) -> dt.date:
    """A 1st-cycle graduation on or after this day still gives the right today (domain.rules:
    until the graduates' day of the graduation year)."""
    year = today.year if today <= _on(today.year, rules.graduate_until) else today.year + 1
    return dt.date(year, 1, 1)


def effectively_active(today: dt.date) -> ColumnElement[bool]:
    """domain.rules.effective_status is ACTIVE: a graduation or strike-off dated in the
    future has not happened yet."""
    return or_(col(Enrolment.status) == ProgrammeStatus.ACTIVE.value,
               and_(col(Enrolment.status_date).is_not(None), col(Enrolment.status_date) > today))


def graduate_with_right(today: dt.date, rules: ValidityRules) -> ColumnElement[bool]:
    """A 1st-cycle graduation (it has happened) whose right lasts until today or later."""
    return and_(col(Enrolment.level) == Level.I.value,
                col(Enrolment.status) == ProgrammeStatus.GRADUATED.value,
                col(Enrolment.status_date) <= today,
                col(Enrolment.status_date) >= graduate_year_from(today, rules))


def _enrolment(person_id: Any, *conds: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(select(col(Enrolment.id)).where(col(Enrolment.person_id) == person_id, *conds))


def entitled(today: dt.date, rules: ValidityRules, person_id: Any = Person.id) -> ColumnElement[bool]:
    """Some programme entitles the person (domain.rules.planned_expiry is not None); the
    person is `person_id`'s (a person's id, or an order's person)."""
    return _enrolment(col(person_id), col(Enrolment.level).in_(_ENTITLING),
                      or_(effectively_active(today), graduate_with_right(today, rules)))


def graduate_standing(today: dt.date, rules: ValidityRules, person_id: Any = Person.id) -> ColumnElement[bool]:
    """domain.rules.standing is GRADUATE: no programme active, a 1st-cycle graduate's right left."""
    pid = col(person_id)
    return and_(not_(_enrolment(pid, col(Enrolment.level).in_(_ENTITLING), effectively_active(today))),
                _enrolment(pid, graduate_with_right(today, rules)))


def _kept(code: str) -> ColumnElement[bool]:
    """A reason about the person alone, as the store keeps it (person_facts.blocked_by)."""
    return col(Person.blocked_by).bitwise_and(REASON_BITS[code]) != 0


def reason_conditions(today: dt.date, rules: ValidityRules) -> dict[str, ColumnElement[bool]]:
    """Each reason of domain.eligibility.assess, as a condition on the person row."""
    in_progress = exists(select(col(Order.id)).where(col(Order.person_id) == col(Person.id),
                                                     col(Order.status).in_(_IN_PROGRESS)))
    horizon = today + dt.timedelta(days=rules.renewal_days)
    card_valid = exists(select(col(Order.id)).where(col(Order.person_id) == col(Person.id),
                                                    col(Order.status) == OrderStatus.ODEBRANA.value,
                                                    col(Order.expiry_date) > horizon))
    return {
        NO_PROGRAMME: not_(entitled(today, rules)),
        **{code: _kept(code) for code in REASON_BITS},
        ORDER_IN_PROGRESS: in_progress,
        CARD_VALID: card_valid,
    }


def never_ordered_tally(today: dt.date, rules: ValidityRules) -> Select[int, Any, int]:
    """Of the persons who never ordered, by the reasons about them alone (blocked_by): how
    many have a programme entitling them today, and how many they are. One pass through
    ix_person_never_ordered; the overview's student figures are sums of these rows."""
    return (select(col(Person.blocked_by), func.sum(case((entitled(today, rules), 1), else_=0)), func.count())
            .where(never_ordered()).group_by(col(Person.blocked_by)))


# The reasons about the person (not about their orders), in assess's order.
PERSON_REASONS = (NO_PROGRAMME, NO_PESEL, BAD_PESEL, NO_PHOTO, NO_ALBUM)


def never_ordered() -> ColumnElement[bool]:
    """No order of the person is stored (person_facts keeps has_ordered; the term is the
    one ix_person_never_ordered is built over)."""
    return col(Person.has_ordered) == false()
