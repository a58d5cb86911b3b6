"""The error codes of failed orders: the filter by the start of a code, and the list of the
codes in the store with their counts, each count the rows the list then shows."""
from __future__ import annotations

from dataclasses import replace

import pytest

from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.mc_errors import MC_ERROR_CODES
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import count_orders, error_code_counts, find_orders
from mleg_tui.services.status_change import change_status
from mleg_tui.store import writing
from mleg_tui.store.models import Order
from support.register import enrolment
from support.stores import mc_moves, scans_of

# (album, surname, MC's code, MC's message); REJECTED_LATE is a code this program does not
# know, and REJECTED its start.
FAILED = [
    ("100001", "Adamska", "PESEL_MISMATCH", "Dane niezgodne z rejestrem PESEL"),
    ("100002", "Bachta", "PESEL_MISMATCH", "Dane niezgodne z rejestrem PESEL"),
    ("100003", "Cieślak", "PERSON_NOT_FOUND", "Brak osoby"),
    ("100004", "Dąbrowska", "PARAM_INVALID", "Pole pesel: zły format"),
    ("100005", "Ewert", "PARAM_MISSING", "Brak pola first_name"),
    ("100006", "Fik", "REJECTED", "Odrzucone"),
    ("100007", "Gołąb", "REJECTED_LATE", "Zamówienie złożone po terminie uczelni"),
    ("100008", "Hoża", "PESEL_MISMATCH", "Dane niezgodne z rejestrem PESEL"),
]


@pytest.fixture
def failed(ctx: Context, add_students) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Eight failed orders and two that did not fail."""
    add_students(*(enrolment(f"P{i}", album, "Anna", surname) for i, (album, surname, _, _) in enumerate(FAILED)),
                 enrolment("P90", "100090", "Jan", "Nowak"), enrolment("P91", "100091", "Ewa", "Bachta"))
    ids: dict[str, int] = {}
    for album, _, code, message in FAILED:
        ids[album] = order = actions.place_order(ctx, album).order_id
        mc_moves(ctx, order, S.W_TRAKCIE)
        with writing(ctx.engine) as s:
            o = s.get(Order, order)
            assert o is not None
            change_status(s, o, S.BLAD, ctx.clock.now(), Action.MC_STATUS, Actor.MC, "",
                          error_code=code, error_message=message)
    for album in ("100090", "100091"):
        ids[album] = actions.place_order(ctx, album).order_id
    return ids


def shown(ctx: Context, q: OrderQuery) -> set[int]:
    rows = find_orders(ctx, q, limit=100)
    assert count_orders(ctx, q) == len(rows)
    return {r.id for r in rows}


def test_the_filter_takes_the_start_of_a_code_in_any_case(ctx: Context, failed):  # type: ignore[no-untyped-def]
    pesel = {failed[a] for a in ("100001", "100002", "100008")}
    assert shown(ctx, OrderQuery(error_code="PESEL")) == pesel
    assert shown(ctx, OrderQuery(error_code="pesel_")) == pesel  # ending in _ (see starting_exactly)
    assert shown(ctx, OrderQuery(error_code=" Pesel_Mis ")) == pesel
    assert shown(ctx, OrderQuery(error_code="PARAM_")) == {failed["100004"], failed["100005"]}
    assert shown(ctx, OrderQuery(error_code="REJECTED")) == {failed["100006"], failed["100007"]}
    assert shown(ctx, OrderQuery(error_code="P")) == pesel | {failed[a] for a in ("100003", "100004", "100005")}
    assert shown(ctx, OrderQuery(error_code="PARAM%")) == shown(ctx, OrderQuery(error_code="PESELX")) == set()
    assert shown(ctx, OrderQuery(error_code="_")) == set()  # an underscore is itself, not any letter


def test_a_code_picked_whole_is_that_code_alone(ctx: Context, failed):  # type: ignore[no-untyped-def]
    assert shown(ctx, OrderQuery(error_code="REJECTED", error_code_whole=True)) == {failed["100006"]}
    assert shown(ctx, OrderQuery(error_code="rejected_late", error_code_whole=True)) == {failed["100007"]}
    assert shown(ctx, OrderQuery(error_code="PESEL", error_code_whole=True)) == set()


def test_the_codes_in_the_store_with_counts_and_what_each_means(ctx: Context, failed):  # type: ignore[no-untyped-def]
    counts = error_code_counts(ctx, OrderQuery())
    assert [(c.code, c.count) for c in counts] == [  # the most frequent first, then A-Z
        ("PESEL_MISMATCH", 3), ("PARAM_INVALID", 1), ("PARAM_MISSING", 1), ("PERSON_NOT_FOUND", 1),
        ("REJECTED", 1), ("REJECTED_LATE", 1)]
    by_code = {c.code: c for c in counts}
    mismatch = by_code["PESEL_MISMATCH"]
    assert mismatch.known and mismatch.meaning == MC_ERROR_CODES["PESEL_MISMATCH"].meaning
    assert mismatch.mc_message is None
    late = by_code["REJECTED_LATE"]  # unknown here: MC's own message says what happened
    assert not late.known and late.meaning == "kod nieznany tej aplikacji"
    assert late.mc_message == "Zamówienie złożone po terminie uczelni"


@pytest.mark.parametrize("query", [
    OrderQuery(),
    OrderQuery(text="anna"),
    OrderQuery(text="bachta"),
    OrderQuery(text="10000"),
    OrderQuery(statuses=frozenset({S.BLAD})),
    OrderQuery(statuses=frozenset({S.OCZEKUJE})),
    OrderQuery(error_code="PARAM"),  # the code field itself is left out of the counts
], ids=["all", "name", "one-name", "album", "failed", "waiting", "code-typed"])
def test_every_count_is_the_rows_the_list_shows_with_that_code_picked(ctx: Context, failed, query):  # type: ignore[no-untyped-def]
    counts = error_code_counts(ctx, query)
    for c in counts:
        picked = replace(query, error_code=c.code, error_code_whole=True)
        assert c.count == count_orders(ctx, picked) == len(find_orders(ctx, picked, limit=100)), c
    assert sum(c.count for c in counts) == len({
        r.id for r in find_orders(ctx, replace(query, error_code=""), limit=100) if r.error_code})


def test_no_codes_when_no_order_failed(ctx: Context, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    actions.place_order(ctx, "100001")
    assert error_code_counts(ctx, OrderQuery()) == []


def test_the_counts_and_the_prefix_go_through_the_code_index(ctx: Context, failed):  # type: ignore[no-untyped-def]
    with scans_of(ctx) as scans:
        error_code_counts(ctx, OrderQuery())
        count_orders(ctx, OrderQuery(error_code="PESEL_"))
        count_orders(ctx, OrderQuery(error_code="PESEL_MISMATCH", error_code_whole=True))
    assert scans.statements >= 4
    assert scans.found() == []


def test_a_codes_window_comes_in_the_lists_order_from_the_index(ctx: Context, failed):  # type: ignore[no-untyped-def]
    """A code many orders have (thousands at a million): the newest 40 are read from
    ix_orders_error_at in the list's order, not every one of them read and sorted. A
    beginning that stands for one code goes the same way."""
    with scans_of(ctx) as scans:
        find_orders(ctx, OrderQuery(error_code="PESEL_MISMATCH", error_code_whole=True), limit=40)
        find_orders(ctx, OrderQuery(error_code="pesel"), limit=40)
    assert scans.found() == []
    if ctx.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner sorts a table this small as it likes
    windows = [(st, p) for st, p in scans.sent if "ORDER BY orders.ordered_at DESC" in st]
    assert len(windows) == 2
    with ctx.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for statement, parameters in windows:
            plan = [row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]  # type: ignore[union-attr]
            assert any("ix_orders_error_at" in p for p in plan), plan
            assert not any("TEMP B-TREE" in p for p in plan), plan
