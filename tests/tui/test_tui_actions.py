"""Actions and roles: revoke with a reason, what a viewer cannot even see, bulk refresh
cancelled midway, the sweep with its preview, palette entries and the keymap."""
from __future__ import annotations

import itertools

import pytest

from mleg_tui.screens.confirm import ConfirmDialog, RevokeDialog
from mleg_tui.screens.refresh import RefreshScreen
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.order_table import OrderTable
from support.tui import eligible_album, keys_of, loaded, palette_titles, screen_text, settle, until

DESTRUCTIVE = {"revoke", "refresh", "refresh_all", "sweep", "reveal"}


def footer(app) -> str:  # type: ignore[no-untyped-def]
    return app.screen.query_one(KeyBar).plain


async def goto_live_row(pilot) -> OrderTable:  # type: ignore[no-untyped-def]
    table = pilot.app.screen.query_one(OrderTable)
    while not (table.current_row.status.is_live and not table.current_row.pending_action):
        await pilot.press("down")
        await settle(pilot)
    return table


async def test_operator_revokes_an_order_with_a_reason(make_app, service_ctx) -> None:
    from mleg_tui.services.students import student_view

    app = make_app(role="operator")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = await goto_live_row(pilot)
        row = table.current_row
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, RevokeDialog))
        assert app.focused.id == "cancel"  # Cancel first: a stray Enter changes nothing
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, RevokeDialog))
        await settle(pilot)
        assert table.current_row.status == row.status

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, RevokeDialog))
        app.screen.query_one("#reason").focus()
        await pilot.press("enter")  # no reason: refused in place
        await until(pilot, lambda: "Podaj powód unieważnienia." in screen_text(app))
        assert isinstance(app.screen, RevokeDialog)
        await pilot.press(*"skreślenie SKR-102", "enter")
        await until(pilot, lambda: not isinstance(app.screen, RevokeDialog))
        await settle(pilot)
        await until(pilot, lambda: table.current_row and table.current_row.id == row.id and (
            table.current_row.status.value == "UNIEWAZNIONE_PRZEZ_UCZELNIE"
            or table.current_row.pending_action == "REVOKE"), what="row updated")
    view = student_view(service_ctx, person_id=row.person_id)
    order = next(o for o in view.orders if o.id == row.id)
    event = order.events[-1]
    assert event.reason == "skreślenie SKR-102" and event.actor == "tester"


async def test_viewer_has_no_destructive_action_at_all(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await goto_live_row(pilot)
        actions = set(keys_of(app, enabled=False).values())
        assert not actions & DESTRUCTIVE  # no key at all, not even greyed out
        assert "Unieważnij" not in footer(app) and "Aktualizuj" not in footer(app)
        titles = " ".join(palette_titles(app))
        assert "Unieważnij" not in titles and "Aktualizuj" not in titles and "Skrypt" not in titles
        assert "Znajdź studenta: album, nazwisko, PESEL, nr zamówienia, kod QR" in titles
        await pilot.press("x", "u", "U", "w")
        await settle(pilot)
        assert type(app.screen).__name__ == "OrdersScreen"  # nothing opened
        assert "podgląd" in app.sub_title
        # ... and the keys say why, not nothing
        said = [str(n.message) for n in app._notifications]
        assert any("tester (podgląd) nie może wykonać tej czynności" in t and "[roles]" in t for t in said), said


async def test_read_only_forces_viewer(make_app) -> None:
    app = make_app(role="admin", read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert not set(keys_of(app, enabled=False).values()) & DESTRUCTIVE
        assert "tylko podgląd" in app.sub_title


async def test_operator_cannot_bulk_revoke_admin_can(make_app) -> None:
    app = make_app(role="operator")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("space", "space")
        assert "x" in keys_of(app, enabled=False) and "x" not in keys_of(app)  # greyed out
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, RevokeDialog)
    app = make_app(role="admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("space", "space", "x")
        await until(pilot, lambda: isinstance(app.screen, RevokeDialog))
        assert "2 zaznaczone zamówienia (w tym ukryte przez filtr: 0)" in screen_text(app)


async def test_every_action_in_footer_and_palette_for_admin(make_app) -> None:
    app = make_app(role="admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("space")  # with a mark, "Odznacz" is shown too
        bar = footer(app)
        titles = palette_titles(app)
        for word in ("Student", "Filtr", "Zaznacz", "Odznacz", "Sortuj", "Odwróć", "Aktualizuj",
                     "Aktualizuj wszystkie", "Unieważnij", "Skrypt", "Znajdź", "Pomoc", "Wyjście"):
            assert word in bar
        assert any("Aktualizuj statusy zamówień" in t for t in titles)
        assert any("Skrypt unieważniający" in t for t in titles)
        assert all(b.id for b in app.screen.BINDINGS)  # every binding can be remapped


def test_the_keymap_knows_every_binding_id_and_tells_the_unknown() -> None:
    from mleg_tui.keymap import binding_ids, unknown_ids

    ids = binding_ids()  # the app's, every screen's and every widget's
    assert {"lookup", "orders.revoke", "student.reveal", "dialog.cancel", "refresh.stop",
            "sweep.run", "table.up", "orders.open", "filter.leave"} <= ids
    assert unknown_ids({"orders.revoke": "v", "filter.leave": "f2", "nonsense": "z"}) == ["nonsense"]


async def test_the_list_under_a_refresh_shows_what_it_changed(make_app, service_ctx, sim) -> None:
    """Before the refresh's dialog is closed, the list behind it has re-read what changed."""
    from mleg_tui.domain.status import OrderStatus
    from mleg_tui.services.actions import place_order

    placed = place_order(service_ctx, eligible_album(service_ctx))
    app = make_app(role="operator", mc_url=sim.url, mc_token="tok-test")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        assert table.current_row.id == placed.order_id  # the newest order, at the top
        assert table.current_row.status is OrderStatus.OCZEKUJE
        await pilot.press("U")
        await until(pilot, lambda: isinstance(app.screen, RefreshScreen) and not app.screen.running,
                    timeout=20, what="refresh")
        await until(pilot, lambda: not table.fetching and table.current_row.status is OrderStatus.W_TRAKCIE,
                    what="the list re-read")
        assert isinstance(app.screen, RefreshScreen)  # still open: the list followed it


async def test_keymap_remaps_a_binding(make_app) -> None:
    app = make_app(role="admin", keymap={"orders.revoke": "v", "nonsense": "z"})
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await goto_live_row(pilot)
        assert keys_of(app).get("v") == "revoke" and "x" not in keys_of(app, enabled=False)
        assert "v Unieważnij" in footer(app)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, RevokeDialog))


async def test_help_lists_keys_statuses_and_reasons(make_app) -> None:
    from mleg_tui.domain.eligibility import REASON_TEXTS
    from mleg_tui.domain.status import OrderStatus

    app = make_app(role="operator")
    async with app.run_test(size=(140, 120)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await settle(pilot)
        text = " ".join(screen_text(app).split())
        assert "Zaznacz bieżący wiersz albo usuń zaznaczenie" in text
        assert "orders.refresh_all U Aktualizuj statusy zamówień" in text  # the id a [keymap] entry names
        assert "Skrypt unieważniający" not in text and "orders.sweep" not in text  # an operator has no sweep
        for s in OrderStatus:
            assert s.label in text and " ".join(s.meaning.split()) in text
        for reason in REASON_TEXTS.values():
            assert reason in text
        assert "Scroll" not in text and "Focus" not in text  # no English leftovers
        await pilot.press("question_mark")
        await until(pilot, lambda: type(app.screen).__name__ == "OrdersScreen")


async def test_help_at_80_columns_reads_as_paragraphs_with_ids_only_for_keymap(make_app) -> None:
    """80 columns wide (and tall enough to see it whole): what to do about each reason is a
    paragraph across the screen, not a narrow column; the binding ids stand only in the
    [keymap] section at the end."""
    from mleg_tui.domain.advice import GENERAL_STEPS
    from mleg_tui.domain.eligibility import REASON_TEXTS

    app = make_app()
    async with app.run_test(size=(80, 160)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await settle(pilot)
        lines = [line.rstrip() for line in screen_text(app).splitlines()]
    keymap = lines.index(" Dla zmieniających klawisze ([keymap])")
    before, after = "\n".join(lines[:keymap]), "\n".join(lines[keymap:])
    assert "orders." not in before and "table." not in before and "[" + "lookup" not in before
    assert " orders.revoke" in after and " lookup, lookup_anywhere" in after
    assert " x          Unieważnij bieżące lub zaznaczone zamówienia (z powodem)" in before
    assert " Ctrl+Q, q  Zakończ program" in before  # keys as a keyboard writes them
    for code, reason in REASON_TEXTS.items():
        at = lines.index(f" {reason}")
        paragraph = list(itertools.takewhile(lambda line: line.startswith("   "), lines[at + 1:]))
        assert paragraph[0].startswith("   Co zrobić: "), lines[at:at + 3]
        assert " ".join(" ".join(paragraph).split()) == f"Co zrobić: {' '.join(GENERAL_STEPS[code].split())}"
        # Wrapped at the screen's width: every line but the paragraph's last is long.
        assert all(len(line) > 60 for line in paragraph[:-1]), paragraph


async def test_refresh_without_mc_says_what_to_set(make_app) -> None:
    app = make_app(role="operator")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("U")
        await until(pilot, lambda: isinstance(app.screen, RefreshScreen) and not app.screen.running)
        assert "Nie skonfigurowano adresu MC" in " ".join(screen_text(app).split())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RefreshScreen))


@pytest.fixture
def slow_sim(service_ctx):  # type: ignore[no-untyped-def]
    from mleg_tui.demo.run import _live_at_mc
    from mleg_tui.simulator.server import start_simulator

    handle = start_simulator(seed=5, token="tok-test", latency_ms=150, jitter=0)
    handle.preload(_live_at_mc(service_ctx))
    yield handle
    handle.stop()


async def test_bulk_refresh_cancelled_midway(make_app, slow_sim, service_ctx, db) -> None:
    app = make_app(role="operator", mc_url=slow_sim.url, mc_token="tok-test", mc_concurrency=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("U")
        await until(pilot, lambda: isinstance(app.screen, RefreshScreen))
        screen = app.screen
        bar = screen.query_one("#refresh-bar")
        await until(pilot, lambda: bar.progress and bar.progress > 0, timeout=20, what="progress")
        assert "zmienione:" in screen_text(app) and "pozostało:" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not screen.running, timeout=20, what="stop")
        summary = screen.summary
        assert summary.cancelled and summary.done < summary.total
        if summary.changed:  # what MC said is recorded under the login that asked
            from support.stores import store_sql

            assert store_sql(db, "SELECT DISTINCT actor FROM order_event WHERE actor_kind = 'MC' "
                                 "AND recorded_at IS NOT NULL") == [("tester",)]
        text = " ".join(screen_text(app).split())
        assert "Przerwano" in text and "Aktualizacja statusów" in text
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RefreshScreen))
        await settle(pilot)
        assert app.is_running


async def test_sweep_preview_then_run(make_app, service_ctx) -> None:
    from mleg_tui.services.students import student_view

    app = make_app(role="admin")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("w")
        await until(pilot, lambda: type(app.screen).__name__ == "SweepScreen" and app.screen.items is not None)
        await settle(pilot)
        screen = app.screen
        text = screen_text(app)
        assert "Podgląd (nic jeszcze nie zmieniono)" in text and "Ewa Lewandowska" in text
        n = len(screen.items)
        assert n >= 1
        assert student_view(service_ctx, album="100007").current.status.value == "ODEBRANA"
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # Cancel has the focus
        await until(pilot, lambda: app.screen is screen)
        assert student_view(service_ctx, album="100007").current.status.value == "ODEBRANA"
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("tab", "enter")
        await until(pilot, lambda: app.screen is screen and not screen.running and screen.items == [],
                    timeout=20, what="sweep done")
        assert "Skrypt unieważniający: znaleziono" in screen_text(app)
    current = student_view(service_ctx, album="100007").current
    assert current.status.value == "UNIEWAZNIONE_PRZEZ_UCZELNIE" or current.pending_action == "REVOKE"
    # The revocation names the sweep and the login that started it from the TUI.
    last = current.events[-1]
    assert (last.actor_kind.value, last.actor) == ("SWEEP", "tester")
    assert last.who == "skrypt unieważniający (uruchomił tester)"


async def test_operator_has_no_sweep(make_app) -> None:
    app = make_app(role="operator")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "w" not in keys_of(app, enabled=False)
        assert not any("Skrypt" in t for t in palette_titles(app))


async def test_palette_runs_an_action(make_app) -> None:
    from textual.command import CommandPalette

    app = make_app(role="admin")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: CommandPalette.is_open(app))
        await pilot.press(*"skrypt")
        await pilot.pause(0.6)  # the palette searches after a short pause
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "SweepScreen")
