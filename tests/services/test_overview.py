"""The administrator's overview (issue 13): every figure opens exactly the list it counts,
and the eligibility rules in SQL say what domain.eligibility.assess says, person by person,
on the demo store and on cases built by hand to sit on each rule's edge. Both databases."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import case, delete, select, update
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
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.services.context import Context
from mleg_tui.services.importer import import_csv
from mleg_tui.services.orders import count_orders, iter_orders
from mleg_tui.services.overview import lines_of, overview
from mleg_tui.services.overview_types import FigureLine, StudentSet
from mleg_tui.services.student_sets import count_students, find_students_in
from mleg_tui.services.students import verdict_for
from mleg_tui.store import SCHEMA_VERSION, reading, writing
from mleg_tui.store.models import Enrolment, Order, Person
from mleg_tui.store.person_facts import REASON_BITS
from mleg_tui.store.rules_sql import PERSON_REASONS, never_ordered_tally, reason_conditions
from support.demo import build_store
from support.register import enrolment
from support.stores import context_factory, is_pg, store_sql

_serial = itertools.count(1)
UTC = dt.UTC


def listed(ctx: Context, line: FigureLine) -> tuple[int, int]:
    """The opened list's count and the rows it really has (read page by page)."""
    if isinstance(line.opens, StudentSet):
        seen: list[int] = []
        after = None
        while True:
            page, after = find_students_in(ctx, line.opens, limit=7, after=after)  # several pages
            seen += [m.person_id for m in page]
            if after is None:
                assert len(seen) == len(set(seen)), "a student on two pages"
                return count_students(ctx, line.opens), len(seen)
    return count_orders(ctx, line.opens), sum(1 for _ in iter_orders(ctx, line.opens, chunk=500))


def assert_every_line_opens_its_count(ctx: Context) -> list[FigureLine]:
    lines = list(lines_of(overview(ctx)))
    for line in lines:
        assert listed(ctx, line) == (line.count, line.count), line.label
    return lines


# -- building a store by hand -----------------------------------------------------------------

def with_checksum(first_ten: str) -> str:
    total = sum(int(c) * w for c, w in zip(first_ten, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)))
    return first_ten + str((10 - total % 10) % 10)


def add_person(s: Any, *, pesel: str | None = "", born: dt.date | None = dt.date(2003, 5, 17),
               photo: bool = True, album: str | None = "", programmes: tuple[tuple[Any, ...], ...] = (("I", "ACTIVE"),),
               ) -> int:
    n = next(_serial)
    if pesel == "":
        pesel = make_pesel(born or dt.date(2003, 5, 17), n % 1000, True)
    p = Person(external_id=f"X{n}", album=f"9{n:05d}" if album == "" else album, first_name="Anna",
               last_name=f"Próba{n}", name_key=f"proba{n} anna", pesel=pesel, birth_date=born, has_photo=photo,
               updated_at=dt.datetime(2025, 1, 1, tzinfo=UTC))
    s.add(p)
    s.flush()
    for i, (level, status, *rest) in enumerate(programmes):
        status_date = rest[0] if rest else None
        s.add(Enrolment(person_id=p.id, programme_code=f"K{i}", level=level, status=status,
                        status_date=status_date, planned_end_date=dt.date(2028, 9, 30)))
    return p.id or 0


def add_order(s: Any, person_id: int, status: S, *, ordered: dt.datetime, expiry: dt.date = dt.date(2026, 3, 31),
              codes_until: dt.datetime | None = None, pending: str | None = None, error: str = "") -> int:
    n = next(_serial)
    o = Order(order_ref=f"T-{n:06d}", person_id=person_id, status=status.value, ordered_at=ordered,
              planned_expiry=expiry, expiry_date=expiry, codes_valid_until=codes_until, pending_action=pending,
              error_code=error, error_message=f"komunikat {error}" if error else None,
              created_at=ordered, updated_at=ordered, album="", name_key="")
    s.add(o)
    s.flush()
    return o.id or 0


# -- the rules in SQL agree with the domain ---------------------------------------------------

def sql_reasons(ctx: Context) -> dict[int, set[str]]:
    today = ctx.clock.today()
    conds = reason_conditions(today, ctx.rules)
    with reading(ctx.engine) as s:
        rows = s.execute(select(Person.id, *(case((c, 1), else_=0) for c in conds.values()))).all()
    return {r[0]: {code for code, flag in zip(conds, r[1:]) if flag} for r in rows}


def tally(ctx: Context) -> dict[int, tuple[int, int]]:
    """The overview's counting form: of the persons who never ordered, by the reasons kept
    on the person (bits), how many a programme entitles and how many they are."""
    with reading(ctx.engine) as s:
        rows = s.execute(never_ordered_tally(ctx.clock.today(), ctx.rules)).all()
    return {bits: (int(entitled), n) for bits, entitled, n in rows}


def domain_tally(never: dict[int, set[str]]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for reasons in never.values():
        bits = sum(REASON_BITS[r] for r in reasons if r in REASON_BITS)
        entitled, n = out.get(bits, (0, 0))
        out[bits] = (entitled + (NO_PROGRAMME not in reasons), n + 1)
    return out


def domain_reasons(ctx: Context) -> tuple[dict[int, set[str]], set[int]]:
    with reading(ctx.engine) as s:
        persons = s.execute(select(Person)).scalars().all()
        out, ordered = {}, set()
        for p in persons:
            verdict, orders, _ = verdict_for(ctx, s, p)
            out[p.id or 0] = {r.code for r in verdict.reasons}
            if orders:
                ordered.add(p.id or 0)
    return out, ordered


def assert_sql_agrees(ctx: Context) -> None:
    expected, ordered = domain_reasons(ctx)
    assert sql_reasons(ctx) == expected
    never = {i: rs for i, rs in expected.items() if i not in ordered}
    assert set().union(*never.values()) <= set(PERSON_REASONS)  # nothing about orders they lack
    assert tally(ctx) == domain_tally(never)


def hand_built(ctx: Context) -> None:
    """Persons on the edges of each rule (see the comments), some with orders."""
    t = dt.datetime(2025, 8, 1, 10, tzinfo=UTC)
    with writing(ctx.engine) as s:
        add_person(s)  # nothing wrong
        add_person(s, born=None)  # a valid PESEL, no birth date to compare
        add_person(s, pesel=make_pesel(dt.date(2003, 5, 18), 5, True))  # PESEL of another birth date
        good = make_pesel(dt.date(2001, 1, 2), 7, False)
        add_person(s, pesel=good[:10] + str((int(good[10]) + 1) % 10), born=None)  # checksum
        for body, born in [
            ("0013011234", None),  # month 13
            ("0022291234", dt.date(2000, 2, 29)),  # 2000 is a leap year (month + 20)
            ("0002291234", None),  # 1900 is not
            ("0042291234", None),  # nor is 2100
            ("2422291234", dt.date(2024, 2, 29)),  # 2024 is
            ("2322291234", None),  # 2023 is not
            ("0324311234", None),  # 31 April 2003
            ("0324001234", None),  # day 0
            ("9992311234", dt.date(1899, 12, 31)),  # the 1800s (month + 80)
            ("0361011234", dt.date(2203, 1, 1)),  # the 2200s (month + 60)
            ("0300011234", None),  # month 0
            ("0320011234", None),  # month 20: the 2000s' month 0
        ]:
            add_person(s, pesel=with_checksum(body), born=born)
        spaced = " " + make_pesel(dt.date(2003, 5, 17), 9, True) + " "
        for pesel in ["0305171234A", "0305171234", "030517123456", spaced, "０３０５１７１２３４５", "", "   ", None]:
            add_person(s, pesel=pesel, born=None)
        add_person(s, photo=False)
        for album in (None, "", "  "):
            add_person(s, album=album if album != "" else "", photo=True)
        s.add(Person(external_id="X-empty-album", album="", first_name="A", last_name="B", name_key="b a",
                     pesel=None, birth_date=None, has_photo=False, updated_at=t))
        add_person(s, programmes=())
        add_person(s, programmes=(("DR", "ACTIVE"),))
        add_person(s, programmes=(("PD", "ACTIVE"), ("I", "STRUCK_OFF", dt.date(2025, 3, 1))))
        add_person(s, programmes=(("I", "GRADUATED", dt.date(2025, 6, 30)),))  # right until 31.10.2025
        add_person(s, programmes=(("I", "GRADUATED", dt.date(2024, 6, 30)),))
        add_person(s, programmes=(("I", "GRADUATED"),))  # no date: no right
        add_person(s, programmes=(("II", "GRADUATED", dt.date(2025, 6, 30)),))
        add_person(s, programmes=(("JM", "STRUCK_OFF", dt.date(2026, 1, 15)),))  # not yet happened
        add_person(s, programmes=(("I", "GRADUATED", dt.date(2025, 7, 1)), ("II", "ACTIVE")))
        busy = add_person(s)
        add_order(s, busy, S.OCZEKUJE, ordered=t)
        held = add_person(s)
        add_order(s, held, S.ODEBRANA, ordered=t, expiry=dt.date(2026, 3, 31))
        add_order(s, held, S.BLAD, ordered=t - dt.timedelta(days=3), error="PHOTO_REJECTED")
        soon = add_person(s, photo=False)
        add_order(s, soon, S.ODEBRANA, ordered=t, expiry=dt.date(2025, 12, 10))
        out = add_person(s)
        add_order(s, out, S.ODEBRANA, ordered=t, expiry=dt.date(2025, 10, 31))
        ended = add_person(s, pesel=None)
        add_order(s, ended, S.UNIEWAZNIONE_PRZEZ_UCZELNIE, ordered=t)


@pytest.mark.parametrize("today", ["2025-11-20", "2025-09-03", "2025-10-31", "2026-11-01"])
def test_the_rules_in_sql_give_each_person_the_reasons_assess_gives(make_ctx: Callable[..., Context],
                                                                   today: str) -> None:
    ctx = make_ctx(today)
    hand_built(ctx)
    assert_sql_agrees(ctx)
    every = set().union(*sql_reasons(ctx).values())
    if today == "2026-11-01":  # every card has run out
        every.add(CARD_VALID)
    assert {NO_PESEL, BAD_PESEL, NO_PHOTO, NO_ALBUM, NO_PROGRAMME, ORDER_IN_PROGRESS, CARD_VALID} <= every


def test_on_the_demo_store_too(store_url: str) -> None:
    ctx = build_store(store_url, 400)
    assert_sql_agrees(ctx)
    later = context_factory(store_url)("2025-11-20T10:00:00")  # graduates past their 31 October
    assert_sql_agrees(later)


# -- each figure opens its set -------------------------------------------------------------

NOW = "2025-09-03T12:00:00"  # office time (UTC+2)


def test_the_radar_counts_what_needs_action_and_each_line_opens_exactly_that(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(NOW)
    now = ctx.clock.now()
    h = dt.timedelta(hours=1)
    with writing(ctx.engine) as s:
        p = add_person(s)
        for until in (now + 2 * 24 * h, now + 6 * 24 * h):  # within 7 days
            add_order(s, p, S.DO_ODBIORU, ordered=now - 24 * h, codes_until=until)
        add_order(s, p, S.DO_ODBIORU, ordered=now - 24 * h, codes_until=now + 10 * 24 * h)
        add_order(s, p, S.DO_ODBIORU, ordered=now - 40 * 24 * h, codes_until=now - h)  # expired
        add_order(s, p, S.DO_ODBIORU, ordered=now - h)  # no codes' end known
        for expiry in (dt.date(2025, 9, 3), dt.date(2025, 10, 3)):  # renewal: today .. today + 30
            add_order(s, p, S.ODEBRANA, ordered=now - 200 * 24 * h, expiry=expiry)
        for expiry in (dt.date(2025, 9, 2), dt.date(2025, 10, 4)):
            add_order(s, p, S.ODEBRANA, ordered=now - 200 * 24 * h, expiry=expiry)
        graduate = add_person(s, programmes=(("I", "GRADUATED", dt.date(2025, 7, 1)),))
        add_order(s, graduate, S.ODEBRANA, ordered=now - 90 * 24 * h, expiry=dt.date(2025, 10, 31))
        add_order(s, graduate, S.ANULOWANE_PRZEZ_UZYTKOWNIKA, ordered=now - 95 * 24 * h, expiry=dt.date(2025, 10, 31))
        on_to_second = add_person(s, programmes=(("I", "GRADUATED", dt.date(2025, 7, 1)), ("II", "ACTIVE")))
        add_order(s, on_to_second, S.ODEBRANA, ordered=now - 90 * 24 * h, expiry=dt.date(2025, 10, 31))
        add_order(s, p, S.W_TRAKCIE, ordered=now - 30 * h)  # stuck
        add_order(s, p, S.W_TRAKCIE, ordered=now - 2 * h)
        add_order(s, p, S.ODEBRANA, ordered=now - 9 * 24 * h, pending="REVOKE")
        add_order(s, p, S.DO_ODBIORU, ordered=now - 9 * 24 * h, pending="CANCEL")
        add_order(s, p, S.DO_ODBIORU, ordered=now - 9 * 24 * h, pending="CANCEL")
    (radar,) = [sec for sec in overview(ctx) if sec.key == "radar"]
    assert [line.count for line in radar.lines] == [2, 1, 2, 1, 1, 1, 2]
    assert "31.10.2025" in radar.lines[3].label
    assert_every_line_opens_its_count(ctx)


def test_every_line_of_the_demo_overview_opens_a_list_of_its_count(store_url: str) -> None:
    ctx = build_store(store_url, 400)
    lines = assert_every_line_opens_its_count(ctx)
    counted = {line.label: line.count for line in lines}
    assert counted["Wszystkie"] > 400 and counted["Mogą zamówić, a nigdy nie zamawiali"] > 0
    by_status = overview(ctx)
    age = next(s for s in by_status if s.key == "age")
    statuses = {line.label: line.count for line in next(s for s in by_status if s.key == "statuses").lines}
    for st in (S.OCZEKUJE, S.W_TRAKCIE, S.DO_ODBIORU):
        assert sum(line.count for line in age.lines if line.label.startswith(st.label + ",")) == statuses[st.label]
    errors = next(s for s in by_status if s.key == "errors")
    assert sum(line.count for line in errors.lines[:-1]) == statuses[S.BLAD.label]
    assert all(len(line.series) == 30 for line in errors.lines)
    daily = next(s for s in by_status if s.key == "daily")
    assert [len(line.series) for line in daily.lines] == [30, 90]
    assert all(sum(line.series) == line.count for line in daily.lines)


def test_a_set_counted_at_an_instant_stays_that_set_as_the_clock_moves_on(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(NOW)
    now = ctx.clock.now()
    with writing(ctx.engine) as s:
        add_order(s, add_person(s), S.W_TRAKCIE, ordered=now - dt.timedelta(hours=23, minutes=59))
    (radar,) = [sec for sec in overview(ctx) if sec.key == "radar"]
    stuck = radar.lines[4]
    assert stuck.count == 0
    later = make_ctx("2025-09-03T12:05:00")  # the order is now older than 24 h
    assert count_orders(later, stuck.opens) == 0
    assert next(sec for sec in overview(later) if sec.key == "radar").lines[4].count == 1


# -- the facts the store keeps on the person follow every write ------------------------------

def student_figures(ctx: Context) -> dict[str, int]:
    (students,) = [sec for sec in overview(ctx) if sec.key == "students"]
    return {(line.opens.reason or line.opens.kind): line.count for line in students.lines
            if isinstance(line.opens, StudentSet)}


def test_an_import_that_changes_a_pesel_or_a_photo_moves_the_students_figures(
        make_ctx: Callable[..., Context], write_csv: Callable[..., Any]) -> None:
    ctx = make_ctx(NOW)
    first = [enrolment("P1", "100001"), enrolment("P2", "100002", "Jan", "Nowak", birth_date="2001-07-21")]
    import_csv(ctx, write_csv(first))
    assert student_figures(ctx) == {"may_order": 2, "may_not": 0, NO_PROGRAMME: 0, NO_PESEL: 0, BAD_PESEL: 0,
                                    NO_PHOTO: 0, NO_ALBUM: 0}
    good = first[0]["pesel"]
    changed = [dict(first[0], pesel=good[:10] + str((int(good[10]) + 1) % 10)), dict(first[1], has_photo="false")]
    import_csv(ctx, write_csv(changed))
    assert student_figures(ctx) == {"may_order": 0, "may_not": 2, NO_PROGRAMME: 0, NO_PESEL: 0, BAD_PESEL: 1,
                                    NO_PHOTO: 1, NO_ALBUM: 0}
    assert_every_line_opens_its_count(ctx)
    import_csv(ctx, write_csv([dict(first[0], pesel=""), first[1]]))  # the PESEL taken away, the photo back
    assert student_figures(ctx)[NO_PESEL] == 1 and student_figures(ctx)["may_order"] == 1
    assert_sql_agrees(ctx)


def test_a_first_order_takes_the_student_out_and_its_deletion_puts_them_back(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(NOW)
    with writing(ctx.engine) as s:
        p, other = add_person(s), add_person(s)
    assert student_figures(ctx)["may_order"] == 2
    with writing(ctx.engine) as s:
        order = add_order(s, p, S.OCZEKUJE, ordered=dt.datetime(2025, 9, 1, tzinfo=UTC))
        add_order(s, p, S.BLAD, ordered=dt.datetime(2025, 8, 1, tzinfo=UTC), error="PHOTO_REJECTED")
    assert student_figures(ctx)["may_order"] == 1
    with writing(ctx.engine) as s:  # an order moved to another person (the store allows it)
        s.execute(update(Order).where(col(Order.id) == order).values(person_id=other))
    assert student_figures(ctx)["may_order"] == 0  # p keeps the failed one
    with writing(ctx.engine) as s:
        s.execute(delete(Order).where(col(Order.person_id) == p))
    assert student_figures(ctx)["may_order"] == 1  # p back
    assert_sql_agrees(ctx)


def test_after_a_bulk_load_every_person_is_marked_by_their_orders_again(ctx: Context, store_url: str) -> None:
    # A bulk load suspends the triggers; one pass afterwards marks each person both ways
    # (orders added, orders gone), on either database.
    from mleg_tui.store.person_facts import rebuild_has_ordered

    hand_built(ctx)
    expected = student_figures(ctx)
    truth = store_sql(store_url, "SELECT id, has_ordered FROM person ORDER BY id")
    assert {bool(h) for _, h in truth} == {True, False}
    store_sql(store_url, "UPDATE person SET has_ordered = NOT has_ordered")  # every one wrong
    with ctx.engine.begin() as conn:
        rebuild_has_ordered(conn)
    assert store_sql(store_url, "SELECT id, has_ordered FROM person ORDER BY id") == truth
    assert student_figures(ctx) == expected
    assert_sql_agrees(ctx)


def test_a_store_made_before_schema_10_gets_the_facts_on_opening(make_ctx: Callable[..., Context],
                                                                 store_url: str) -> None:
    ctx = make_ctx(NOW)
    hand_built(ctx)
    expected = student_figures(ctx)
    ctx.engine.dispose()
    # What version 9 wrote: no facts on the person, nothing keeping them.
    if is_pg(store_url):
        store_sql(store_url, "DROP TRIGGER orders_person_ordered ON orders")
    else:
        for when in ("ai", "ad", "au"):
            store_sql(store_url, f"DROP TRIGGER orders_person_ordered_{when}")
    for ix in ("ix_person_never_ordered", "ix_enrolment_entitles"):
        store_sql(store_url, f"DROP INDEX {ix}")
    for column in ("blocked_by", "has_ordered"):
        store_sql(store_url, f"ALTER TABLE person DROP COLUMN {column}")
    store_sql(store_url, "UPDATE meta SET value = '9' WHERE key = 'schema_version'")

    later = make_ctx(NOW)  # opening upgrades
    assert store_sql(store_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert student_figures(later) == expected
    assert_sql_agrees(later)
    with writing(later.engine) as s:  # and the triggers keep has_ordered from now on
        fresh = add_person(s)
    assert student_figures(later)["may_order"] == expected["may_order"] + 1
    with writing(later.engine) as s:
        add_order(s, fresh, S.OCZEKUJE, ordered=dt.datetime(2025, 9, 1, tzinfo=UTC))
    assert student_figures(later)["may_order"] == expected["may_order"]
