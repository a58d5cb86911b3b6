"""Keys a clerk can trust: the activation code only after a question and never once the
codes expired, one key that clears the whole filter, quitting during a bulk job asks
first, and a key that cannot act says why."""
from __future__ import annotations

from mleg_tui.screens.confirm import ConfirmDialog
from mleg_tui.screens.refresh import RefreshScreen
from mleg_tui.screens.student import StudentScreen
from mleg_tui.widgets.filter_bar import FilterBar
from mleg_tui.widgets.order_table import OrderTable
from support.tui import keys_of, loaded, screen_text, settle, until


def said(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


async def open_student(pilot, album: str) -> StudentScreen:  # type: ignore[no-untyped-def]
    await pilot.press("l", *album, "enter")
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view, what="student")
    await settle(pilot)
    return app.screen


async def test_expired_codes_are_never_revealed(make_app, service_ctx) -> None:
    import pytest

    from mleg_tui.errors import UserError
    from mleg_tui.services.actions import reveal_activation_code

    app = make_app(role="operator")
    async with app.run_test(size=(130, 90)) as pilot:
        await loaded(pilot)
        screen = await open_student(pilot, "100009")
        assert screen.view.current.codes_expired
        assert "klawisz K" not in screen_text(app)
        await pilot.press("K")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog) and not screen.codes
        assert any("wygasły" in m and "anulować" in m for m in said(app))
        order_id = screen.view.current.id
    with pytest.raises(UserError, match="wygasły"):
        reveal_activation_code(service_ctx, order_id)


async def test_one_key_clears_every_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        total = table.total
        assert "C" not in keys_of(app, enabled=False)  # nothing to clear yet
        await pilot.press("slash", *"kow", "tab", "tab", "tab", *"01.01.2025")
        bar = app.screen.query_one(FilterBar)
        bar.query_one("#f-status").value = "live"
        bar.query_one("#f-err").value = "PESEL"
        bar.apply()
        await pilot.press("escape")
        await until(pilot, lambda: table.total is not None and table.total < total, what="filtered")
        await settle(pilot)
        await pilot.press("C")
        await until(pilot, lambda: table.total == total, what="the whole list")
        assert all(not f.value for f in bar.query("Input"))
        assert bar.query_one("#f-status").value == "all"
        assert "C" not in keys_of(app, enabled=False)


async def test_a_key_that_cannot_act_says_why(make_app) -> None:
    app = make_app(role="operator")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        while table.current_row.status.is_live:
            await pilot.press("down")
            await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert any(table.current_row.order_ref in m and "nie ma czego" in m for m in said(app))
        await pilot.press("space", "space", "x")
        await settle(pilot)
        assert any("jedno zamówienie naraz" in m for m in said(app))
        assert type(app.screen).__name__ == "OrdersScreen"


async def test_quitting_during_a_bulk_refresh_asks_first(make_app, service_ctx) -> None:
    from mleg_tui.demo.run import _live_at_mc
    from mleg_tui.simulator.server import start_simulator

    sim = start_simulator(seed=5, token="tok-test", latency_ms=150, jitter=0)
    sim.preload(_live_at_mc(service_ctx))
    try:
        app = make_app(role="operator", mc_url=sim.url, mc_token="tok-test", mc_concurrency=1)
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await pilot.press("U")
            await until(pilot, lambda: isinstance(app.screen, RefreshScreen))
            refresh = app.screen
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            assert "Zakończyć program?" in screen_text(app)
            assert "aktualizacja statusów w MC" in " ".join(screen_text(app).split())
            await pilot.press("enter")  # Wróć has the focus
            await until(pilot, lambda: app.screen is refresh)
            assert app.is_running and refresh.running
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            app.screen.query_one("#ok").focus()
            await pilot.press("enter")
            await until(pilot, lambda: not app.is_running, timeout=20, what="quit")
            assert refresh.cancel.is_set()
    finally:
        sim.stop()
