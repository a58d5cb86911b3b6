"""Who did what (issue 13, RODO accountability): the event log filtered by login, action,
dates and student; each line who, when (the real time of writing, or the business time
said as such), what, on which order and why; an administrator's view; a page at a time
through indexes."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from mleg_tui.domain.events import AccessAction, Action, parse_audit_action
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.errors import UserError
from mleg_tui.services import actions
from mleg_tui.services.audit import find_events, iter_events
from mleg_tui.services.context import Context, Forbidden
from mleg_tui.services.export import export_orders
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.report_types import AuditQuery
from mleg_tui.services.types import ExportOptions
from support.register import enrolment
from support.stores import store_sql

PESEL = make_pesel(dt.date(2003, 5, 17), 123, True)


@pytest.fixture
def office(ctx: Context, make_ctx, add_students) -> dict[str, Context]:  # type: ignore[no-untyped-def]
    """Three students; anna revokes one order, ola cancels another on a student's behalf."""
    add_students(enrolment("P1", "100001", "Karolina", "Bachta", pesel=PESEL),
                 enrolment("P2", "100002", "Jan", "Wójcik", birth_date="2002-01-02"),
                 enrolment("P3", "100003", "Ewa", "Zając", birth_date="2001-03-04"))
    anna, ola = make_ctx(login="anna"), make_ctx(login="ola")
    for n in ("100001", "100002", "100003"):
        actions.place_order(ola, n)
    actions.revoke_student(anna, "100001", "skreślenie z listy studentów")
    actions.cancel_order(ola, "100002", reason="nowy telefon")
    return {"anna": anna, "ola": ola}


def lines(ctx: Context, **q: Any) -> list[tuple[str, str, str, str | None]]:
    return [(a.event.actor, a.event.action.value, a.album, a.event.reason)
            for a in find_events(ctx, AuditQuery(**q))]


def test_each_line_says_who_when_what_on_which_order_and_why(ctx: Context, office) -> None:  # type: ignore[no-untyped-def]
    every = find_events(ctx, AuditQuery())
    assert [(a.event.actor, a.event.action.value, a.album) for a in every] == [  # newest first
        ("ola", "CANCELLED", "100002"), ("anna", "REVOKED", "100001"),
        ("ola", "PLACED", "100003"), ("ola", "PLACED", "100002"), ("ola", "PLACED", "100001")]
    revoked = every[1]
    assert revoked.real_time and revoked.order_ref.startswith("UCZ-") and revoked.person == "Karolina Bachta"
    now = dt.datetime.now(dt.UTC)
    assert now - dt.timedelta(minutes=1) < revoked.when <= now  # the real time, not the fixed `today`
    line = revoked.line()
    assert line.startswith(revoked.when_text())
    assert " · anna · unieważnienie (Oczekuje → Unieważnione przez uczelnię) · " in line, line
    assert f"{revoked.order_ref} Karolina Bachta (100001) · powód: skreślenie z listy studentów" in line
    assert PESEL not in line and PESEL not in str(revoked.as_json())


def test_filters_by_login_action_student_and_dates(ctx: Context, office, make_ctx) -> None:  # type: ignore[no-untyped-def]
    assert lines(ctx, login="anna") == [("anna", "REVOKED", "100001", "skreślenie z listy studentów")]
    assert [x[2] for x in lines(ctx, action=Action.PLACED)] == ["100003", "100002", "100001"]
    assert [x[1] for x in lines(ctx, student="100002")] == ["CANCELLED", "PLACED"]
    assert [x[1] for x in lines(ctx, student="wojcik jan")] == ["CANCELLED", "PLACED"]  # as the lookup
    assert [x[1] for x in lines(ctx, student=PESEL)] == ["REVOKED", "PLACED"]
    assert lines(ctx, login="ola", action=Action.CANCELLED) == [("ola", "CANCELLED", "100002", "nowy telefon")]
    today = dt.date.today()
    assert len(lines(ctx, date_from=today, date_to=today)) == 5  # the real day, not `today`'s 3.09.2025
    assert lines(ctx, date_to=today - dt.timedelta(days=1)) == []
    assert lines(ctx, login="nikt") == []
    other = make_pesel(dt.date(1999, 1, 2), 7, False)
    with pytest.raises(UserError, match=f"Nie znaleziono studenta „\\*+{other[-4:]}”"):
        find_events(ctx, AuditQuery(student=other))
    with pytest.raises(UserError, match="późniejsza"):
        find_events(ctx, AuditQuery(date_from=today, date_to=today - dt.timedelta(days=1)))


def test_pages_follow_each_other_without_a_gap_or_a_repeat(ctx: Context, office) -> None:  # type: ignore[no-untyped-def]
    every = [a.event_id for a in find_events(ctx, AuditQuery())]
    first = find_events(ctx, AuditQuery(), limit=2)
    rest = find_events(ctx, AuditQuery(), limit=10, after=first[-1].key)
    assert [a.event_id for a in first + rest] == every
    assert [a.event_id for a in iter_events(ctx, AuditQuery())] == every


def test_an_event_without_its_real_time_says_its_time_is_the_events(ctx: Context, office, store_url: str) -> None:  # type: ignore[no-untyped-def]
    # Older stores' events and the demo's generated histories have no recorded_at.
    store_sql(store_url, "CREATE TABLE t AS SELECT * FROM order_event WHERE action = 'PLACED' AND id = 1")
    store_sql(store_url, "UPDATE t SET id = 1000, recorded_at = NULL")
    store_sql(store_url, "INSERT INTO order_event SELECT * FROM t")
    old = next(a for a in find_events(ctx, AuditQuery()) if a.event_id == 1000)
    assert not old.real_time and old.when == old.event.at
    assert "(czas zdarzenia; czasu zapisu brak)" in old.line()


def test_only_an_administrator_sees_the_audit(ctx: Context, office, make_ctx) -> None:  # type: ignore[no-untyped-def]
    for role in ("viewer", "operator"):
        with pytest.raises(Forbidden, match="przegląd dziennika zdarzeń"):
            find_events(make_ctx(role=role), AuditQuery())


def test_every_page_walks_an_index_in_order(ctx: Context, office) -> None:  # type: ignore[no-untyped-def]
    """At a million orders the log holds millions of events: a page must be an index
    range read in order, never the whole log sorted (SQLite's plan says USE TEMP B-TREE
    FOR ORDER BY then); the trace of exports too (small, but one login may have thousands).
    The student's filter reads their few events by order id."""
    if ctx.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL uses the same indexes (ix_event_*)")
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "order_event" in statement or "access_event" in statement:
            statements.append((statement, parameters))

    today = dt.date.today()
    event.listen(ctx.engine, "before_cursor_execute", seen)
    try:
        for q in (AuditQuery(), AuditQuery(login="anna"), AuditQuery(action=Action.REVOKED),
                  AuditQuery(date_from=today, date_to=today), AuditQuery(login="ola", date_from=today)):
            page = find_events(ctx, q, limit=1)
            find_events(ctx, q, after=page[0].key)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", seen)
    assert len(statements) == 18  # the log's pages, the trace's (none for an action of the log)
    with ctx.engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        for statement, parameters in statements:
            plan = " | ".join(row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "INDEX ix_" in plan and "TEMP B-TREE" not in plan, (statement, plan)


def _viewer_exports(make_ctx, tmp_path: Path, name: str = "lista.csv") -> Path:  # type: ignore[no-untyped-def]
    """A viewer (read-only role) exports the orders a typed PESEL finds: one row."""
    out = tmp_path / name
    export_orders(make_ctx(role="viewer", login="przeglad"), OrderQuery(text=PESEL), out, ExportOptions(), via="TUI")
    return out


def test_a_viewers_export_is_in_the_admins_audit_with_its_login_count_filter_and_file(  # type: ignore[no-untyped-def]
        ctx: Context, office, make_ctx, tmp_path: Path) -> None:
    out = _viewer_exports(make_ctx, tmp_path)
    every = find_events(ctx, AuditQuery())
    export = every[0]  # newest first: after the five events
    assert [a.access is not None for a in every] == [True, False, False, False, False, False]
    assert export.who == "przeglad" and export.real_time and export.action_code == "EXPORT"
    assert export.access is not None and export.access.rows == 1 and not export.access.pesel_unmasked
    assert export.order_ref == "" and export.event is None
    now = dt.datetime.now(dt.UTC)
    assert now - dt.timedelta(minutes=1) < export.when <= now
    line = export.line()
    assert line.startswith(export.when_text() + " · przeglad · eksport listy zamówień (CSV, 1 wiersz, "
                                                "PESEL zamaskowany, z aplikacji) · filtr: ")
    assert f"*******{PESEL[-4:]}" in line and PESEL not in line  # the recorder masked the typed PESEL
    assert line.endswith(f" · plik: {out}")
    assert PESEL not in str(export.as_json()) and export.as_json()["rows"] == 1


def test_the_filters_select_an_export_or_not(ctx: Context, office, make_ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _viewer_exports(make_ctx, tmp_path)

    def exports(**q: Any) -> int:
        return sum(a.access is not None for a in find_events(ctx, AuditQuery(**q)))

    today = dt.date.today()
    assert exports() == 1
    assert exports(login="przeglad") == 1 and len(find_events(ctx, AuditQuery(login="przeglad"))) == 1
    assert exports(login="anna") == 0
    assert exports(action=AccessAction.EXPORT) == len(find_events(ctx, AuditQuery(action=AccessAction.EXPORT))) == 1
    assert exports(action=Action.PLACED) == 0
    assert exports(date_from=today, date_to=today) == 1
    assert exports(date_to=today - dt.timedelta(days=1)) == 0 and exports(date_from=today + dt.timedelta(days=1)) == 0
    # An export is of a list, not of one student, even when its filter named them.
    assert exports(student=PESEL) == 0 and exports(student="100001") == 0
    assert parse_audit_action("eksport") is AccessAction.EXPORT is parse_audit_action("EXPORT")
    assert parse_audit_action("unieważnienie") is Action.REVOKED
    with pytest.raises(UserError, match="Dozwolone: PLACED.*EKSPORT"):
        parse_audit_action("kradzież")


def test_pages_merge_the_exports_and_the_events_without_a_gap_or_a_repeat(  # type: ignore[no-untyped-def]
        ctx: Context, office, make_ctx, tmp_path: Path, store_url: str) -> None:
    _viewer_exports(make_ctx, tmp_path)
    actions.place_order(make_ctx(login="ola"), "100002")  # a new order: an event between two exports
    _viewer_exports(make_ctx, tmp_path, "druga.csv")
    # An export at the very instant of an event: the key orders them (export first).
    (when,) = store_sql(store_url, "SELECT recorded_at FROM order_event ORDER BY id DESC LIMIT 1")[0]
    store_sql(store_url, "INSERT INTO access_event (recorded_at, login, actor_kind, role, via, source, filter_text, "
              "filter_json, rows, format, pesel_unmasked, destination) "
              "VALUES (?, 'anna', 'STAFF', 'admin', 'CLI', 'AUDIT', 'x', '{}', 3, 'json', ?, 'stdout')", when, False)
    every = [(a.access is not None, a.event_id) for a in find_events(ctx, AuditQuery())]
    assert sum(x for x, _ in every) == 3 and len(every) == len(set(every))
    keys = [a.key for a in find_events(ctx, AuditQuery())]
    assert keys == sorted(keys, reverse=True)
    for size in (1, 2, 3):
        walked, after = [], None
        while page := find_events(ctx, AuditQuery(), limit=size, after=after):
            walked += [(a.access is not None, a.event_id) for a in page]
            after = page[-1].key
        assert walked == every, size
    assert [(a.access is not None, a.event_id) for a in iter_events(ctx, AuditQuery())] == every
    stdout = next(a for a in find_events(ctx, AuditQuery(login="anna")) if a.access is not None)
    assert stdout.line().endswith("eksport dziennika zdarzeń (JSON, 3 wiersze, PESEL zamaskowany, "
                                  "z wiersza poleceń) · filtr: x · na standardowe wyjście")
