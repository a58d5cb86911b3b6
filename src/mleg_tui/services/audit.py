"""Who did what (RODO accountability): the event log and the exports of personal data in
bulk (the access trace, services.access), newest first in one list, filtered by login,
action, dates and student, a page at a time.

An export is of a list, never of one student: a student filter shows that student's
order events only; the action "eksport" (AccessAction.EXPORT) shows the exports only, any
other action none of them. A page merges the two streams: each read a page at a time in
its own index order from the last line's key (when, stream, id), the newest `limit` kept.

"When" is the real time an event was written (recorded_at, schema 5), or its business
time for the events that have none (older stores, the demo's generated histories): one
expression, store.models.EVENT_WHEN, with indexes of its own (v8) alone, by login and by
action, so a page is an index range at a million orders whatever the filter.
"""
from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select, tuple_
from sqlmodel import col

from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.pesel import mask_in
from mleg_tui.domain.status import OrderStatus
from mleg_tui.errors import UserError
from mleg_tui.services.access import access_records
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.report_types import EVENT_LINE, EXPORT_LINE, AuditLine, AuditQuery
from mleg_tui.services.types import EventView, ExportOptions, ExportProgress, ExportResult
from mleg_tui.store import reading
from mleg_tui.store.models import EVENT_WHEN, Order, OrderEvent, Person

if TYPE_CHECKING:
    from mleg_tui.services.export import Value

PAGE = 100
STUDENTS_AT_MOST = 200  # persons a --student text may name (a common surname)


def _utc_midnight(ctx: Context, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ctx.clock.tz).astimezone(dt.UTC)


def check(q: AuditQuery) -> None:
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise UserError("Data „od” jest późniejsza niż data „do”.")


def _conditions(ctx: Context, s: Any, q: AuditQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if q.login.strip():
        conds.append(col(OrderEvent.actor) == q.login.strip())
    if isinstance(q.action, Action):
        conds.append(col(OrderEvent.action) == q.action.value)
    if q.date_from:
        conds.append(EVENT_WHEN >= _utc_midnight(ctx, q.date_from))
    if q.date_to:
        conds.append(EVENT_WHEN < _utc_midnight(ctx, q.date_to + dt.timedelta(days=1)))
    if q.student.strip():
        from mleg_tui.services.students import find_students

        persons = [m.person_id for m in find_students(ctx, q.student, limit=STUDENTS_AT_MOST)]
        if not persons:
            raise UserError(f"Nie znaleziono studenta „{mask_in(q.student.strip())}”: podaj numer albumu, "
                            "imię i nazwisko, PESEL albo numer zamówienia.")
        orders = select(col(Order.id)).where(col(Order.person_id).in_(persons))
        conds.append(col(OrderEvent.order_id).in_(list(s.execute(orders).scalars())))
    return conds


def find_events(ctx: Context, q: AuditQuery, *, limit: int = PAGE,
                after: tuple[dt.datetime, int, int] | None = None) -> list[AuditLine]:
    """A page of the audit, newest first: the order events and the exports (the access
    trace) the filter selects, merged by the real time; `after`: the key of the last line
    shown. Each stream is read a page at a time in its index order, never sorted whole."""
    ctx.require(Permission.AUDIT)
    check(q)
    events = _event_page(ctx, q, limit, after) if q.events else []
    exports = _export_page(ctx, q, limit, after) if q.exports else []
    return sorted(events + exports, key=lambda a: a.key, reverse=True)[:limit]


def _event_page(ctx: Context, q: AuditQuery, limit: int,
                after: tuple[dt.datetime, int, int] | None) -> list[AuditLine]:
    with reading(ctx.engine) as s:
        conds = _conditions(ctx, s, q)
        if after is not None:
            when, kind, last = after
            if kind == EVENT_LINE:
                conds.append(tuple_(EVENT_WHEN, col(OrderEvent.id)) < tuple_(when, last))
            else:  # an export was last: the events of its instant come after it
                conds.append(EVENT_WHEN <= when)
        stmt = (select(OrderEvent, EVENT_WHEN, col(Order.order_ref), col(Order.album),
                       col(Person.first_name), col(Person.last_name))
                .join(Order, col(Order.id) == col(OrderEvent.order_id))
                .join(Person, col(Person.id) == col(Order.person_id))
                .where(*conds).order_by(EVENT_WHEN.desc(), col(OrderEvent.id).desc()).limit(limit))
        rows = s.execute(stmt).all()
    return [_line(ctx, *r) for r in rows]


def _export_page(ctx: Context, q: AuditQuery, limit: int,
                 after: tuple[dt.datetime, int, int] | None) -> list[AuditLine]:
    until = _utc_midnight(ctx, q.date_to + dt.timedelta(days=1)) if q.date_to else None
    keyset = None
    if after is not None:
        when, kind, last = after
        if kind == EXPORT_LINE:
            keyset = (when, last)
        else:  # an event was last: the exports of its instant came before it
            until = min(until, when) if until else when
    found = access_records(ctx, login=q.login.strip() or None, until=until, limit=limit, after=keyset,
                           since=_utc_midnight(ctx, q.date_from) if q.date_from else None)
    return [AuditLine.of_export(a) for a in found]


def iter_events(ctx: Context, q: AuditQuery) -> Iterator[AuditLine]:
    """Every line of the filtered log, newest first, a page at a time (memory stays flat)."""
    after = None
    while True:
        page = find_events(ctx, q, limit=1000, after=after)
        yield from page
        if len(page) < 1000:
            return
        after = page[-1].key


def _line(ctx: Context, e: OrderEvent, when: dt.datetime, ref: str, album: str, first: str, last: str) -> AuditLine:
    local = ctx.clock.local
    view = EventView(at=local(e.at), action=Action(e.action),
                     old_status=OrderStatus(e.old_status) if e.old_status else None,
                     new_status=OrderStatus(e.new_status) if e.new_status else None,
                     actor_kind=Actor(e.actor_kind), actor=e.actor, reason=e.reason,
                     recorded_at=local(e.recorded_at) if e.recorded_at else None)
    return AuditLine(event_id=e.id or 0, event=view, order_id=e.order_id, order_ref=ref,
                     person=f"{first} {last}", album=album, key=(when, EVENT_LINE, e.id or 0))


# -- export (services.export: streamed, traced, a spreadsheet's CSV) ---------------------------

def export_audit(ctx: Context, q: AuditQuery, target: Path | IO[bytes], options: ExportOptions, *,
                 via: str, limit: int = 0, progress: Callable[[ExportProgress], None] | None = None,
                 cancel: threading.Event | None = None) -> ExportResult:
    """The filtered log (all of it, or the newest `limit` lines) to a file or a stream;
    traced as every export of personal data in bulk is (services.access)."""
    from mleg_tui.domain.events import ExportedList
    from mleg_tui.services.export import Column, ExportTable, export_table

    ctx.require(Permission.AUDIT)
    check(q)
    lines: Iterator[AuditLine] = iter_events(ctx, q)
    if limit > 0:
        lines = itertools.islice(lines, limit)
    columns = (Column("kiedy", "when"), Column("czas_zapisu", "real_time"), Column("czas_zdarzenia", "at"),
               Column("kto", "who"), Column("rodzaj", "actor_kind"), Column("login", "actor"),
               Column("czynnosc", "action_label"), Column("kod_czynnosci", "action"),
               Column("status_przed", "old_status"), Column("status_po", "new_status"),
               Column("nr_zamowienia", "order_ref"), Column("osoba", "person"), Column("nr_albumu", "album"),
               Column("powod", "reason"), Column("eksport_wierszy", "export_rows"),
               Column("eksport_pelne_pesel", "export_pesel_unmasked"), Column("eksport_filtr", "export_filter"),
               Column("eksport_plik", "export_destination"))
    rows = (_export_row(a) for a in lines)
    text = q.describe() + (f"; najnowsze {limit}" if limit > 0 else "")
    table = ExportTable(ExportedList.AUDIT, columns, rows, limit, text, {**q.as_json(), "limit": limit or None})
    return export_table(ctx, table, target, options, via=via, progress=progress, cancel=cancel)


def _export_row(a: AuditLine) -> tuple[Value, ...]:
    """One line in export_audit's columns: an order event, or an export with its own four."""
    if a.access is not None:
        x = a.access
        return (a.when, True, None, x.login, x.actor_kind.value, x.login, a.what(), a.action_code,
                None, None, None, None, None, None, x.rows, x.pesel_unmasked, x.filter_text, x.destination)
    e = a.event
    assert e is not None
    return (a.when, a.real_time, e.at, e.who, e.actor_kind.value, e.actor, e.action.label, e.action.value,
            e.old_status.value if e.old_status else None, e.new_status.value if e.new_status else None,
            a.order_ref, a.person, a.album or None, e.reason, None, None, None, None)
