"""The error codes in the order list: the start of a code typed, or one picked from the list
of the codes in the store with their counts; each count is the rows the list then shows."""
from __future__ import annotations

from dataclasses import replace

from mleg_tui.domain.numbers import whole
from mleg_tui.screens.error_codes import ErrorCodePicker
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import count_orders, error_code_counts
from mleg_tui.widgets.filter_bar import FilterBar
from mleg_tui.widgets.order_table import OrderTable
from support.tui import burst, loaded, screen_text, settle, until


async def picker(pilot) -> ErrorCodePicker:  # type: ignore[no-untyped-def]
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ErrorCodePicker) and app.screen.codes is not None,
                what="the list of codes")
    await settle(pilot)
    return app.screen


async def test_the_codes_in_the_store_with_counts_and_meanings_and_one_picked(make_app, service_ctx) -> None:
    expected = error_code_counts(service_ctx, OrderQuery())
    assert len(expected) >= 2  # the demo has failed orders of several codes
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        await pilot.press("e")
        shown = await picker(pilot)
        assert shown.codes == expected
        text = screen_text(app)
        for c in expected:
            assert f"{c.code} · {whole(c.count)} · " in text
        mismatch = next(c for c in expected if c.code == "PESEL_MISMATCH")
        assert mismatch.meaning[:40] in text  # domain.mc_errors says what it means
        await pilot.press("down", "enter")  # the second most frequent
        second = expected[1]
        bar = app.screen.query_one(FilterBar)
        await until(pilot, lambda: table.total == second.count and not table.fetching, what="the list of that code")
        assert bar.query_one("#f-err").value == second.code
        assert bar.current.error_code_whole
        assert {r.error_code for r in table.loaded_rows()} == {second.code}
        assert app.focused is table


async def test_down_in_the_code_field_opens_the_list_and_typing_a_start_filters(make_app, service_ctx) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        bar = app.screen.query_one(FilterBar)
        field = bar.query_one("#f-err")
        field.focus()
        await pilot.press(*"pesel")
        await until(pilot, lambda: bar.current.error_code == "PESEL" and not table.fetching, what="filtered")
        await settle(pilot)
        prefix = count_orders(service_ctx, OrderQuery(error_code="PESEL"))
        assert prefix and table.total == prefix
        assert not bar.current.error_code_whole
        await pilot.press("down")
        await picker(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is field and field.value == "pesel"  # nothing changed
        bar.query_one("#f-text").focus()
        await pilot.press("down")  # in another field ↓ opens nothing
        await settle(pilot)
        assert not isinstance(app.screen, ErrorCodePicker)


async def test_counts_follow_the_rest_of_the_filter(make_app, service_ctx) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        bar = app.screen.query_one(FilterBar)
        bar.query_one("#f-status").value = "BLAD"
        await until(pilot, lambda: bar.current.statuses and not table.fetching, what="failed only")
        await settle(pilot)
        await pilot.press("e")
        shown = await picker(pilot)
        assert shown.codes == error_code_counts(service_ctx, bar.current)
        assert "które pokazuje filtr" in screen_text(app)
        first = shown.codes[0]
        await pilot.press("enter")
        await until(pilot, lambda: table.total == first.count and not table.fetching, what="the code's rows")
        assert table.total == count_orders(service_ctx, replace(bar.current, error_code=first.code,
                                                                  error_code_whole=True))


async def test_e_and_enter_in_one_burst_pick_the_most_frequent_code(make_app, service_ctx) -> None:
    first = error_code_counts(service_ctx, OrderQuery())[0]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        burst(app, "e", "enter")
        await until(pilot, lambda: table.total == first.count and not table.fetching, what="picked")
        assert app.screen.query_one(FilterBar).query_one("#f-err").value == first.code
