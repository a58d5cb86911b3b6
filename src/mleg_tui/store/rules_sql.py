"""The eligibility rules (domain.eligibility.assess, domain.rules) as SQL conditions on a
person, so that the overview counts a million persons in the store, not in Python.

Each condition mirrors one reason of `assess` and is tested to agree with it person by
person (tests/services/test_rules_sql.py), on the demo store and on hand-built cases.
Whitespace: the domain strips a PESEL or album number of any whitespace at its ends, SQL's
trim() of spaces only (the importer strips every field, so only a hand-edited store could
tell them apart).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, exists, extract, func, literal, not_, or_, select
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

_ENTITLING = sorted(level.value for level in ENTITLING_LEVELS)
_IN_PROGRESS = sorted(s.value for s in IN_PROGRESS)
_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


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


def _blank(column: object) -> ColumnElement[bool]:
    c = col(column)
    return or_(c.is_(None), func.trim(c) == "")


def pesel_number(dialect: str) -> ColumnElement[int]:
    """The PESEL as a number when it is eleven ASCII digits, else NULL."""
    p = func.trim(col(Person.pesel))
    shaped = p.op("GLOB")("[0-9]" * 11) if dialect == "sqlite" else p.op("~")("^[0-9]{11}$")
    # Cast only once the text is known to be digits (a cast of anything else fails on PostgreSQL).
    return case((shaped, cast(p, BigInteger)), else_=None)


def pesel_valid_of(n: ColumnElement[int], born: ColumnElement[dt.date]) -> ColumnElement[bool]:
    """domain.pesel.check_pesel(pesel, birth_date).ok, of the PESEL as a number (pesel_number):
    a real birth date in it, the checksum, and the birth date the register gives, if any.
    Arithmetic on the number, no string functions: cheap per row."""

    def digits(at: int, width: int = 1) -> ColumnElement[int]:  # at: 1 is the first digit
        return (n // 10 ** (11 - at - width + 1)) % 10 ** width

    yy, mm, dd = digits(1, 2), digits(3, 2), digits(5, 2)
    month = mm % 20  # the month field adds 0, 20, 40, 60 or 80 for the century
    century = case({0: 1900, 20: 2000, 40: 2100, 60: 2200}, value=mm - month, else_=1800)
    year = century + yy
    leap = or_(and_(year % 4 == 0, year % 100 != 0), year % 400 == 0)
    days_in_month = case({2: case((leap, 29), else_=28), 4: 30, 6: 30, 9: 30, 11: 30}, value=month, else_=31)
    total = sum((w * digits(i + 1) for i, w in enumerate(_WEIGHTS)), start=literal(0))
    checksum = (10 - total % 10) % 10 == n % 10
    agrees = or_(born.is_(None), and_(extract("day", born) == dd, extract("month", born) == month,
                                      extract("year", born) == year))
    return and_(n.is_not(None), month >= 1, month <= 12, dd >= 1, or_(dd <= 28, dd <= days_in_month),
                checksum, agrees)


def reason_conditions(today: dt.date, rules: ValidityRules, dialect: str) -> dict[str, ColumnElement[bool]]:
    """Each reason of domain.eligibility.assess, as a condition on the person row."""
    in_progress = exists(select(col(Order.id)).where(col(Order.person_id) == col(Person.id),
                                                     col(Order.status).in_(_IN_PROGRESS)))
    horizon = today + dt.timedelta(days=rules.renewal_days)
    card_valid = exists(select(col(Order.id)).where(col(Order.person_id) == col(Person.id),
                                                    col(Order.status) == OrderStatus.ODEBRANA.value,
                                                    col(Order.expiry_date) > horizon))
    return {
        NO_PROGRAMME: not_(entitled(today, rules)),
        NO_PESEL: _blank(Person.pesel),
        BAD_PESEL: and_(not_(_blank(Person.pesel)),
                        not_(pesel_valid_of(pesel_number(dialect), col(Person.birth_date)))),  # type: ignore[arg-type]
        NO_PHOTO: not_(col(Person.has_photo)),
        NO_ALBUM: _blank(Person.album),
        ORDER_IN_PROGRESS: in_progress,
        CARD_VALID: card_valid,
    }


def person_reason_table(today: dt.date, rules: ValidityRules, dialect: str,
                        *where: ColumnElement[bool]) -> tuple[Any, dict[str, ColumnElement[bool]]]:
    """The persons of `where` with what each person reason needs read once per person (a
    materialized CTE: SQLite would otherwise repeat every expression at each use), and the
    reasons as conditions on its columns: reason_conditions' person reasons, for counting
    many persons at once."""
    conds = reason_conditions(today, rules, dialect)
    table = select(
        col(Person.id).label("id"),
        case((conds[NO_PROGRAMME], 1), else_=0).label("no_programme"),
        case((conds[NO_PESEL], 1), else_=0).label("no_pesel"),
        case((conds[NO_PHOTO], 1), else_=0).label("no_photo"),
        case((conds[NO_ALBUM], 1), else_=0).label("no_album"),
        pesel_number(dialect).label("n"),
        col(Person.birth_date).label("born"),
    ).where(*where).cte("persons").prefix_with("MATERIALIZED")
    c = table.c
    return table, {
        NO_PROGRAMME: c.no_programme == 1,
        NO_PESEL: c.no_pesel == 1,
        BAD_PESEL: and_(c.no_pesel == 0, not_(pesel_valid_of(c.n, c.born))),
        NO_PHOTO: c.no_photo == 1,
        NO_ALBUM: c.no_album == 1,
    }


# The reasons about the person (not about their orders), in assess's order.
PERSON_REASONS = (NO_PROGRAMME, NO_PESEL, BAD_PESEL, NO_PHOTO, NO_ALBUM)


def never_ordered() -> ColumnElement[bool]:
    return not_(exists(select(col(Order.id)).where(col(Order.person_id) == col(Person.id))))
