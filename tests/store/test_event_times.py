"""Every event keeps the real time it was written beside its business time.

A fixed `today` (tests, demos, reproducing a case) moves the business time only: the
history shows such an event as dated by the setting, with the day it was really written.
Stores made before schema 5 are upgraded; their events stay without a real time (their
log is append-only, and that time is not known).
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from mleg_tui.domain.dates import pl_date
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.students import student_view
from mleg_tui.store import SCHEMA_VERSION
from support.register import enrolment
from support.stores import is_pg, store_sql

UTC = dt.UTC


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def make_version_4(store: str) -> None:
    """What version 4 wrote: the event log without recorded_at (nor v8's indexes on it)."""
    for ix in ("ix_event_when", "ix_event_actor_when", "ix_event_action_when"):
        store_sql(store, f"DROP INDEX {ix}")
    store_sql(store, "ALTER TABLE order_event DROP COLUMN recorded_at")
    store_sql(store, "UPDATE meta SET value = '4' WHERE key = 'schema_version'")


def columns(store: str) -> set[str]:
    if is_pg(store):
        rows = store_sql(store, "SELECT column_name FROM information_schema.columns WHERE table_name = 'order_event'")
        return {r[0] for r in rows}
    return {r[1] for r in store_sql(store, "PRAGMA table_info(order_event)")}


def test_a_version_4_store_is_upgraded_and_new_events_carry_their_real_time(
        ctx: Context, make_ctx, add_students, store_url: str) -> None:  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    actions.place_order(ctx, "100001")
    ctx.engine.dispose()
    make_version_4(store_url)
    assert "recorded_at" not in columns(store_url)

    later = make_ctx()  # opening upgrades
    assert store_sql(store_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert SCHEMA_VERSION >= 5 and "recorded_at" in columns(store_url)
    before = now()
    actions.cancel_order(later, "100001", reason="rezygnacja")
    events = student_view(later, album="100001").orders[0].events
    assert [e.action.value for e in events] == ["PLACED", "CANCELLED"]
    old, new = events
    assert old.recorded_at is None and not old.backdated  # written before v5: not known
    assert new.recorded_at is not None and before - dt.timedelta(seconds=1) <= new.recorded_at <= now()
    # The business day is the fixed one (3.09.2025); the real one is today's.
    assert new.at.date() == dt.date(2025, 9, 3) and new.backdated


def test_an_event_written_without_a_fixed_today_is_not_marked(make_ctx, add_students) -> None:  # type: ignore[no-untyped-def]
    real = make_ctx(today="")
    add_students(enrolment("P1", "100001"), context=real)
    actions.place_order(real, "100001")
    (event,) = student_view(real, album="100001").orders[0].events
    assert event.recorded_at is not None and abs(event.recorded_at - event.at) < dt.timedelta(seconds=5)
    assert not event.backdated


def test_a_revocation_dated_in_2019_says_when_it_was_really_written(ctx: Context, add_students, cli,
                                                                    store_url: str) -> None:  # type: ignore[no-untyped-def]
    # The case: MLEG_TUI_TODAY=2019-01-01T03:00:00+00:00 dated a real revocation in 2019.
    add_students(enrolment("P1", "100001"))
    actions.place_order(ctx, "100001")
    stamp = {"MLEG_TUI_TODAY": "2019-01-01T03:00:00+00:00"}
    assert cli("revoke", "100001", "--reason", "skreślenie", env=stamp).returncode == 0
    at, recorded = store_sql(store_url, "SELECT at, recorded_at FROM order_event WHERE action = 'REVOKED'")[0]
    assert str(at).startswith("2019-01-01") and not str(recorded).startswith("2019")

    shown = cli("student", "100001")
    line = next(x for x in shown.stdout.splitlines() if "unieważnienie" in x and "skreślenie" in x)
    real_day = pl_date(dt.datetime.now(ZoneInfo("Europe/Warsaw")).date())  # the office's
    assert line.lstrip().startswith("1.01.2019, 04:00:00")  # business time, office time
    assert "data ustalona ustawieniem today, zapisano naprawdę" in line and real_day in line, line

    data = json.loads(cli("student", "100001", "--json").stdout)
    revoked = data["orders"][0]["events"][-1]
    assert revoked["at"].startswith("2019-01-01T04:00:00")
    assert dt.datetime.fromisoformat(revoked["recorded_at"]) > now() - dt.timedelta(minutes=5)
