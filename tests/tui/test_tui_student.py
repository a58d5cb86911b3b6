"""The help desk's stories: album lookup, every reason and what to do, the QR code,
revealing the activation code, and an order followed from OCZEKUJE to DO_ODBIORU."""
from __future__ import annotations

from mleg_tui.domain.dates import pl_date
from mleg_tui.domain.eligibility import REASON_TEXTS
from mleg_tui.screens.confirm import ConfirmDialog
from mleg_tui.screens.lookup import LookupScreen
from mleg_tui.screens.student import StudentScreen
from mleg_tui.widgets.qr_view import QRView, qr_matrix
from support.tui import eligible_album, keys_of, loaded, screen_text, settle, until

BIG = (130, 90)  # tall enough that the whole student fits on screen


async def open_student(pilot, album: str) -> StudentScreen:
    await pilot.press("l", *album, "enter")  # three keystrokes plus the number
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view, what="student")
    await settle(pilot)
    return app.screen


async def test_lookup_of_a_student_who_may_not_order_shows_every_reason(make_app, service_ctx) -> None:
    from mleg_tui.services.students import student_view

    view = student_view(service_ctx, album="100007")
    assert len(view.verdict.reasons) >= 2
    app = make_app(role="viewer")  # the help desk
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        await open_student(pilot, "100007")
        text = " ".join(screen_text(app).split())
        assert "Ewa Lewandowska · nr albumu 100007" in text
        assert "✘ NIE MOŻE ZAMÓWIĆ" in text
        for reason in view.verdict.reasons:
            assert " ".join(reason.text.split()) in text
        for step in view.advice:  # what to do: about the strike-off, and revoking the card
            assert " ".join(step.text.split()) in text
        assert "PESEL: *******" in text  # masked
        assert "Historia zamówień (1)" in text
        assert "złożenie zamówienia" in text and "student" in text


async def test_planned_expiry_is_told_only_to_a_student_who_may_order(make_app, service_ctx) -> None:
    """Figure 4 gives the date; figure 6 (brak zdjęcia) gives none, even though the
    student's programme would set one: the help desk must not read out a date for a card
    that cannot be ordered."""
    from mleg_tui.domain.dates import pl_date
    from mleg_tui.services.students import student_view

    no_photo, may = student_view(service_ctx, album="100001"), student_view(service_ctx, album="100006")
    assert not no_photo.verdict.eligible and no_photo.verdict.planned_expiry
    assert may.verdict.eligible and may.verdict.planned_expiry
    app = make_app(role="viewer")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        await open_student(pilot, "100001")
        text = " ".join(screen_text(app).split())
        assert "brak zdjęcia" in text and "Planowana data ważności" not in text
        await pilot.press("escape")
        await open_student(pilot, "100006")
        text = " ".join(screen_text(app).split())
        assert f"Planowana data ważności mLegitymacji: {pl_date(may.verdict.planned_expiry)}" in text


async def test_every_reason_of_a_student_without_album(make_app, service_ctx) -> None:
    from mleg_tui.services.students import student_view

    view = student_view(service_ctx, person_id=9)
    app = make_app(role="viewer")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        app.push_screen(StudentScreen(person_id=9))
        await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view)
        await settle(pilot)
        text = " ".join(screen_text(app).split())
        for code in ("NO_ENTITLING_PROGRAMME", "NO_PESEL", "NO_PHOTO", "NO_ALBUM"):
            assert REASON_TEXTS[code] in text
            assert " ".join(view.step_for(code).split()) in text
        assert "Student nie składał zamówień." in text


async def test_unknown_album_is_said_in_the_prompt(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("l", *"999999", "enter")
        await until(pilot, lambda: "Nie znaleziono nikogo: „999999”." in screen_text(app))
        assert isinstance(app.screen, LookupScreen)  # still open for the next try
        await pilot.press(*"100001", "enter")  # the wrong number is selected: typing replaces it
        await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view)
        assert app.screen.view.album == "100001"
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")


async def test_lookup_key_works_from_the_filter_field(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"kow")  # typing in the filter: `l` would be a letter
        await pilot.press("ctrl+f")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))


async def test_qr_code_is_drawn_scannable_with_its_text(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        screen = await open_student(pilot, "1234336607")
        current = screen.view.current
        assert current.status.value == "DO_ODBIORU" and current.qr_code
        qr = screen.query_one(QRView)
        assert screen.qr == qr_matrix(current.qr_code)
        matrix = screen.qr
        assert not any(matrix[0]) and not any(row[0] for row in matrix)  # quiet zone
        line = qr.render_line(3)  # black on white whatever the theme
        colours = {(s.style.color.name, s.style.bgcolor.name) for s in line}
        assert colours <= {("#000000", "#000000"), ("#000000", "#ffffff"),
                           ("#ffffff", "#000000"), ("#ffffff", "#ffffff")}
        text = screen_text(app)
        assert current.qr_code in text
        assert "Kod aktywacyjny: ukryty" in text  # a viewer cannot reveal it
        assert "K" not in keys_of(app, enabled=False)  # not even greyed out


async def test_qr_code_is_drawn_compactly_where_the_first_screen_has_room(make_app) -> None:
    """Two modules a cell, a 2-module light quiet zone: a version-2 code (the demo's 32
    characters) in 29 cells by 15 rows, beside the current order, when the history still
    starts on the first screen (120x40); at 80x24 it does not, and Q draws it."""
    from mleg_tui.widgets.student_pane import StudentPane

    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        screen = await open_student(pilot, "1234336607")
        assert len(screen.qr) == 29 and len(screen.qr[0]) == 29
        await until(pilot, lambda: screen.query_one(StudentPane).qr_drawn, what="QR drawn")
        await settle(pilot)
        qr = screen.query_one(QRView)
        assert (qr.size.width, qr.size.height) == (29, 15)
        assert qr.region.bottom < 40 - 1 and "Historia zamówień (2)" in screen_text(app)


async def test_first_screen_at_80x24_has_everything_but_the_qr_drawing(make_app) -> None:
    from mleg_tui.screens.student import QRDialog
    from mleg_tui.widgets.student_pane import StudentPane

    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = await open_student(pilot, "1234336607")
        view = screen.view
        assert not screen.query_one(StudentPane).qr_drawn
        text = " ".join(screen_text(app).split())  # the first screen only: nothing scrolled
        assert "✘ NIE MOŻE ZAMÓWIĆ" in text
        for reason in view.verdict.reasons:
            assert " ".join(reason.text.split()) in text
        for step in view.advice:
            assert " ".join(step.text.split()) in text
        assert f"Bieżące zamówienie {view.current.order_ref}" in text
        assert f"{view.current.qr_code} (Q: pokaż do zeskanowania)" in text
        assert "Historia zamówień (2)" in text and f"{view.orders[0].order_ref} · " in text

        await pilot.press("Q")
        await until(pilot, lambda: isinstance(app.screen, QRDialog), what="QR dialog")
        await settle(pilot)
        qr = app.screen.query_one(QRView)
        assert qr.region.height == 15 and qr.region.bottom <= 24
        assert view.current.qr_code in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)


async def test_expired_codes_are_said(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        screen = await open_student(pilot, "100009")
        assert screen.view.current.codes_expired
        assert "KODY WYGASŁY" in screen_text(app)
        assert not screen.query(QRView)  # an expired code is not offered for scanning


async def test_operator_reveals_the_activation_code_and_it_is_recorded(make_app, service_ctx) -> None:
    from mleg_tui.services.students import student_view

    app = make_app(role="operator")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        screen = await open_student(pilot, "1234336607")
        assert "klawisz K: pokaż" in screen_text(app)
        await pilot.press("K")  # asks first; Cancel has the focus
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Pokazać kod aktywacyjny?" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        assert not screen.codes
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        app.screen.query_one("#ok").focus()
        await pilot.press("enter")
        order_id = screen.view.current.id
        await until(pilot, lambda: order_id in screen.codes and screen.view.current.events[-1].action.value
                    == "CODE_REVEALED", what="reveal")
        await settle(pilot)
        code = screen.codes[order_id]
        text = screen_text(app)
        assert f"Kod aktywacyjny: {code}" in text
        assert "odsłonięcie kodu aktywacyjnego" in text
        assert keys_of(app).get("K") is None  # revealed: nothing more to reveal
    events = student_view(service_ctx, album="1234336607").current.events
    assert events[-1].action.value == "CODE_REVEALED" and events[-1].actor == "tester"


async def test_order_followed_from_placed_to_ready_with_qr(make_app, service_ctx, sim) -> None:
    from mleg_tui.screens.refresh import RefreshScreen
    from mleg_tui.services.actions import place_order

    album = eligible_album(service_ctx)
    place_order(service_ctx, album)
    app = make_app(role="operator", mc_url=sim.url, mc_token="tok-test")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        screen = await open_student(pilot, album)
        assert screen.view.current.status.value == "OCZEKUJE"
        assert "Bieżące zamówienie UCZ-" in screen_text(app) and "OCZEKUJE" in screen_text(app)

        async def refresh_once() -> None:
            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, RefreshScreen) and not app.screen.running,
                        timeout=20, what="refresh")
            assert "Zakończono." in screen_text(app)
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is screen)
            await settle(pilot)

        await refresh_once()
        assert screen.view.current.status.value == "W_TRAKCIE"
        assert not screen.query(QRView)
        sim.advance(10)
        await refresh_once()
        current = screen.view.current
        assert current.status.value == "DO_ODBIORU"
        assert screen.query_one(QRView) and screen.qr == qr_matrix(current.qr_code)
        text = screen_text(app)
        assert "DO ODBIORU" in text and current.qr_code in text
        assert "Oczekuje → W trakcie" in text and "W trakcie → Do odbioru" in text


async def test_history_tells_a_fixed_today_from_the_real_time_of_writing(make_app, service_ctx) -> None:
    """The tests' `today` is fixed (20.11.2025 10:00): an event written now is shown at
    that business time, and as dated by the setting, with the day it was really written;
    the demo's generated history has no real time and is shown as it is."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from mleg_tui.services import actions

    actions.revoke_student(service_ctx, "100007", "skreślenie z listy studentów")
    app = make_app(role="viewer")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        await open_student(pilot, "100007")
        text = " ".join(screen_text(app).split())
    real_day = pl_date(dt.datetime.now(ZoneInfo("Europe/Warsaw")).date())
    assert "20.11.2025, 10:00:00" in text  # the history: the detail's style, to the second
    assert f"data ustalona ustawieniem today, zapisano naprawdę {real_day}" in text
    assert text.count("zapisano naprawdę") == 1  # the generated events are not marked


def test_an_event_too_long_for_its_line_wraps_under_its_own_text() -> None:
    from rich.console import Console
    from rich.text import Text

    from mleg_tui.widgets.student_pane import EventLines

    console = Console(width=48, record=True, color_system=None)
    console.print(EventLines([
        ("  9.08.2025, 10:01:02", Text("student · anulowanie · Do odbioru → Anulowane przez użytkownika · "
                                         "powód: na prośbę studenta")),
        ("  19.11.2025, 22:20:09", Text("system MC · przekazanie")),
    ]))
    lines = console.export_text().splitlines()
    assert lines[0].startswith("  9.08.2025, 10:01:02  student · anulowanie")
    text_at = lines[0].index("student")  # one column for every event: the widest time's
    assert lines[-1].index("system MC") == text_at
    continued = lines[1:-1]
    assert len(continued) >= 2 and all(len(line) <= 48 for line in lines)
    assert all(line[:text_at].strip() == "" and line[text_at] != " " for line in continued)
    assert "".join(line.strip() + " " for line in [lines[0][text_at:], *continued]).split() == (
        "student · anulowanie · Do odbioru → Anulowane przez użytkownika · powód: na prośbę studenta").split()
