"""The administrator's overview (issue 13): where things stand and what needs action, each
figure with the query of the list it counts, so that the list opened from it shows exactly
that many rows.

A section at a time (`section`), so that a front end shows each as it comes; every section
is counted at one instant (`as_of`), the one its lines' sets carry. The counts of the radar
go through services.orders.count_orders with the line's own query: the list's way of
counting, not a second one. Per-day series count orders by the day they were placed, in
office time, as the list's date filter reads them (its UTC hours, so whole-hour offsets).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import col

from mleg_tui.domain.dates import pl_date
from mleg_tui.domain.events import PendingAction
from mleg_tui.domain.status import OrderStatus
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.order_sets import conditions, graduates_day
from mleg_tui.services.orders import _utc_midnight, count_orders, error_code_counts
from mleg_tui.services.overview_types import (
    CODES_SOON,
    SECTION_KEYS,
    SECTION_TITLES,
    STUCK_HOURS,
    FigureLine,
    OrderSet,
    Section,
    SectionKey,
    StudentSet,
    reason_words,
)
from mleg_tui.store import reading
from mleg_tui.store.models import Order
from mleg_tui.store.person_facts import REASON_BITS
from mleg_tui.store.rules_sql import PERSON_REASONS, never_ordered_tally

S = OrderStatus
AGE_STATUSES = (S.OCZEKUJE, S.W_TRAKCIE, S.DO_ODBIORU)
# (older than, at most) hours since the order was placed.
AGE_BUCKETS: tuple[tuple[int | None, int | None], ...] = ((None, 24), (24, 7 * 24), (7 * 24, None))
ERROR_DAYS = 30
DAILY_DAYS = (30, 90)


def overview(ctx: Context, now: dt.datetime | None = None) -> list[Section]:
    """Every section, counted at one instant."""
    at = now or ctx.clock.now()
    return [section(ctx, key, at) for key in SECTION_KEYS]


def section(ctx: Context, key: SectionKey, now: dt.datetime) -> Section:
    return _SECTIONS[key](ctx, now)


def _order_line(ctx: Context, label: str, q: OrderQuery, *, action: bool = False, note: str = "") -> FigureLine:
    return FigureLine(label, count_orders(ctx, q), q, note=note, action=action)


# -- what needs action --------------------------------------------------------------------

def _radar(ctx: Context, now: dt.datetime) -> Section:
    grad_day = graduates_day(ctx.clock.local(now).date(), ctx)

    def q(kind: str, **kw: object) -> OrderQuery:
        return OrderQuery(set=OrderSet(kind, as_of=now, **kw))  # type: ignore[arg-type]

    lines = [
        _order_line(ctx, f"Kody do odbioru wygasają w ciągu {CODES_SOON.days} dni", q("codes_expiring"), action=True),
        _order_line(ctx, "Kody do odbioru już wygasły (student anuluje i zamawia ponownie)",
                    q("codes_expired"), action=True),
        _order_line(ctx, f"Odebrane w oknie odnowienia ({ctx.rules.renewal_days} dni): można zamówić nową",
                    q("renewal"), action=True),
        _order_line(ctx, f"mLegitymacje absolwentów I stopnia kończące się {pl_date(grad_day)}",
                    q("graduate_end"), action=True),
        _order_line(ctx, f"W trakcie dłużej niż {STUCK_HOURS} h (od złożenia)",
                    q("age", status=S.W_TRAKCIE, older_than_hours=STUCK_HOURS), action=True),
        _order_line(ctx, "Unieważnienia czekające na potwierdzenie MC", q("pending", action=PendingAction.REVOKE),
                    action=True),
        _order_line(ctx, "Anulowania czekające na potwierdzenie MC", q("pending", action=PendingAction.CANCEL),
                    action=True),
    ]
    return Section("radar", SECTION_TITLES["radar"], tuple(lines))


def _students(ctx: Context, now: dt.datetime) -> Section:
    """One pass over the persons who never ordered (rules_sql.never_ordered_tally)."""
    today = ctx.clock.local(now).date()
    with reading(ctx.engine) as s:
        tally = s.execute(never_ordered_tally(today, ctx.rules)).all()
    total = sum(int(n) for _, _, n in tally)
    entitled = sum(int(e or 0) for _, e, _ in tally)
    may_not = total - sum(int(e or 0) for bits, e, _ in tally if bits == 0)
    by_reason = [total - entitled, *(sum(int(n) for bits, _, n in tally if bits & REASON_BITS[r])
                                     for r in PERSON_REASONS[1:])]
    lines = [FigureLine("Mogą zamówić, a nigdy nie zamawiali", total - may_not,
                        StudentSet("may_order", today=today), action=True),
             FigureLine("Nie mogą zamówić (jeden lub więcej powodów)", may_not, StudentSet("may_not", today=today))]
    # Without an entitling programme nobody need act (the sweep revokes what such a person holds).
    lines += [FigureLine(reason_words(r), n, StudentSet("may_not", r, today=today),
                         action=r != PERSON_REASONS[0], part=True) for r, n in zip(PERSON_REASONS, by_reason)]
    return Section("students", SECTION_TITLES["students"], tuple(lines),
                   note="osoba z kilkoma powodami liczy się przy każdym z nich")


# -- where things stand -----------------------------------------------------------------

def _statuses(ctx: Context, now: dt.datetime) -> Section:
    with reading(ctx.engine) as s:
        found = dict(s.execute(select(col(Order.status), func.count()).group_by(col(Order.status))).all())
    lines = [FigureLine("Wszystkie", sum(found.values()), OrderQuery())]
    lines += [FigureLine(st.label, int(found.get(st.value, 0)), OrderQuery(statuses=frozenset({st})))
              for st in OrderStatus]
    return Section("statuses", SECTION_TITLES["statuses"], tuple(lines))


def _age(ctx: Context, now: dt.datetime) -> Section:
    sets = [OrderSet("age", as_of=now, status=st, older_than_hours=lo, younger_than_hours=hi)
            for st in AGE_STATUSES for lo, hi in AGE_BUCKETS]
    with reading(ctx.engine) as s:
        # One pass through the status index: each bucket a sum of its own conditions.
        sums = [func.coalesce(func.sum(case((and_(*conditions(ctx, one)), 1), else_=0)), 0) for one in sets]
        row = s.execute(select(*sums).where(col(Order.status).in_([st.value for st in AGE_STATUSES]))).one()
    lines = [FigureLine(one.label, int(n), OrderQuery(set=one),
                        action=one.status is not S.DO_ODBIORU and one.older_than_hours is not None)
             for one, n in zip(sets, row)]
    return Section("age", SECTION_TITLES["age"], tuple(lines), note="wiek liczony od złożenia zamówienia")


# -- per day ------------------------------------------------------------------------------

def _days(ctx: Context, now: dt.datetime, n: int) -> tuple[dt.date, ...]:
    today = ctx.clock.local(now).date()
    return tuple(today - dt.timedelta(days=n - 1 - i) for i in range(n))


def _hour(ctx: Context) -> ColumnElement[object]:
    """The UTC hour an order was placed in, the column grouped by."""
    if ctx.engine.dialect.name == "sqlite":  # kept as text: 'YYYY-MM-DD HH:MM:SS'
        return func.substr(col(Order.ordered_at), 1, 13)
    return func.date_trunc("hour", col(Order.ordered_at))


def _local_day(ctx: Context, hour: object) -> dt.date:
    if isinstance(hour, str):
        t = dt.datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
    else:
        assert isinstance(hour, dt.datetime)
        t = hour if hour.tzinfo else hour.replace(tzinfo=dt.UTC)
    return ctx.clock.local(t).date()


def _per_day(ctx: Context, days: tuple[dt.date, ...], *conds: ColumnElement[bool],
             by: Any = None) -> dict[str, list[int]]:
    """Orders per day of `days` (and per value of `by`): {by's value, or "": counts, oldest first}."""
    index = {d: i for i, d in enumerate(days)}
    hour = _hour(ctx)
    start, end = _utc_midnight(ctx, days[0]), _utc_midnight(ctx, days[-1] + dt.timedelta(days=1))
    keys = [hour] if by is None else [hour, by]
    with reading(ctx.engine) as s:
        stmt = (select(func.count(), *keys).where(col(Order.ordered_at) >= start, col(Order.ordered_at) < end,
                                                  *conds).group_by(*keys))
        out: dict[str, list[int]] = {}
        for n, h, *value in s.execute(stmt):
            day = _local_day(ctx, h)
            if day in index:
                out.setdefault(value[0] if value else "", [0] * len(days))[index[day]] += int(n)
    return out


def _errors(ctx: Context, now: dt.datetime) -> Section:
    days = _days(ctx, now, ERROR_DAYS)
    # The order list's error-code picker on the failed orders: the same counts, one query.
    totals = error_code_counts(ctx, OrderQuery(set=OrderSet("error")), every_message=True)
    series = _per_day(ctx, days, col(Order.status) == S.BLAD.value, by=col(Order.error_code))
    lines = []
    for c in totals:
        note = f"MC: „{c.mc_message}” · {c.meaning}" if c.mc_message else c.meaning
        lines.append(FigureLine(c.code, c.count, OrderQuery(set=OrderSet("error", code=c.code)), note=note,
                                series=tuple(series.get(c.code, [0] * len(days))), action=True))
    recent = [sum(day) for day in zip(*series.values())] if series else [0] * len(days)
    lines.append(FigureLine(f"Wszystkie błędy z ostatnich {ERROR_DAYS} dni", sum(recent),
                            OrderQuery(date_from=days[0], date_to=days[-1], set=OrderSet("error")),
                            series=tuple(recent)))
    return Section("errors", SECTION_TITLES["errors"], tuple(lines), days=days,
                   note=f"wykresy: ostatnie {ERROR_DAYS} dni, według dnia złożenia zamówienia")


def _daily(ctx: Context, now: dt.datetime) -> Section:
    longest = _days(ctx, now, max(DAILY_DAYS))
    counts = _per_day(ctx, longest).get("", [0] * len(longest))
    lines = []
    for n in DAILY_DAYS:
        days, series = longest[-n:], tuple(counts[-n:])
        lines.append(FigureLine(f"Ostatnie {n} dni", sum(series), OrderQuery(date_from=days[0], date_to=days[-1]),
                                series=series))
    return Section("daily", SECTION_TITLES["daily"], tuple(lines), days=longest,
                   note="według dnia złożenia zamówienia")


_SECTIONS = {"radar": _radar, "students": _students, "statuses": _statuses, "age": _age,
             "errors": _errors, "daily": _daily}
assert tuple(_SECTIONS) == SECTION_KEYS


def lines_of(sections: list[Section]) -> Iterator[FigureLine]:
    for s in sections:
        yield from s.lines

