"""Cancel at the student's request, from the order list and the student screen: a dialog
naming the order, recorded as the student's cancellation under the staff login."""
from __future__ import annotations

from mleg_tui.domain.events import Actor
from mleg_tui.domain.status import OrderStatus
from mleg_tui.screens.confirm import ConfirmDialog
from mleg_tui.widgets.order_table import OrderTable
from support.tui import keys_of, loaded, palette_titles, screen_text, settle, until


async def goto_live_row(pilot) -> OrderTable:  # type: ignore[no-untyped-def]
    table = pilot.app.screen.query_one(OrderTable)
    while not (table.current_row.status.is_live and not table.current_row.pending_action):
        await pilot.press("down")
        await settle(pilot)
    return table


def cancelled_by_student(service_ctx, person_id: int, order_id: int) -> None:  # type: ignore[no-untyped-def]
    from mleg_tui.services.students import student_view

    order = next(o for o in student_view(service_ctx, person_id=person_id).orders if o.id == order_id)
    assert (order.status is OrderStatus.ANULOWANE_PRZEZ_UZYTKOWNIKA
            or order.pending_action == "CANCEL"), order
    event = order.events[-1]
    assert event.actor_kind is Actor.STUDENT and event.actor == "tester"
    assert event.reason == "na prośbę studenta"
    assert "student (wprowadził tester)" == event.who


async def test_operator_cancels_at_the_students_request_from_the_list(make_app, service_ctx) -> None:
    app = make_app(role="operator")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = await goto_live_row(pilot)
        row = table.current_row
        assert keys_of(app).get("a") == "cancel"
        assert any("na prośbę studenta" in t for t in palette_titles(app))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        text = " ".join(screen_text(app).split())
        assert "Anulować zamówienie na prośbę studenta?" in text and row.order_ref in text
        assert row.person in text and "Anulowane przez użytkownika" in text
        assert app.focused.id == "cancel"  # a stray Enter changes nothing
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await settle(pilot)
        assert table.current_row.id == row.id and table.current_row.status is row.status

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        app.screen.query_one("#ok").focus()
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))
        await settle(pilot)
        await until(pilot, lambda: table.current_row and table.current_row.id == row.id and (
            table.current_row.status is OrderStatus.ANULOWANE_PRZEZ_UZYTKOWNIKA
            or table.current_row.pending_action == "CANCEL"), what="row updated")
        assert "a" not in keys_of(app)  # nothing left to cancel on this row
    cancelled_by_student(service_ctx, row.person_id, row.id)


async def test_cancel_from_the_student_screen(make_app, service_ctx) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        row = (await goto_live_row(pilot)).current_row
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "StudentScreen"
                    and app.screen.view is not None)
        screen = app.screen
        current = screen.view.current
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert current.order_ref in screen_text(app)
        app.screen.query_one("#ok").focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen and screen.view is not None
                    and screen.view.current is not None
                    and any(o.id == current.id and (o.status is OrderStatus.ANULOWANE_PRZEZ_UZYTKOWNIKA
                                                    or o.pending_action == "CANCEL")
                            for o in screen.view.orders), what="the order cancelled")
        assert any(n.title == "Anulowanie na prośbę studenta" and current.order_ref in n.message
                   for n in app._notifications)
    cancelled_by_student(service_ctx, row.person_id, current.id)


async def test_viewer_has_no_cancel_key(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await goto_live_row(pilot)
        assert "cancel" not in keys_of(app, enabled=False).values()
        assert not any("na prośbę studenta" in t for t in palette_titles(app))
        await pilot.press("a")
        await settle(pilot)
        assert type(app.screen).__name__ == "OrdersScreen"
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "StudentScreen")
        assert "cancel" not in keys_of(app, enabled=False).values()
