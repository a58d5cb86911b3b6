"""Keys typed in a burst (a barcode scanner, a paste, tmux send-keys) all arrive, in order,
where the keys before them sent the user: into a dialog still being opened, into the
filter just focused. Sent here as a terminal sends them: all queued at once."""
from __future__ import annotations

from mleg_tui.screens.lookup import LookupScreen
from mleg_tui.screens.orders import OrdersScreen
from mleg_tui.screens.student import StudentScreen
from support.tui import burst, loaded, screen_text, settle, until


async def student_shown(pilot, album: str | None) -> StudentScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view
                and app.screen.view.album == album, what=f"student {album}")
    await settle(pilot)
    return app.screen


async def test_lookup_typed_in_one_burst_opens_the_student(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        burst(app, "l", *"1234336607", "enter")
        screen = await student_shown(pilot, "1234336607")
        assert screen.view.name == "Karolina Bachta"
        # Back, and again by name, and a key after Enter goes to the student (Esc: back).
        burst(app, "escape", "l", *"bachta karolina", "enter", "escape")
        await until(pilot, lambda: isinstance(app.screen, OrdersScreen) and len(app.screen_stack) == 1,
                    what="back on the list")
        assert not any(isinstance(s, LookupScreen) for s in app.screen_stack)


async def test_filter_typed_in_one_burst_gets_every_letter(make_app) -> None:
    """`/wojcik`, `/walczak`: the `w` went to the list (the sweep's key) before the filter
    had the focus."""
    app = make_app(role="admin")  # one who has the sweep on `w`
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        burst(app, "/", *"walczak")
        await until(pilot, lambda: app.screen.query_one("#f-text").value == "walczak", what="filter text")
        assert isinstance(app.screen, OrdersScreen)  # no sweep opened
        await until(pilot, lambda: app.screen.order_query.text == "walczak", what="filter applied")
        await loaded(pilot)
        assert "Walczak" in screen_text(app)
        names = {r.person for r in app.screen.table._rows.values()}
        assert names and all("Walczak" in n for n in names)


async def test_keys_typed_before_the_filter_fields_are_mounted_reach_them(make_app) -> None:
    """The filter's fields come a frame after the first rows: `/` and a name typed in
    that frame (a scanner at the start) wait for them, and none goes to the list."""
    app = make_app(role="admin")  # `w` is the sweep's key on the list
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.screen.query("#f-text")  # not mounted yet: this is that window
        burst(app, "/", *"walczak")
        await until(pilot, lambda: app.screen.query("#f-text")
                    and app.screen.query_one("#f-text").value == "walczak", what="filter text")
        assert isinstance(app.screen, OrdersScreen) and app.screen.query_one("#f-text").has_focus
        await until(pilot, lambda: app.screen.order_query.text == "walczak", what="filter applied")


async def test_a_name_pasted_before_the_filter_fields_are_mounted_lands_in_them(make_app) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.screen.query("#f-text")
        burst(app, paste="kowalska")
        burst(app, *" marta")
        await until(pilot, lambda: app.screen.query("#f-text")
                    and app.screen.query_one("#f-text").value == "kowalska marta", what="pasted, typed on")


async def test_a_name_pasted_after_slash_lands_in_the_filter(make_app) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        burst(app, "/", paste="Wójcik")
        await until(pilot, lambda: app.screen.query_one("#f-text").value == "Wójcik", what="pasted")
        assert isinstance(app.screen, OrdersScreen)


async def test_a_name_pasted_on_the_list_lands_in_the_filter(make_app) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        burst(app, paste="kowalska")
        field = app.screen.query_one("#f-text")
        await until(pilot, lambda: field.value == "kowalska" and field.has_focus, what="pasted")
        burst(app, *" marta")  # typing on goes on in the field
        await until(pilot, lambda: field.value == "kowalska marta", what="typed on")


async def test_pilot_presses_without_pauses_reach_the_dialog(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("l", *"100001", "enter")
        await student_shown(pilot, "100001")
        await pilot.press("escape", "slash", *"walczak")
        await until(pilot, lambda: isinstance(app.screen, OrdersScreen)
                    and app.screen.query_one("#f-text").value == "walczak", what="filter text")
