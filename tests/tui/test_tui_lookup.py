"""The help desk finds anyone: `l`, then an album number, a name, a PESEL, an order
reference or the QR text, Enter. One match opens the student; several are listed to pick
from with the keyboard; none is said, with what can be typed."""
from __future__ import annotations

from mleg_tui.screens.lookup import LookupScreen
from mleg_tui.screens.orders import OrdersScreen
from mleg_tui.screens.student import StudentScreen
from support.stores import store_sql
from support.tui import loaded, screen_text, settle, until


async def lookup(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("l", *text, "enter")


async def student(pilot) -> StudentScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view, what="student")
    await settle(pilot)
    return app.screen


def flat(app) -> str:  # type: ignore[no-untyped-def]
    return " ".join(screen_text(app).split())


async def test_by_name_in_any_order_without_diacritics(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await lookup(pilot, "karolina bacht")
        screen = await student(pilot)
        assert screen.view.album == "1234336607"
        await pilot.press("escape")
        await lookup(pilot, "zofia wojcik")  # Zofia Wójcik: no orders
        screen = await student(pilot)
        assert screen.view.album == "100001" and screen.view.orders == ()
        assert "Student nie składał zamówień." in flat(app)


async def test_a_student_without_album_is_found_by_name(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await lookup(pilot, "szymanski grzegorz")
        screen = await student(pilot)
        assert screen.view.album is None and screen.view.name == "Grzegorz Szymański"
        assert "bez numeru albumu" in flat(app) or "brak numeru albumu" in flat(app)


async def test_by_pesel_order_reference_and_qr_text(make_app, db, service_ctx) -> None:
    from mleg_tui.services.students import student_view

    ((pesel,),) = store_sql(db, "SELECT pesel FROM person WHERE album = ?", "100006")
    karolina = student_view(service_ctx, album="1234336607")
    ref, qr = karolina.orders[-1].order_ref, karolina.current.qr_code
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        for text, album in ((pesel, "100006"), (ref.lower(), "1234336607"), (qr, "1234336607")):
            await lookup(pilot, text)
            screen = await student(pilot)
            assert screen.view.album == album, text
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, OrdersScreen))


async def test_several_are_listed_and_picked_with_the_keyboard(make_app, service_ctx) -> None:
    from mleg_tui.services.students import find_students

    expected = find_students(service_ctx, "kowal", limit=21)
    assert 2 <= len(expected) <= 20
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await lookup(pilot, "kowal")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen) and app.screen._matches, what="list")
        await settle(pilot)
        text = flat(app)
        assert f"Znalezione osoby: {len(expected)}." in text
        first, second = expected[0], expected[1]
        assert f"{first.last_name} {first.first_name} · {first.album or 'bez albumu'}" in text
        assert first.pesel_masked is None or first.pesel_masked in text  # masked, never whole
        await pilot.press("down", "enter")  # the second one
        screen = await student(pilot)
        assert screen.view.person_id == second.person_id
        await pilot.press("escape")  # back to the list, for the next one
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await pilot.press("escape")  # back to the field
        assert app.screen.focused is app.screen.field
        await pilot.press(*"ewa", "enter")  # typing replaces the text: "ewa" alone
        await until(pilot, lambda: isinstance(app.screen, StudentScreen) or "Znalezione" in flat(app)
                    or "Pierwsze" in flat(app), what="new search")


async def test_nothing_found_says_what_can_be_typed_and_never_a_whole_pesel(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await lookup(pilot, "90010112345")
        message = app.screen.query_one("#lookup-message")
        await until(pilot, lambda: "Nie znaleziono nikogo" in str(message.render()), what="said")
        await settle(pilot)
        said = " ".join(str(message.render()).split())
        assert "90010112345" not in said and "„*******2345”" in said  # the field keeps it as typed
        assert "nazwisko i imię" in said and "cały PESEL" in said and "(np. UCZ-000123)" in said
        assert isinstance(app.screen, LookupScreen)  # still open for the next try
