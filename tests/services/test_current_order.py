"""The order that matters now, and what ran out, as every front end gets them from the
services: the student view's current order and advice, and the order list's rows (both
the ordinary read and the start screen's first rows), on both databases."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.status import Lapse
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.order_rows import first_window
from mleg_tui.services.orders import find_orders
from mleg_tui.services.status_change import change_status
from mleg_tui.services.students import student_view
from mleg_tui.store import writing
from mleg_tui.store.models import Order
from support.register import enrolment
from support.stores import mc_moves

NOW = "2025-11-20T10:00:00"  # office time; a card ordered in spring expired on 31.10.2025


def issue_codes(ctx: Context, order_id: int, valid_until: dt.datetime) -> None:
    """MC's answer for an order at MC: ready, with codes usable until `valid_until`."""
    with writing(ctx.engine) as s:
        order = s.get(Order, order_id)
        assert order is not None
        change_status(s, order, S.DO_ODBIORU, ctx.clock.now(), Action.MC_STATUS, Actor.MC, "",
                      qr_code="87aa907615be4d5e81767a4575b92725", activation_code="482913",
                      codes_valid_until=valid_until)


def rows_by_id(ctx: Context) -> dict[int, tuple[str, str]]:
    """Per order: the Status column, wide and at 80 columns, read both ways the list is read."""
    ordinary = find_orders(ctx, OrderQuery(), limit=50)
    local = ctx.engine.dialect.name == "sqlite"  # read before the first frame, or from a worker
    quick = first_window(ctx.settings, 50, ui_thread=local)
    assert quick is not None and quick.rows == ordinary
    return {r.id: (r.status_text(), r.status_text(short=True)) for r in ordinary}


def test_a_card_past_its_expiry_gives_way_to_a_newer_order(make_ctx: Callable[..., Context], add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    spring = make_ctx("2025-04-01T10:00:00")
    card = actions.place_order(spring, "100001").order_id
    mc_moves(spring, card, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)  # valid until 31.10.2025
    later = actions.place_order(make_ctx("2025-11-19T09:00:00"), "100001").order_id
    actions.cancel_order(make_ctx("2025-11-19T09:05:00"), "100001")

    ctx = make_ctx(NOW)
    view = student_view(ctx, album="100001")
    new, old = view.orders
    assert (new.id, old.id) == (later, card)
    # The newest order, though ended: the card is out, no order is in force.
    assert view.current is new and new.status is S.ANULOWANE_PRZEZ_UZYTKOWNIKA
    assert old.lapse is Lapse.CARD_EXPIRED and old.status_text() == "Odebrana (wygasła)"
    assert view.verdict.eligible and [s.code for s in view.advice] == ["MAY_ORDER"]
    payload = view.as_json()
    assert payload["current_order"] == new.order_ref
    assert payload["orders"][1]["card_expired"] and payload["orders"][1]["status_text"] == "Odebrana (wygasła)"
    assert rows_by_id(ctx)[card] == ("Odebrana (wygasła)", "Wygasła")
    assert rows_by_id(ctx)[later] == ("Anulowane przez użytkownika", "Anulowane")


def test_a_valid_card_stays_current_beside_a_newer_ended_order(make_ctx: Callable[..., Context], add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    autumn = make_ctx("2025-10-02T10:00:00")
    card = actions.place_order(autumn, "100001").order_id  # valid until 31.03.2026
    mc_moves(autumn, card, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)
    renewal = actions.place_order(make_ctx("2026-03-05T10:00:00"), "100001").order_id  # 26 days left
    actions.cancel_order(make_ctx("2026-03-05T10:01:00"), "100001", order_id=renewal)
    ctx = make_ctx("2026-03-06T10:00:00")
    view = student_view(ctx, album="100001")
    assert [o.id for o in view.orders] == [renewal, card]
    assert view.current is not None and view.current.id == card and view.current.lapse is None
    assert [s.code for s in view.advice] == ["RENEWAL"]
    assert rows_by_id(ctx)[card] == ("Odebrana", "Odebrana")


def test_expired_codes_are_marked_and_the_advice_is_to_cancel(make_ctx: Callable[..., Context], add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    october = make_ctx("2025-10-11T13:00:00")
    order = actions.place_order(october, "100001").order_id
    mc_moves(october, order, S.W_TRAKCIE)
    issue_codes(october, order, dt.datetime(2025, 11, 10, 11, 31, tzinfo=dt.UTC))
    ctx = make_ctx(NOW)
    view = student_view(ctx, album="100001")
    current = view.current
    assert current is not None and current.id == order and current.codes_expired
    assert current.status_text() == "Do odbioru (kody wygasły)"
    (step,) = view.next_steps
    assert step.code == "CODES_EXPIRED" and "musi anulować zamówienie" in step.text
    assert "poczekaj" not in " ".join(s.text for s in view.advice)
    assert rows_by_id(ctx)[order] == ("Do odbioru (kody wygasły)", "Kody wygasły")
    # The day before they ran out, nothing is marked and the advice is to add the card.
    before = student_view(make_ctx("2025-11-10T12:00:00"), album="100001")
    assert before.current is not None and before.current.lapse is None
    assert [s.code for s in before.next_steps] == ["READY"]
    assert rows_by_id(make_ctx("2025-11-10T12:00:00"))[order] == ("Do odbioru", "Do odbioru")
