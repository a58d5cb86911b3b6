"""Students the overview counts who have never ordered (those who may order now, and those
who may not, by reason) as a list: the same conditions for its count and its rows."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, tuple_
from sqlmodel import col

from mleg_tui.services.context import Context
from mleg_tui.services.overview_types import StudentSet
from mleg_tui.services.types import StudentMatch
from mleg_tui.store import reading
from mleg_tui.store.models import Person
from mleg_tui.store.rules_sql import PERSON_REASONS, never_ordered, person_reason_table, reason_conditions


def conditions(ctx: Context, s: StudentSet) -> list[ColumnElement[bool]]:
    """On the person row: for reading a page of them by name."""
    today = s.today or ctx.clock.today()
    return [never_ordered(), _which(s, reason_conditions(today, ctx.rules, ctx.engine.dialect.name))]


def _which(s: StudentSet, reasons: dict[str, ColumnElement[bool]]) -> ColumnElement[bool]:
    if s.kind == "may_order":
        # Never ordered: neither an order in progress nor a card can stand in the way.
        return and_(*(not_(reasons[r]) for r in PERSON_REASONS))
    if s.reason:
        return reasons[s.reason]
    return or_(*(reasons[r] for r in PERSON_REASONS))


def count_students(ctx: Context, s: StudentSet) -> int:
    """As the overview counts them: each person's facts read once (rules_sql.person_reason_table)."""
    today = s.today or ctx.clock.today()
    table, reasons = person_reason_table(today, ctx.rules, ctx.engine.dialect.name, never_ordered())
    with reading(ctx.engine) as session:
        stmt = select(func.count()).select_from(table).where(_which(s, reasons))
        return int(session.execute(stmt).scalar_one())


def find_students_in(ctx: Context, s: StudentSet, *, limit: int = 100,
                     after: tuple[Any, ...] | None = None) -> tuple[list[StudentMatch], tuple[Any, ...] | None]:
    """One page of the set by name (surname first), from after the key of the last row
    shown; and the key to read on from (None: that was the last page)."""
    from mleg_tui.services.students import matches_of

    key = (col(Person.name_key), col(Person.id))
    with reading(ctx.engine) as session:
        stmt = select(*key).where(*conditions(ctx, s))
        if after is not None:
            stmt = stmt.where(tuple_(*key) > tuple_(*after))
        rows = session.execute(stmt.order_by(*key).limit(limit)).all()
        found = matches_of(session, [r[1] for r in rows])
    return found, (tuple(rows[-1]) if len(rows) == limit else None)
