"""The run reports (r) and the audit (d) from the keyboard (issue 13): the sweep's done view
keeps what it revoked, the runs list shows each run's report, the audit filters by
student, action and dates, and only an administrator has it."""
from __future__ import annotations

from mleg_tui.screens.confirm import ConfirmDialog
from support.tui import keys_of, loaded, palette_titles, screen_text, settle, until


def _field(app, id_: str):  # type: ignore[no-untyped-def]
    return app.screen.query_one(f"#{id_}")


async def test_the_sweep_keeps_what_it_revoked_and_its_report_can_be_reviewed(make_app) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("w")
        await until(pilot, lambda: type(app.screen).__name__ == "SweepScreen" and app.screen.items)
        screen = app.screen
        found = [(i.person, i.album) for i in screen.items]
        assert ("Ewa Lewandowska", "100007") in found
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("tab", "enter")
        await until(pilot, lambda: app.screen is screen and screen.done is not None, timeout=20, what="sweep done")
        await settle(pilot)
        text = screen_text(app)
        assert "nikt nie stracił uprawnień" not in text
        assert "Wynik uruchomienia" in text and "Ewa Lewandowska" in text and "czeka na potwierdzenie MC" in text
        assert "t" not in keys_of(app, enabled=False)  # it has run: nothing to run again from here
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")

        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "RunsScreen" and app.screen.report is not None,
                    timeout=20, what="the runs and the newest report")
        await settle(pilot)
        runs = app.screen.runs
        assert len(runs) == 1 and runs[0].kind.label == "skrypt unieważniający" and runs[0].actor == "tester"
        text = screen_text(app)
        assert "Raport nr 1: skrypt unieważniający — zakończona" in text
        assert "Uruchomił: tester (pracownik, z aplikacji)" in text
        assert f"Zamówienia ({len(found)}):" in text and "Ewa Lewandowska (100007)" in text
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")


async def test_the_runs_list_of_a_store_without_runs_says_so(make_app) -> None:
    app = make_app(role="viewer")  # anyone may read the reports
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "r" in keys_of(app) and "d" not in keys_of(app, enabled=False)
        assert not any("Kto co zrobił" in t for t in palette_titles(app))
        await pilot.press("r")
        await until(pilot, lambda: "Brak raportów" in screen_text(app), what="no reports")


async def test_the_audit_filters_by_student_action_and_dates(make_app) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert any("Kto co zrobił" in t for t in palette_titles(app))
        await pilot.press("d")
        await until(pilot, lambda: type(app.screen).__name__ == "AuditScreen" and app.screen.lines,
                    what="the audit's first page")
        screen = app.screen
        assert len(screen.lines) == 100 and screen.more  # a page at a time
        whens = [a.key for a in screen.lines]
        assert whens == sorted(whens, reverse=True)  # newest first

        await pilot.press("slash")
        assert _field(app, "audit-login").has_focus
        _field(app, "audit-student").focus()
        await pilot.press(*"100007", "enter")
        await until(pilot, lambda: screen.lines and {a.album for a in screen.lines} == {"100007"},
                    what="the student's events")
        assert screen.query_one("DataTable").has_focus
        actions = [a.event.action.value for a in screen.lines]
        assert "PLACED" in actions and not screen.more

        _field(app, "audit-action").focus()
        await pilot.press(*"unieważnienie", "enter")
        await until(pilot, lambda: not screen.loading)
        await settle(pilot)
        assert all(a.event.action.value == "REVOKED" for a in screen.lines)

        _field(app, "audit-from").focus()
        await pilot.press(*"31.02.2025", "enter")
        await until(pilot, lambda: "nie ma takiego dnia" in screen_text(app), what="the bad date said")
        await pilot.press("escape")  # from the field to the table
        assert screen.query_one("DataTable").has_focus
        await pilot.press("escape")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")


async def test_an_operator_has_no_audit(make_app) -> None:
    app = make_app(role="operator")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "d" not in keys_of(app, enabled=False)
        await pilot.press("d")
        await settle(pilot)
        assert type(app.screen).__name__ == "OrdersScreen"


async def test_the_audit_shows_a_viewers_export_beside_the_events(make_app, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mleg_tui.config import Settings
    from mleg_tui.services.context import open_context
    from mleg_tui.services.export import export_orders
    from mleg_tui.services.list_types import OrderQuery
    from mleg_tui.services.types import ExportOptions
    from support.tui import TODAY

    out = tmp_path / "zamowienia.csv"
    viewer = open_context(Settings(db=str(db), today=TODAY, login="przeglad", roles={"przeglad": "viewer"}),
                          role="viewer")
    written = export_orders(viewer, OrderQuery(text="100007"), out, ExportOptions(), via="TUI").rows
    app = make_app(role="admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("d")
        await until(pilot, lambda: type(app.screen).__name__ == "AuditScreen" and app.screen.lines,
                    what="the audit's first page")
        await settle(pilot)
        screen = app.screen
        first = screen.lines[0]  # the newest: the demo's events are older
        assert first.access is not None and first.who == "przeglad" and first.access.rows == written
        text = screen_text(app)
        assert "przeglad" in text and "eksport listy zamówie" in text
        detail = str(screen.query_one("#audit-detail").render())  # the line under the cursor, in full
        assert detail == first.line() and detail.endswith(f" · plik: {out}")
        assert " · przeglad · eksport listy zamówień (CSV, " in detail and "PESEL zamaskowany, z aplikacji" in detail

        await pilot.press("z")  # the admin's own export of the audit: on top once written
        await until(pilot, lambda: type(app.screen).__name__ == "ExportScreen")
        app.screen.query_one("#export-path").value = str(tmp_path / "dziennik.csv")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen and not screen.loading and screen.lines
                    and screen.lines[0].who == "tester", timeout=20, what="the audit's own export on top")
        assert screen.lines[0].what().startswith("eksport dziennika zdarzeń (CSV, ")
        assert screen.lines[1].who == "przeglad"

        _field(app, "audit-action").focus()
        await pilot.press(*"eksport", "enter")
        await until(pilot, lambda: not screen.loading and screen.lines
                    and all(a.access is not None for a in screen.lines), what="the exports only")
        assert [a.who for a in screen.lines] == ["tester", "przeglad"]
        _field(app, "audit-action").value = ""
        _field(app, "audit-student").focus()
        await pilot.press(*"100007", "enter")
        await until(pilot, lambda: not screen.loading and screen.lines
                    and {a.album for a in screen.lines} == {"100007"}, what="the student's events, no export")
        await settle(pilot)
        assert "eksporty pominięte" in str(screen.query_one("#audit-status").render())
