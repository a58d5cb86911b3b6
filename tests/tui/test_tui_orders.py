"""The orders screen: the virtual table, the filter (bad dates too), sorting, marks."""
from __future__ import annotations

import subprocess
import sys

from mleg_tui.widgets.filter_bar import FilterBar
from mleg_tui.widgets.order_table import (
    CACHE_ROWS,
    PERSON_MIN,
    OrderTable,
    compute_layout,
    narrowest_width,
)
from support.tui import loaded, screen_text, settle, until


def test_first_frame_needs_no_store_modules() -> None:
    """The app and its first screen import without SQLAlchemy, SQLModel, httpx or qrcode:
    the store opens in a worker after the first frame."""
    code = ("import sys, mleg_tui.app, mleg_tui.screens.orders; "
            "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'httpx', 'qrcode', 'aiohttp') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_layout_shrinks_osoba_first() -> None:
    wide = compute_layout(200, 4)
    assert wide.date_fmt.endswith("%S") and not wide.short
    mid = compute_layout(118, 4)
    assert not mid.short and mid.person >= PERSON_MIN  # full status words at 120 columns
    assert mid.err >= len("DUPLICATE_ACTIVE_CARD")  # ... and every MC code whole
    for lp in (3, 4, 7):  # up to a million orders
        narrow = compute_layout(79, lp)
        assert narrow.short and narrow.person >= PERSON_MIN and narrow.err >= 4
        total = 1 + lp + 1 + narrow.person + 1 + 10 + 1 + narrow.date + 1 + narrow.status + 1 \
            + narrow.expiry + 1 + narrow.err
        assert total <= 79
    # Beside the student pane the table may be narrower still: the codes go, Osoba stays.
    beside = compute_layout(narrowest_width(3), 3)
    assert beside.person == PERSON_MIN and beside.err == 0


async def test_osoba_keeps_17_characters_at_80_columns(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        long = next(r.person for r in table.loaded_rows() if len(r.person) > PERSON_MIN)
        text = screen_text(app)
    assert long[:PERSON_MIN] in text, text


async def test_table_reads_windows_not_everything(make_app, monkeypatch) -> None:
    from mleg_tui.services import orders

    calls: list[dict] = []
    real = orders.find_orders

    def spy(ctx, q, **kw):  # type: ignore[no-untyped-def]
        calls.append(kw)
        return real(ctx, q, **kw)

    monkeypatch.setattr(orders, "find_orders", spy)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        total = table.total
        assert total and total > 100
        assert len(table.loaded_rows()) < total  # a window, not the list
        assert "Wyświetlane są elementy 1..17 (spośród" in screen_text(app)
        await settle(pilot)  # the list's last screen is read ahead once the count is in
        assert any(r.lp == total for r in table.loaded_rows())
        jumps = [c for c in calls if c.get("offset")]
        # The end, by offset, once (none if read before the store opened, as the first rows)
        assert len(jumps) <= 1
        assert all(j["after"] is None and j["before"] is None for j in jumps)
        await pilot.press("end")
        await until(pilot, lambda: table.current_row is not None and table.current_row.lp == total)
        await pilot.press("pageup", "pageup", "pageup")
        await settle(pilot)
        assert calls[-1]["before"] is not None  # reading back from a row we have: keyset
        assert table.current_row.lp == total - 3 * table._body_height
        assert f"(spośród {total})" in screen_text(app)
        await pilot.press("home", "pagedown")
        await settle(pilot)
        assert len(table.loaded_rows()) <= CACHE_ROWS


async def test_filter_by_name_ignores_case_and_diacritics(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(250, 30)) as pilot:  # wide: the table's line shows it whole
        await loaded(pilot)
        await pilot.press("slash", *"LUKASZ zolkiewski")
        await until(pilot, lambda: app.screen.query_one(OrderTable).total == 1)
        await settle(pilot)
        text = screen_text(app)
        assert "Łukasz Żółkiewski" in text
        assert "Wyświetlane są elementy 1..1 (spośród 1)" in text
        await pilot.press("enter")  # back to the table, then Enter opens the student
        await pilot.press("enter")
        await until(pilot, lambda: "Łukasz Żółkiewski · nr albumu 100003" in screen_text(app))


async def test_bad_dates_are_marked_not_fatal(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(250, 30)) as pilot:  # wide: the table's line shows it whole
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        total = table.total
        bar = app.screen.query_one(FilterBar)
        date_from = bar.query_one("#f-from")
        date_from.focus()
        await pilot.press(*"31.02.2025")
        await until(pilot, lambda: date_from.has_class("-invalid"))
        await until(pilot, lambda: "Data od: „31.02.2025”: nie ma takiego dnia" in screen_text(app))
        assert "pominięto w filtrze" in screen_text(app)
        await settle(pilot)
        assert table.total == total  # the bad date is left out, the list stays
        for _ in range(10):
            await pilot.press("backspace")
        await pilot.press(*"1.11.2025")
        await until(pilot, lambda: not date_from.has_class("-invalid"))
        await until(pilot, lambda: table.total is not None and table.total < total)
        date_to = bar.query_one("#f-to")
        date_to.focus()
        await pilot.press(*"2025-10-01")  # before "from"
        await until(pilot, lambda: date_to.has_class("-invalid"))
        # Once drawn (the class and the line change at once; the frame comes after).
        await until(pilot, lambda: "data „do” jest wcześniejsza niż „od”" in screen_text(app))
        await pilot.press(*"xx")  # junk never crashes either
        await settle(pilot)
        assert app.is_running


async def test_sort_by_a_column_chosen_directly(make_app) -> None:
    from mleg_tui.screens.sort_picker import SortPicker

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        await pilot.press("s")  # the picker lists every column, by number
        await until(pilot, lambda: isinstance(app.screen, SortPicker))
        text = screen_text(app)
        for name in ("1  Osoba", "2  Nr albumu", "3  Data zamówienia", "4  Status",
                     "5  Data ważności", "6  Kod błędu"):
            assert name in text
        await pilot.press("6")
        await loaded(pilot)
        assert table.sort == "error_code"
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SortPicker))
        await pilot.press("escape")  # no change
        await loaded(pilot)
        assert table.sort == "error_code"
        await pilot.press("s", "home", "enter")  # arrows and Enter: Osoba
        await loaded(pilot)
        assert table.sort == "person"
        names = [r.person.split()[-1] for r in table.loaded_rows()[:5]]
        assert "▼" not in screen_text(app).splitlines()[3]
        await pilot.press("S")
        await loaded(pilot)
        assert table.descending
        assert "▼Osoba" in screen_text(app)
        assert [r.person.split()[-1] for r in table.loaded_rows()[:5]] != names


async def test_marks_survive_filtering(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        screen = app.screen
        await pilot.press("space", "space")
        assert len(screen.marks) == 2
        assert "zaznaczone: 2" in screen_text(app)
        await pilot.press("slash", *"1234336607", "enter")
        await loaded(pilot)
        assert len(screen.marks) == 2
        assert "zaznaczone: 2 (w tym ukryte przez filtr: 2)" in screen_text(app)
        await pilot.press("x")
        await until(pilot, lambda: "RevokeDialog" in type(app.screen).__name__)
        assert "2 zaznaczone zamówienia (w tym ukryte przez filtr: 2)" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("c")
        await settle(pilot)
        assert not screen.marks and "zaznaczone" not in screen_text(app)


async def test_no_color_keeps_the_words(make_app, monkeypatch) -> None:
    from textual.filter import Monochrome, NoColor

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.no_color and any(isinstance(f, (Monochrome, NoColor)) for f in app._filters)
        text = screen_text(app)
        rows = app.screen.query_one(OrderTable).loaded_rows()[:5]
        for row in rows:
            assert row.status.label.split()[0] in text  # the status in words, not colour alone


def test_polish_plurals_and_durations() -> None:
    from mleg_tui.domain.dates import duration
    from mleg_tui.widgets.fmt import orders

    assert [orders(n) for n in (1, 2, 5, 12, 22, 25)] == [
        "1 zamówienie", "2 zamówienia", "5 zamówień", "12 zamówień", "22 zamówienia", "25 zamówień"]
    assert duration(None) == "—" and duration(65) == "1:05" and duration(3725) == "1:02:05"


def test_qr_half_blocks_keep_every_module() -> None:
    from mleg_tui.widgets.qr_view import QUIET_ZONE, half_block_lines, qr_matrix

    m = qr_matrix("87aa907615be4d5e81767a4575b92725")
    assert len(m) == len(m[0]) == 25 + 2 * QUIET_ZONE  # version 2: fits 80x24 in 17 lines
    cells = half_block_lines(m)
    back = [[top for top, _ in line] for line in cells], [[bottom for _, bottom in line] for line in cells]
    rebuilt = [row for pair in zip(*back) for row in pair][: len(m)]
    assert rebuilt == m


async def test_qr_survives_no_color(monkeypatch) -> None:
    """NO_COLOR strips every colour, so black-on-white cells would all look alike: the QR
    is then drawn with glyphs in reverse video, and every module is still there."""
    from textual.app import App, ComposeResult

    from mleg_tui.widgets.qr_view import QRView, qr_matrix

    monkeypatch.setenv("NO_COLOR", "1")
    m = qr_matrix("87aa907615be4d5e81767a4575b92725")
    glyph = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield QRView(m)

    app = One()
    async with app.run_test(size=(80, 24)):
        view = app.query_one(QRView)
        lines = [view.render_line(y) for y in range((len(m) + 1) // 2)]
        assert all(seg.style and seg.style.reverse for line in lines for seg in line)
        cells = [[glyph[c] for c in line.text] for line in lines]
    rebuilt = [[cell[half] for cell in line] for line in cells for half in (0, 1)][: len(m)]
    assert rebuilt == m


async def test_an_empty_store_says_so_and_how_to_fill_it(tmp_path) -> None:
    """No orders and no filter: not "nothing matches the filter" but what to do."""
    from mleg_tui.app import MlegApp
    from mleg_tui.services.context import open_context
    from support.tui import settings_for

    # An empty store (the TUI makes none: see the next test).
    open_context(settings_for(tmp_path / "empty.db"), role="admin").engine.dispose()
    app = MlegApp(settings_for(tmp_path / "empty.db", role="viewer"))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(OrderTable)
        await until(pilot, lambda: table.total == 0 and "Baza nie" in screen_text(app), what="the count")
        text = screen_text(app)
        assert "Baza nie zawiera jeszcze żadnych zamówień" in text
        assert "mleg-tui import PLIK.csv" in text and "mleg-tui demo-data" in text
        assert "Brak zamówień spełniających warunki filtru" not in text
        await pilot.press("slash", *"kowalski")
        await until(pilot, lambda: "Brak zamówień spełniających warunki filtru" in screen_text(app),
                    what="the filter's own message")
        assert "Baza nie zawiera" not in screen_text(app)


async def test_on_a_path_with_no_store_it_says_so_and_makes_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from mleg_tui.app import MlegApp
    from support.tui import settings_for

    db = tmp_path / "literowka.db"
    app = MlegApp(settings_for(db))
    async with app.run_test(size=(250, 30)) as pilot:  # wide: the table's line shows it whole
        await pilot.press("p")  # the table alone (the student pane beside it says the same)

        def notice() -> str | None:
            text = " ".join(screen_text(app).split())
            return text if "Nie ma jeszcze magazynu" in text else None

        text = await until(pilot, notice, what="the no-store notice")
        assert "mleg-tui import" in text and "demo-data" in text
    assert list(tmp_path.glob("literowka*")) == []
