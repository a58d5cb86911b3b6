"""Text from data is text on every screen: a student whose name (or MC's message, or the
login, or what the clerk types) holds markup or control characters is shown literally,
nothing crashes, and no click on a name runs an action.

Every screen and dialog is opened on the hostile store of support.hostile, as the user
`LOGIN` (a hostile login too); what the terminal would receive is checked for raw
control characters on each.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette

from mleg_tui.app import MlegApp
from mleg_tui.config import Settings
from mleg_tui.domain.text import visible
from mleg_tui.screens.confirm import ConfirmDialog, RevokeDialog
from mleg_tui.screens.lookup import LookupScreen
from mleg_tui.screens.refresh import RefreshScreen
from mleg_tui.screens.student import StudentScreen
from mleg_tui.widgets.order_table import OrderTable
from support.hostile import (
    CONTROL,
    EVERYTHING,
    FAILED_ALBUM,
    LOGIN,
    NAMES,
    PENDING_ALBUM,
    SAMPLE,
    Hostile,
    build_hostile_store,
    raw_controls,
)
from support.stores import BACKENDS, PgTemplates, context_factory, isolate_env, store_sql
from support.tui import loaded, screen_text, settle, until

TODAY = "2025-09-03T10:00:00"  # the day the store's orders were placed
SIZE = (160, 50)
TALL = (160, 90)
_TEMPLATE: dict[str, Any] = {}


def _build(url: str, folder: Path) -> list[Hostile]:
    with pytest.MonkeyPatch.context() as mp:
        isolate_env(mp, folder)
        return build_hostile_store(context_factory(url), folder, url)


@pytest.fixture(params=BACKENDS)
def hostile(request: pytest.FixtureRequest, tmp_path: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Hostile]]]:
    """The hostile store (built once per session and backend, copied per test) and its students."""
    if request.param == "postgresql":
        templates: PgTemplates = request.getfixturevalue("pg_templates")
        folder = tmp_path_factory.mktemp("hostile-pg")

        def build(url: str) -> None:
            _TEMPLATE["pg"] = _build(url, folder)

        with templates.copy("hostile", build) as url:
            yield url, _TEMPLATE["pg"]
        return
    if "sqlite" not in _TEMPLATE:
        folder = tmp_path_factory.mktemp("hostile-sqlite")
        students = _build(str(folder / "template.db"), folder)
        _TEMPLATE["sqlite"] = ((folder / "template.db").read_bytes(), students)
    data, students = _TEMPLATE["sqlite"]
    (tmp_path / "store.db").write_bytes(data)
    (tmp_path / "store.db").chmod(0o600)  # as the program makes a store
    yield str(tmp_path / "store.db"), students


def make_app(store: str, **kw: Any) -> MlegApp:
    return MlegApp(Settings(db=store, today=TODAY, login=LOGIN, roles={LOGIN: "admin"}, **kw))


def norm(text: str) -> str:
    return " ".join(text.split())


def shown(app: MlegApp) -> str:
    """The screen as text, checked for raw control characters first."""
    text = screen_text(app)
    assert raw_controls(text) == [], (type(app.screen).__name__, raw_controls(text))
    return text


def said(app: MlegApp, selector: str) -> str:
    """What a Static or a Label of the current screen says, as drawn (markup read as
    markup would be gone from it)."""
    return str(app.screen.query_one(selector).render())


def running(app: MlegApp) -> bool:
    return app.is_running and app.return_code is None


async def click_along(pilot: Any, selector: str, screen_type: type, columns: range) -> None:
    """Click each column of the first line of `selector`: nothing may happen."""
    app = pilot.app
    for x in columns:
        await pilot.click(selector, offset=(x, 0))
        await pilot.pause()
        assert running(app) and isinstance(app.screen, screen_type), (x, app.screen)


async def open_student(pilot: Any, album: str) -> StudentScreen:
    app = pilot.app
    await pilot.press("l", *album, "enter")
    await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view
                and app.screen.view.album == album and app.screen.query("#history"), what=f"student {album}")
    await pilot.pause()
    return app.screen  # type: ignore[return-value]


def live_orders(store: str, students: list[Hostile]) -> list[tuple[Any, ...]]:
    ids = ",".join(str(h.current) for h in students)
    return store_sql(store, f"SELECT id, status, pending_action FROM orders WHERE id IN ({ids}) ORDER BY id")


async def test_order_list_shows_every_name_as_text(hostile: tuple[str, list[Hostile]]) -> None:
    store, students = hostile
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        pages = [shown(app)]
        assert visible(LOGIN) in pages[0]  # the header: the login is data too
        while int(table.scroll_y) + table._body_height < table.row_count:
            await pilot.press("pagedown")
            await until(pilot, lambda: table._inflight is None and all(
                i in table._rows for i in range(int(table.scroll_y),
                                                min(int(table.scroll_y) + table._body_height, table.row_count))),
                what="the page's rows")
            await settle(pilot)
            pages.append(shown(app))
        text = "\n".join(pages)
        for h in students:
            assert visible(h.name)[:10] in text, h.name


async def test_student_screens_and_their_dialogs_show_everything_as_text(
        hostile: tuple[str, list[Hostile]]) -> None:
    """Each student: the screen (name, programme, MC's message and QR text, the history's
    reason and login), the revoke dialog (a click on the name does nothing) and the
    refresh dialog naming them."""
    store, students = hostile
    before = live_orders(store, students)
    app = make_app(store)
    async with app.run_test(size=TALL) as pilot:  # the whole student on screen
        await loaded(pilot)
        for h in (students[i] for i in SAMPLE):  # one after another: the lookup works from a student
            text = NAMES[h.index]
            await open_student(pilot, h.album)
            page = norm(shown(app))
            assert f"Student: {visible(h.name)[:10]}" in page, h.name  # the title
            person = said(app, "#person")
            assert person.startswith(f"{visible(h.name)} · nr albumu {h.album}\n"), h.name
            assert f"\n  {visible(text[:64])} {visible(text)} (studia I stopnia)" in person  # programme
            assert f"Kod QR (tekst): {visible(text[:200])} (Q: pokaż do zeskanowania)\n" \
                in said(app, "#current-details"), h.name
            # (a reason is kept on one line: the service made white space single spaces)
            assert f"{visible(LOGIN)} · unieważnienie" in page, h.name
            assert f"powód: {visible(norm(text))[:20]}" in page, h.name

            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, RevokeDialog), what="revoke dialog")
            await pilot.pause()
            shown(app)
            assert said(app, ".dialog-text").startswith(f"• {visible(h.name)} ({h.album}) · "), h.name
            await click_along(pilot, ".dialog-text", RevokeDialog, range(3, 9, 3))
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, StudentScreen), what="back to the student")

            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, RefreshScreen) and not app.screen.running,
                        what="refresh dialog")
            await pilot.pause()
            shown(app)
            assert said(app, ".dialog-title") == (
                f"Aktualizacja statusów zamówień — zamówienia: {visible(h.name)} ({h.album})"), h.name
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, StudentScreen), what="back from refresh")
        assert running(app)
    assert live_orders(store, students) == before  # nothing was revoked


async def test_mc_message_and_a_pending_reason_show_as_text(hostile: tuple[str, list[Hostile]]) -> None:
    store, _ = hostile
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await open_student(pilot, FAILED_ALBUM)
        assert norm(f"Kod błędu: {visible(CONTROL[0])} — {visible(EVERYTHING)}") in norm(shown(app))
        await pilot.press("escape")
        await open_student(pilot, PENDING_ALBUM)
        assert f"powód: {visible(norm(EVERYTHING))[:200]}" in norm(shown(app))
        assert running(app)


async def test_revoke_with_a_typed_markup_reason_and_a_refresh_that_fails(
        hostile: tuple[str, list[Hostile]]) -> None:
    """A reason typed with brackets is kept and shown as typed; a refresh whose MC is
    unreachable lists every failed order with its student's name as text."""
    store, students = hostile
    h = students[NAMES.index(CONTROL[0])]
    reason = "[/] [@click=app.quit]x[/] [b]SKR-102"
    app = make_app(store, mc_url="http://127.0.0.1:9", mc_token="t", mc_max_tries=1)
    async with app.run_test(size=TALL, notifications=True) as pilot:
        await loaded(pilot)
        await open_student(pilot, h.album)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, RevokeDialog), what="revoke dialog")
        app.screen.query_one("#reason").focus()
        await pilot.press(*reason, "enter")
        await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view
                    and app.screen.view.current.pending_action, what="the revocation recorded")
        await settle(pilot)
        assert f"powód: {reason}" in norm(shown(app))  # the pane and the history, as typed
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("U")
        await until(pilot, lambda: isinstance(app.screen, RefreshScreen) and not app.screen.running,
                    what="the refresh's summary")
        shown(app)
        listed = [line for line in said(app, "#refresh-text").splitlines() if line.startswith("  UCZ-")]
        named = 0
        for line in listed:  # each failed order on a line of its own, its student's name as text
            for s in students:
                if f" ({s.album}): " in line:
                    assert f" {visible(s.name)} ({s.album}): " in line, line
                    named += 1
        assert named >= 15, listed
        assert running(app)


async def test_revoke_dialog_from_the_list_ignores_clicks_on_names(hostile: tuple[str, list[Hostile]]) -> None:
    store, students = hostile
    before = live_orders(store, students)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        for h in students[:2]:  # [@click=screen.dismiss('x')] and [@click=app.quit]
            await pilot.press("slash", *h.album, "enter")
            await until(pilot, lambda album=h.album: table.current_row is not None and table._inflight is None
                        and table.current_row.album == album and table.row_count == 3, what="the student's rows")
            while table.current_row.id != h.current:
                await pilot.press("down")
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, RevokeDialog), what="revoke dialog")
            await settle(pilot)
            shown(app)
            assert said(app, ".dialog-text").startswith(f"• {visible(h.name)} ({h.album}) · ")
            await click_along(pilot, ".dialog-text", RevokeDialog, range(2, 30, 4))
            await click_along(pilot, ".dialog-title", RevokeDialog, range(14, 40, 6))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, RevokeDialog))
            await pilot.press("u")  # the refresh dialog names the row's student
            await until(pilot, lambda: isinstance(app.screen, RefreshScreen) and not app.screen.running)
            shown(app)
            assert said(app, ".dialog-title").endswith(f"— zamówienie {visible(h.name)} ({h.album})")
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, RefreshScreen))
        assert running(app)
    assert live_orders(store, students) == before


async def test_typed_markup_and_control_text_in_the_filter(hostile: tuple[str, list[Hostile]]) -> None:
    from textual import events
    from textual.widgets import Input

    store, _ = hostile
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"[/]")
        await settle(pilot)
        assert running(app)
        for field in ("#f-from", "#f-to", "#f-err"):
            app.screen.query_one(field, Input).focus()
            await pilot.press(*"[/]")
            await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        page = norm(shown(app))
        assert "Data od: „[/]” nie jest datą" in page and "Data do: „[/]” nie jest datą" in page
        date_from = app.screen.query_one("#f-from", Input)
        date_from.value = ""
        date_from.focus()
        date_from.post_message(events.Paste("\x1b[2J\x07"))  # a paste may hold anything
        await settle(pilot)
        assert date_from.value == "\x1b[2J\x07"
        shown(app)  # the field draws it as marks
        await pilot.press("enter")
        await settle(pilot)
        assert "Data od: „␛[2J␇” nie jest datą" in norm(shown(app))
        assert running(app)


async def test_album_lookup_says_what_was_typed_as_text(hostile: tuple[str, list[Hostile]]) -> None:
    from textual import events
    from textual.widgets import Input

    store, _ = hostile
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("l", *"[/]999", "enter")  # markup that names nobody (names hold "[/]")
        await until(pilot, lambda: "Nie znaleziono" in said(app, "#lookup-message"), what="the message")
        shown(app)
        assert said(app, "#lookup-message").startswith("Nie znaleziono nikogo: „[/]999”. Wpisz")
        field = app.screen.query_one("#lookup-text", Input)
        field.value = ""
        field.post_message(events.Paste("[b]\x1b]52;c;ZWNobyBwd25lZA==\x07"))
        await settle(pilot)
        shown(app)
        await pilot.press("enter")
        await until(pilot, lambda: "ZWNob" in said(app, "#lookup-message"), what="the second message")
        shown(app)
        assert said(app, "#lookup-message").startswith("Nie znaleziono nikogo: „[b]␛]52;c;ZWNobyBwd25lZA==␇”.")
        assert isinstance(app.screen, LookupScreen) and running(app)


async def test_lookup_lists_names_as_text(hostile: tuple[str, list[Hostile]]) -> None:
    store, students = hostile
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("l", "h", "1", "enter")  # surnames H1, H10..H19: several
        await until(pilot, lambda: isinstance(app.screen, LookupScreen) and app.screen._matches, what="the list")
        await settle(pilot)
        text = shown(app)  # no raw control character reaches the terminal
        listed = {m.person_id for m in app.screen._matches}
        by_album = {h.album: h for h in students}
        for m in app.screen._matches[:5]:  # those in view
            h = by_album[m.album]
            assert f"H{h.index} {visible(NAMES[h.index])}"[:30] in text, h.name  # markup and all, as text
        assert len(listed) >= 2 and running(app)


async def test_sweep_preview_and_run_list_names_as_text(hostile: tuple[str, list[Hostile]]) -> None:
    from textual.widgets import DataTable

    store, students = hostile
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("w")
        await until(pilot, lambda: app.screen.query_one(DataTable).row_count == len(students),
                    what="the preview")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        first = norm(shown(app))
        assert f"{visible(students[0].name)}" in first
        people = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert sorted(people) == sorted(visible(h.name) for h in students)
        await pilot.click("#sweep-items", offset=(20, 2))  # on the row of [@click=app.quit]
        await settle(pilot)
        assert running(app)
        for _ in students:  # the detail line under the table: each in full
            shown(app)
            await pilot.press("down")
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm dialog")
        await pilot.click("#ok")
        await until(pilot, lambda: not app.screen.running and "-shown" in app.screen.query_one(
            "#sweep-result").classes, what="the sweep's summary")
        await settle(pilot)
        assert "czeka na potwierdzenie MC" in norm(shown(app))
        assert running(app)


async def test_help_and_the_palette_take_brackets_as_text(hostile: tuple[str, list[Hostile]]) -> None:
    store, _ = hostile
    app = make_app(store)
    async with app.run_test(size=(140, 120)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await settle(pilot)
        assert "Role (sekcja [roles] konfiguracji" in norm(shown(app))
        await pilot.press("escape", "colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"[/]")
        await settle(pilot)
        shown(app)
        await pilot.press(*"[@click=app.quit]")
        await settle(pilot)
        shown(app)
        assert running(app)


async def test_keymap_warning_names_unknown_ids_as_text(hostile: tuple[str, list[Hostile]]) -> None:
    store, _ = hostile
    app = make_app(store, keymap={"[/]": "f5", "nie\x1b[2J": "f6"})
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: "Nieznane polecenia" in screen_text(app), what="the warning")
        assert "Nieznane polecenia w sekcji [keymap]: [/], nie␛[2J" in norm(shown(app))
        assert running(app)


async def test_codes_overview_audit_and_run_reports_show_data_as_text(
        hostile: tuple[str, list[Hostile]]) -> None:
    """The screens an administrator reads (the error-code list, the overview, the audit, the
    run reports) over MC's hostile codes and messages, hostile names, a hostile login and
    reason: shown literally, nothing raw reaches the terminal, nothing runs."""
    from mleg_tui.screens.error_codes import ErrorCodePicker

    store, students = hostile
    app = make_app(store)
    async with app.run_test(size=TALL) as pilot:
        await loaded(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ErrorCodePicker) and app.screen.codes is not None,
                    what="the list of codes")
        await settle(pilot)
        text = norm(shown(app))
        for h in students:  # each one's failed order has the hostile text as MC's code
            assert norm(visible(h.name.rsplit(" ", 1)[0][:64]))[:10] in text, h.name
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")

        await pilot.press("o")
        await until(pilot, lambda: type(app.screen).__name__ == "OverviewScreen"
                    and all(s is not None for s in app.screen.sections.values()), timeout=20,
                    what="every section of the overview")
        await settle(pilot)
        overview = app.screen
        for i in range(len(overview.lines)):  # each line's detail below the list, as text
            overview.listed.highlighted = i
            await pilot.pause()
            shown(app)
        assert running(app)
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")

        await pilot.press("d")
        await until(pilot, lambda: type(app.screen).__name__ == "AuditScreen" and app.screen.lines,
                    what="the audit's first page")
        await settle(pilot)
        audit = norm(shown(app))
        assert norm(visible(LOGIN))[:10] in audit  # who revoked: the hostile login, as text
        assert running(app)
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")

        await pilot.press("w")
        await until(pilot, lambda: type(app.screen).__name__ == "SweepScreen" and app.screen.items,
                    what="the preview")
        screen = app.screen
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirm dialog")
        await pilot.click("#ok")
        await until(pilot, lambda: app.screen is screen and screen.done is not None, timeout=20,
                    what="sweep done")
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")
        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "RunsScreen" and app.screen.report is not None,
                    timeout=20, what="the runs and the newest report")
        await settle(pilot)
        report = norm(shown(app))
        assert any(norm(visible(h.name))[:10] in report for h in students), report[:400]
        assert running(app)
