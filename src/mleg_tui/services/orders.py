"""The order list of figure 11: filter, sort, one window of rows, and the count apart."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, tuple_
from sqlmodel import Session, col

from mleg_tui.domain.mc_errors import MC_ERROR_CODES, mc_error
from mleg_tui.domain.names import fold
from mleg_tui.domain.pesel import pesel_shaped
from mleg_tui.domain.status import OrderStatus, lapse_of
from mleg_tui.services.context import Context
from mleg_tui.services.interrupt import Interrupt, interruptible
from mleg_tui.services.list_types import SORT_KEYS, OrderQuery, OrderRow, SortKey
from mleg_tui.services.types import ErrorCodeCount
from mleg_tui.store import identify, reading, search
from mleg_tui.store.models import Order, Person

# Each sort is a tuple of columns ending in the id, so every row has a unique key
# and the next window starts right after the last row seen (keyset paging).
SORT_COLUMNS: dict[SortKey, tuple[Any, ...]] = {
    "person": (Order.name_key, Order.id),
    "album": (Order.album, Order.id),
    "ordered_at": (Order.ordered_at, Order.id),
    "status": (Order.status, Order.ordered_at, Order.id),
    "expiry": (Order.expiry_date, Order.id),
    "error_code": (Order.error_code, Order.id),
}
assert tuple(SORT_COLUMNS) == SORT_KEYS  # one sort per key the front ends offer

# Below this many matching persons their ids go into the query as a list, so the store
# reads their orders by person and sorts a few rows. Above it matches are common, and
# walking the sort index testing each row's name finds a window of them at once.
FEW_PERSONS = 2000


def _conditions(ctx: Context, s: Session, q: OrderQuery, *, counting: bool = False) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    typed = q.text.split()
    if len(typed) > 1 or (typed and not _has_digit(typed[0])):
        # The whole text may be one order's reference or QR text (a QR text may hold
        # spaces, or no digit): that order. A single word with a digit is asked below.
        named = s.execute(identify.orders_named_by(" ".join(typed))).scalars().all()
        if named:
            conds.append(col(Order.id).in_(named))
            typed = []
    conds.extend(_numbered(s, w) for w in typed if _has_digit(w))
    names = fold(" ".join(w for w in typed if not _has_digit(w))).split()
    indexed = [w for w in names if len(w) >= search.MIN_WORD]
    dense = [w for w in names if len(w) < search.MIN_WORD]  # no trigram: test each row
    if indexed:
        persons = search.person_ids(ctx.engine.dialect.name, indexed)
        # One search, no further than one past the threshold (not a count, then the ids:
        # a trigram search of two words costs tens of ms at a million persons).
        ids = s.execute(persons.limit(FEW_PERSONS + 1)).scalars().all()  # one fetch, not per row
        if len(ids) <= FEW_PERSONS:
            conds.append(col(Order.person_id).in_(ids) if ids else false())
        elif counting:
            conds.append(col(Order.person_id).in_(persons))
        else:
            dense += indexed
    conds.extend(_name_like(w) for w in dense)
    if q.date_from:
        conds.append(col(Order.ordered_at) >= _utc_midnight(ctx, q.date_from))
    if q.date_to:
        conds.append(col(Order.ordered_at) < _utc_midnight(ctx, q.date_to + dt.timedelta(days=1)))
    if q.statuses:
        conds.append(col(Order.status).in_(sorted(s_.value for s_ in q.statuses)))
    code = q.error_code.strip().upper()  # codes are kept upper-case (services.mc_answers)
    if code and q.error_code_whole:
        conds.append(col(Order.error_code) == code)
    elif code and counting:  # a prefix: "PESEL" finds PESEL_MISMATCH
        conds.append(search.starting_exactly(col(Order.error_code), code))
    elif code:
        # For a window, the whole codes it stands for (a few, read from the code's index):
        # one code's rows come through ix_orders_error_at in the list's order, newest
        # first, where a range of codes would have every row read and sorted.
        starting = search.starting_exactly(col(Order.error_code), code)
        codes = s.execute(select(col(Order.error_code)).where(starting).distinct()).scalars().all()
        conds.append(col(Order.error_code).in_(sorted(codes)) if codes else false())
    if q.set is not None:  # a set the overview counted, with the same conditions
        from mleg_tui.services.order_sets import conditions

        conds.extend(conditions(ctx, q.set))
    return conds


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def _numbered(s: Session, word: str) -> ColumnElement[bool]:
    """A word with a digit: the start of an album number, or a whole PESEL (that person's
    orders), order reference or QR text (that order); each through an index."""
    album = word.lower()
    column = col(Order.album) if album.isdigit() else func.lower(col(Order.album))
    either = [search.starting_with(column, album)]
    if pesel_shaped(word):
        persons = s.execute(identify.persons_of_pesel(word)).scalars().all()
        if persons:
            either.append(col(Order.person_id).in_(persons))
    if not word.isdigit():
        orders = s.execute(identify.orders_named_by(word)).scalars().all()
        if orders:
            either.append(col(Order.id).in_(orders))
    return or_(*either)


def _name_like(word: str) -> ColumnElement[bool]:
    """On the order's own copy of the folded name: no join, no other table."""
    return col(Order.name_key).like(f"%{search.like_escaped(word)}%", escape="\\")


def _utc_midnight(ctx: Context, day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), ctx.clock.tz)
    return local.astimezone(dt.UTC)


def find_orders(
    ctx: Context,
    q: OrderQuery,
    *,
    limit: int = 40,
    offset: int = 0,
    after: tuple[Any, ...] | None = None,
    after_lp: int = 0,
    before: tuple[Any, ...] | None = None,
    before_lp: int = 0,
    total: int | None = None,
    interrupt: Interrupt | None = None,
) -> list[OrderRow]:
    """One window of rows in list order.

    `after`/`before` take the key of a row already shown (and its lp) and read on from
    there through the index. `offset` is a jump (End, a scrollbar drag): the key at that
    place is found in the sort index alone, then rows are read on from it; given the
    `total`, a place past the middle is counted from the end, so End costs nothing.
    `interrupt` stops the read (services.interrupt): a newer list made it pointless.
    """
    cols = SORT_COLUMNS[q.sort]
    with reading(ctx.engine) as s, interruptible(s, interrupt):
        conds = _conditions(ctx, s, q)

        def window(desc: bool, anchor: tuple[Any, ...] | None = None, skip: int = 0,
                   inclusive: bool = False, size: int = limit) -> list[tuple[Order, str, str]]:
            order = [c.desc() if desc else c.asc() for c in cols]
            if skip:
                found = s.execute(select(*cols).where(*conds).order_by(*order).offset(skip).limit(1)).first()
                if found is None:
                    return []
                anchor, inclusive = tuple(found), True
            stmt = (select(Order, col(Person.first_name), col(Person.last_name))
                    .join(Person, col(Person.id) == col(Order.person_id)).where(*conds))
            if anchor is not None:
                key, at = tuple_(*cols), tuple_(*anchor)
                if desc:
                    stmt = stmt.where(key <= at if inclusive else key < at)
                else:
                    stmt = stmt.where(key >= at if inclusive else key > at)
            return [tuple(r) for r in s.execute(stmt.order_by(*order).limit(size))]

        if before is not None:
            rows = window(not q.descending, before)[::-1]
            first_lp = before_lp - len(rows)
        elif after is not None:
            rows, first_lp = window(q.descending, after), after_lp + 1
        elif offset and total is not None and total // 2 < offset < total:
            size = min(limit, total - offset)
            rows = window(not q.descending, skip=total - offset - size, size=size)[::-1]
            first_lp = offset + 1
        else:
            rows, first_lp = window(q.descending, skip=offset), offset + 1
    today, now = ctx.clock.today(), ctx.clock.now()
    return [_row(ctx, first_lp + i, o, fn, ln, cols, today, now) for i, (o, fn, ln) in enumerate(rows)]


def _row(ctx: Context, lp: int, o: Order, first: str, last: str, cols: tuple[Any, ...],
         today: dt.date, now: dt.datetime) -> OrderRow:
    status = OrderStatus(o.status)
    return OrderRow(
        lp=lp,
        id=o.id or 0,
        order_ref=o.order_ref,
        person_id=o.person_id,
        person=f"{first} {last}",
        album=o.album,
        ordered_at=ctx.clock.local(o.ordered_at),
        status=status,
        expiry_date=o.expiry_date,
        error_code=o.error_code,
        pending_action=o.pending_action,
        version=o.version,
        key=tuple(getattr(o, c.key) for c in cols),
        lapse=lapse_of(status, o.expiry_date, o.codes_valid_until, today, now),
    )


def count_orders(ctx: Context, q: OrderQuery, *, interrupt: Interrupt | None = None) -> int:
    with reading(ctx.engine) as s, interruptible(s, interrupt):
        stmt = select(func.count()).select_from(Order).where(*_conditions(ctx, s, q, counting=True))
        return int(s.execute(stmt).scalar_one())


def error_code_counts(ctx: Context, q: OrderQuery, *, every_message: bool = False) -> list[ErrorCodeCount]:
    """The error codes on the orders the filter `q` shows, its code field aside, each with
    the number of rows the list shows when that code is picked (q with it as a whole code);
    the most frequent first. One GROUP BY on ix_orders_error, over the orders that have a
    code only; then MC's message on the newest order of each code this program does not
    know (of every code: `every_message`, as the overview's errors by code show it; the
    overview's figures are this call on the failed orders, OrderSet("error"))."""
    with reading(ctx.engine) as s:
        conds = _conditions(ctx, s, replace(q, error_code="", error_code_whole=False), counting=True)
        code = col(Order.error_code)
        counted = s.execute(select(code, func.count()).where(code > "", *conds).group_by(code)).all()
        found = []
        for name, n in sorted(counted, key=lambda r: (-r[1], r[0])):
            known = name in MC_ERROR_CODES
            message = None if known and not every_message else s.execute(
                select(col(Order.error_message)).where(code == name, *conds)
                .order_by(col(Order.id).desc()).limit(1)).scalar()  # the newest, as the overview says
            found.append(ErrorCodeCount(name, int(n), mc_error(name).meaning, known, message or None))
    return found


def matching_ids(ctx: Context, q: OrderQuery, ids: list[int]) -> set[int]:
    """Which of these orders the filter shows (marks hidden by a filter are the rest)."""
    if not ids:
        return set()
    with reading(ctx.engine) as s:
        stmt = select(col(Order.id)).where(col(Order.id).in_(ids), *_conditions(ctx, s, q))
        return set(s.execute(stmt).scalars())


def iter_orders(ctx: Context, q: OrderQuery, *, chunk: int = 1000):  # type: ignore[no-untyped-def]
    """Every matching row, read a window at a time (for exports: memory stays flat)."""
    after: tuple[Any, ...] | None = None
    lp = 0
    while True:
        rows = find_orders(ctx, q, limit=chunk, after=after, after_lp=lp)
        yield from rows
        if len(rows) < chunk:
            return
        after, lp = rows[-1].key, rows[-1].lp

