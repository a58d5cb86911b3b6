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
from mleg_tui.store.rules_sql import PERSON_REASONS, never_ordered, reason_conditions


def conditions(ctx: Context, s: StudentSet) -> list[ColumnElement[bool]]:
    """On the person row: the set's count and its pages by name."""
    reasons = reason_conditions(s.today or ctx.clock.today(), ctx.rules)
    if s.kind == "may_order":
        # Never ordered: neither an order in progress nor a card can stand in the way.
        which = and_(*(not_(reasons[r]) for r in PERSON_REASONS))
    else:
        which = reasons[s.reason] if s.reason else or_(*(reasons[r] for r in PERSON_REASONS))
    return [never_ordered(), which]


def count_students(ctx: Context, s: StudentSet) -> int:
    with reading(ctx.engine) as session:
        return int(session.execute(select(func.count()).select_from(Person).where(*conditions(ctx, s))).scalar_one())


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
