"""Finding a student by whatever the caller has at hand: album number, name (any order, any
case, without diacritics, beginnings of words), PESEL, order reference, QR text; every
person, with or without orders or an album; and the order filter taking the same."""
from __future__ import annotations

import datetime as dt

import pytest

from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import count_orders, find_orders
from mleg_tui.services.status_change import change_status
from mleg_tui.services.students import find_students, lookup, student_view
from mleg_tui.store import writing
from mleg_tui.store.models import Order
from support.register import enrolment, pesel_for
from support.stores import mc_moves, scans_of

QR = "87aa907615be4d5e81767a4575b92725"
KAROLINA_PESEL = pesel_for(dt.date(2003, 5, 17))


@pytest.fixture
def office(ctx: Context, add_students) -> dict[str, int]:  # type: ignore[no-untyped-def]
    add_students(
        enrolment("P1", "1234336607", "Karolina", "Bachta", birth_date="2003-05-17"),
        enrolment("P2", "100002", "Karol", "Bachtowski", birth_date="2001-02-03"),
        enrolment("P3", "100003", "Łucja", "Żółkiewska-Bachta", birth_date="2002-04-05"),
        enrolment("P4", None, "Grzegorz", "Szymański", pesel=None, level="DR",
                  programme_name="Szkoła Doktorska", has_photo="false"),
        enrolment("P5", "100005", "Zofia", "Wójcik", birth_date="2004-02-09"),  # no orders
    )
    first = actions.place_order(ctx, "1234336607").order_id
    actions.cancel_order(ctx, "1234336607")
    ready = actions.place_order(ctx, "1234336607").order_id
    mc_moves(ctx, ready, S.W_TRAKCIE)
    with writing(ctx.engine) as s:
        order = s.get(Order, ready)
        assert order is not None
        change_status(s, order, S.DO_ODBIORU, ctx.clock.now(), Action.MC_STATUS, Actor.MC, "",
                      qr_code=QR, activation_code="123456")
    other = actions.place_order(ctx, "100002").order_id
    return {"cancelled": first, "ready": ready, "other": other}


def names(ctx: Context, text: str) -> list[str]:
    return [f"{m.first_name} {m.last_name}" for m in find_students(ctx, text)]


@pytest.mark.parametrize("text", ["bachta karolina", "karolina bachta", "KAROLINA bach",
                                  "bachta kar", "  Bachta   Karolina "])
def test_a_name_in_any_order_and_case_from_the_start_of_each_word(ctx: Context, office, text: str):  # type: ignore[no-untyped-def]
    assert names(ctx, text) == ["Karolina Bachta"]


def test_a_surname_lists_everyone_it_begins_then_those_holding_it_further_in(ctx: Context, office):  # type: ignore[no-untyped-def]
    # Sorted by name; a double surname holding the word comes after those it starts.
    assert names(ctx, "bachta") == ["Karolina Bachta", "Łucja Żółkiewska-Bachta"]
    assert names(ctx, "bacht") == ["Karolina Bachta", "Karol Bachtowski", "Łucja Żółkiewska-Bachta"]
    assert names(ctx, "lucja zolkiewska") == ["Łucja Żółkiewska-Bachta"]  # no diacritics
    assert names(ctx, "Łucja Żółkiewska") == ["Łucja Żółkiewska-Bachta"]
    assert names(ctx, "karol") == ["Karolina Bachta", "Karol Bachtowski"]  # first names too


def test_exact_identifiers_find_the_one_person(ctx: Context, office):  # type: ignore[no-untyped-def]
    ref = student_view(ctx, album="1234336607").orders[-1].order_ref  # the cancelled one
    for text in ("1234336607", KAROLINA_PESEL, ref, ref.lower(), QR, f" {QR} "):
        found = find_students(ctx, text)
        assert [(m.album, m.last_name) for m in found] == [("1234336607", "Bachta")], text
    m = find_students(ctx, "1234336607")[0]
    assert m.pesel_masked == "*******" + KAROLINA_PESEL[-4:]
    assert m.programme == "Informatyka"


def test_everyone_can_be_found_with_or_without_orders_or_album(ctx: Context, office):  # type: ignore[no-untyped-def]
    (grzegorz,) = find_students(ctx, "szymanski grzegorz")
    assert grzegorz.album is None and grzegorz.pesel_masked is None
    assert grzegorz.programme == "Szkoła Doktorska"
    view = student_view(ctx, person_id=grzegorz.person_id)
    assert view.name == "Grzegorz Szymański" and view.orders == ()
    (zofia,) = find_students(ctx, "wojcik")
    assert student_view(ctx, person_id=zofia.person_id).album == "100005"


@pytest.mark.parametrize("text", ["", "   ", "nikt", "99999999999", "UCZ-999999", "1234336", "%", "_a"])
def test_nothing_found(ctx: Context, office, text: str):  # type: ignore[no-untyped-def]
    assert find_students(ctx, text) == []


def test_at_most_the_limit(ctx: Context, office):  # type: ignore[no-untyped-def]
    assert len(find_students(ctx, "bacht", limit=2)) == 2


def test_lookup_gives_one_person_as_an_id_and_several_as_matches(ctx: Context, office):  # type: ignore[no-untyped-def]
    (karolina,) = find_students(ctx, "1234336607")
    assert lookup(ctx, "1234336607") == karolina.person_id == lookup(ctx, "bachta karolina")
    several = lookup(ctx, "bacht")
    assert isinstance(several, list) and [m.last_name for m in several] == [
        "Bachta", "Bachtowski", "Żółkiewska-Bachta"]
    assert lookup(ctx, "nikt") == []


def test_the_order_filter_takes_a_pesel_an_order_reference_and_a_qr_text(ctx: Context, office):  # type: ignore[no-untyped-def]
    def ids(text: str) -> set[int]:
        q = OrderQuery(text=text)
        rows = find_orders(ctx, q, limit=50)
        assert count_orders(ctx, q) == len(rows)
        return {r.id for r in rows}

    ref = student_view(ctx, album="100002").orders[0].order_ref
    assert ids(KAROLINA_PESEL) == {office["cancelled"], office["ready"]}  # that person's orders
    assert ids(ref) == ids(ref.lower()) == {office["other"]}  # that order
    assert ids(QR) == {office["ready"]}
    assert ids("1234") == {office["cancelled"], office["ready"]}  # an album prefix as before
    assert ids("UCZ-999999") == set() and ids("99999999999") == set()


@pytest.mark.parametrize("qr", ["Kod odbioru 12 34", "abcdefabcdef", "Anna Nowak"])
def test_the_order_filter_takes_a_qr_text_with_spaces_or_without_a_digit(ctx: Context, office, qr: str):  # type: ignore[no-untyped-def]
    """As the lookup does: the whole text first (MC's QR text is any printable ASCII),
    even one that reads as a name, then word by word."""
    order = actions.place_order(ctx, "100005").order_id
    mc_moves(ctx, order, S.W_TRAKCIE)
    with writing(ctx.engine) as s:
        o = s.get(Order, order)
        assert o is not None
        change_status(s, o, S.DO_ODBIORU, ctx.clock.now(), Action.MC_STATUS, Actor.MC, "", qr_code=qr)
    q = OrderQuery(text=f" {qr} ")
    assert [r.id for r in find_orders(ctx, q)] == [order] and count_orders(ctx, q) == 1
    assert [m.album for m in find_students(ctx, qr)] == ["100005"]  # the lookup agrees
    assert {r.id for r in find_orders(ctx, OrderQuery(text="bachta karolina"))} == {
        office["cancelled"], office["ready"]}  # names as before


def test_lookups_go_through_indexes_not_scans(ctx: Context, office):  # type: ignore[no-untyped-def]
    """At a million orders a scan of a table takes hundreds of milliseconds: every
    statement of the lookup must search an index."""
    with scans_of(ctx) as scans:
        for text in ("1234336607", KAROLINA_PESEL, "UCZ-000001", QR, "bachta karolina", "bacht", "ko"):
            find_students(ctx, text)
    assert scans.statements >= 7
    assert scans.found() == []


def test_a_pesel_looked_up_never_reaches_an_error_text_nor_the_log(ctx: Context, office, caplog):  # type: ignore[no-untyped-def]
    """The store failing under a lookup: what the clerk is told and what the log keeps
    (the real error, for whoever mends it) never quote the PESEL that was looked up."""
    import logging

    from sqlalchemy import text

    from mleg_tui.store import StoreError

    with ctx.engine.begin() as conn:
        conn.execute(text("ALTER TABLE orders RENAME TO orders_away"))
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreError) as failed:
        find_students(ctx, KAROLINA_PESEL)
    assert "bazy danych" in str(failed.value)
    assert "orders" in caplog.text  # the log names the missing table
    assert KAROLINA_PESEL not in str(failed.value) and KAROLINA_PESEL not in caplog.text
