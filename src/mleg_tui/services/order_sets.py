"""The overview's named sets as conditions on orders: one definition for the overview's
count and for the order list (services.orders) it opens, so the two always agree."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import col

from mleg_tui.domain.rules import _on
from mleg_tui.domain.status import LIVE, OrderStatus
from mleg_tui.services.context import Context
from mleg_tui.services.overview_types import CODES_SOON, OrderSet
from mleg_tui.store.models import Enrolment, Order
from mleg_tui.store.queries import card_in_use, live, pending
from mleg_tui.store.rules_sql import graduate_standing, graduate_with_right

_LIVE = sorted(s.value for s in LIVE)

S = OrderStatus


def as_of(ctx: Context, s: OrderSet | None = None) -> tuple[dt.datetime, dt.date]:
    """The instant a set is counted at (its own, else now) and that day in office time."""
    now = s.as_of if s is not None and s.as_of is not None else ctx.clock.now()
    return now, ctx.clock.local(now).date()


def graduates_day(today: dt.date, ctx: Context) -> dt.date:
    """The day this year's 1st-cycle graduates lose the right (31 October by default)."""
    return _on(today.year, ctx.rules.graduate_until)


def _unindexed(column: Any) -> Any:
    """The column's value, through no index: a test of each row the other conditions found
    (without statistics the planner would walk this column's index instead, here far longer)."""
    return func.coalesce(column, column)


def conditions(ctx: Context, s: OrderSet) -> list[ColumnElement[bool]]:
    now, today = as_of(ctx, s)
    status = col(Order.status)
    if s.kind == "age":
        conds = [status == s.status.value] if s.status else [live()]
        if s.older_than_hours is not None:
            conds.append(col(Order.ordered_at) < now - dt.timedelta(hours=s.older_than_hours))
        if s.younger_than_hours is not None:
            conds.append(col(Order.ordered_at) >= now - dt.timedelta(hours=s.younger_than_hours))
        return conds
    if s.kind == "error":  # a code is written only with Błąd, a final status (services.mc_answers)
        failed = status == S.BLAD.value
        return [failed, col(Order.error_code) == s.code] if s.code else [failed]
    if s.kind == "codes_expiring":
        return [status == S.DO_ODBIORU.value, col(Order.codes_valid_until) >= now,
                col(Order.codes_valid_until) < now + CODES_SOON]
    if s.kind == "codes_expired":
        return [status == S.DO_ODBIORU.value, col(Order.codes_valid_until) < now]
    if s.kind == "renewal":  # domain.eligibility.assess: such a card no longer blocks a new order
        return [_unindexed(status) == S.ODEBRANA.value, col(Order.expiry_date) >= today,
                col(Order.expiry_date) <= today + dt.timedelta(days=ctx.rules.renewal_days)]
    if s.kind == "graduate_end":
        # From the graduates (few) to their orders; the day alone would read every summer card.
        graduates = select(col(Enrolment.person_id)).where(graduate_with_right(today, ctx.rules))
        return [col(Order.person_id).in_(graduates), _unindexed(status).in_(_LIVE),
                card_in_use(today), _unindexed(col(Order.expiry_date)) == graduates_day(today, ctx),
                graduate_standing(today, ctx.rules, Order.person_id)]
    if s.kind == "pending":
        return [col(Order.pending_action) == s.action.value] if s.action else [pending()]
    raise ValueError(f"unknown order set {s.kind!r}")
