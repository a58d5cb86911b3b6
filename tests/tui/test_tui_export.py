"""The order list's export (z): the list exactly as the filter and sort show it, to a file
whose contents are checked (BOM, `;`, masking, no codes), whole PESELs only for a role that
may, each export traced; the file's name in a notification."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, Input

from mleg_tui.domain.pesel import mask
from mleg_tui.screens.export import ExportScreen
from mleg_tui.screens.orders import OrdersScreen
from mleg_tui.services.orders import iter_orders
from mleg_tui.widgets.order_table import OrderTable
from support.stores import store_sql
from support.tui import keys_of, loaded, palette_titles, settle, until


def excel(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def pesels(db: Path | str) -> dict[str, str]:
    return {album: pesel for album, pesel in store_sql(db, "SELECT album, pesel FROM person WHERE pesel IS NOT NULL")}


async def export_to(pilot: Any, path: Path, *, pesel: bool = False, json_format: bool = False) -> None:
    app = pilot.app
    await pilot.press("z")
    await until(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export dialog")
    await settle(pilot)
    if json_format:
        await pilot.click("#fmt-json")
    if pesel:
        await pilot.click("#export-pesel")
        assert app.screen.query_one("#export-pesel", Checkbox).value
    field = app.screen.query_one("#export-path", Input)
    field.value = str(path)
    field.focus()
    await pilot.press("enter")  # Enter in the file name exports
    await until(pilot, lambda: isinstance(app.screen, OrdersScreen) and path.exists(), timeout=20,
                what="the file written and the dialog gone")
    await settle(pilot)


async def test_admin_exports_the_filtered_sorted_list_with_whole_pesels_when_asked(
        make_app, service_ctx, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app("admin")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        assert keys_of(app)["z"] == "export"
        assert any("CSV lub JSON" in t for t in palette_titles(app))
        await pilot.press("slash", *"ka")
        await until(pilot, lambda: app.screen.order_query.text == "ka")
        await pilot.press("escape", "S")  # to the table; the other way round
        table = app.screen.query_one(OrderTable)
        await until(pilot, lambda: table.total is not None and not table.fetching and table.current_row)
        await settle(pilot)
        q, total, first = app.screen.order_query, table.total, table.current_row
        assert q.text == "ka" and not q.descending and 0 < total < 300
        masked, whole = tmp_path / "lista.csv", tmp_path / "pesel.csv"
        await export_to(pilot, masked)
        notes = [n.message for n in app._notifications]
        assert any(str(masked) in n and "Zapisano" in n for n in notes), notes
        await export_to(pilot, whole, pesel=True)
    rows, full = excel(masked), excel(whole)
    expected = [r.id for r in iter_orders(service_ctx, q)]
    assert [int(r["order_id"]) for r in rows] == expected and len(rows) == total
    assert int(rows[0]["order_id"]) == first.id  # the table's first row is the file's
    people = pesels(db)
    assert all(r["pesel"] == (mask(people[r["nr_albumu"]]) or "") for r in rows if r["nr_albumu"] in people)
    assert all(r["pesel"] == people.get(r["nr_albumu"], "") for r in full)
    codes = {c for (c,) in store_sql(db, "SELECT activation_code FROM orders WHERE activation_code IS NOT NULL")}
    text = masked.read_text(encoding="utf-8-sig") + whole.read_text(encoding="utf-8-sig")
    assert codes and not [c for c in codes if c in text]  # activation codes never leave
    trace = store_sql(db, "SELECT login, role, via, rows, format, pesel_unmasked, destination, filter_text "
                          "FROM access_event ORDER BY id")
    assert [t[:7] for t in trace] == [("tester", "admin", "TUI", total, "csv", False, str(masked)),
                                      ("tester", "admin", "TUI", total, "csv", True, str(whole))]
    assert trace[0][7] == "tekst „ka”; sortowanie: data zamówienia, rosnąco"


async def test_a_viewer_exports_masked_json_and_is_traced(make_app, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app("viewer")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        total = app.screen.query_one(OrderTable).total
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        assert not app.screen.query("#export-pesel")  # no whole PESELs for a viewer: not offered
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, OrdersScreen))
        out = tmp_path / "lista.json"
        await export_to(pilot, out, json_format=True)
    items = json.loads(out.read_text(encoding="utf-8"))
    assert len(items) == total and all(not o["pesel"] or o["pesel"].startswith("*******") for o in items)
    assert store_sql(db, "SELECT login, role, rows, format FROM access_event") == [("tester", "viewer", total, "json")]


async def test_a_file_that_exists_is_said_and_kept_until_replace_is_ticked(make_app, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app("operator")
    out = tmp_path / "z.csv"
    out.write_text("moje", encoding="utf-8")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        dialog = app.screen
        assert not dialog.query("#export-pesel")  # an operator: masked only
        dialog.query_one("#export-path", Input).value = str(out)
        await pilot.press("enter")
        await until(pilot, lambda: "już istnieje" in str(dialog.query_one("#export-problem").render()))
        assert app.screen is dialog and out.read_text(encoding="utf-8") == "moje"
        await pilot.press("tab", "space")  # the next field: Zastąp istniejący plik
        assert dialog.query_one("#export-overwrite", Checkbox).value
        dialog.query_one("#export-path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, OrdersScreen), timeout=20)
    assert len(excel(out)) > 0
    assert [t[0] for t in store_sql(db, "SELECT rows FROM access_event")] == [len(excel(out))]


async def test_a_set_opened_from_the_overview_exports_exactly_that_set(make_app, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mleg_tui.screens.overview import OverviewScreen

    app = make_app("admin")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("o")
        screen = await until(pilot, lambda: isinstance(app.screen, OverviewScreen) and app.screen)
        await until(pilot, lambda: all(s is not None for s in screen.sections.values()), what="every section")
        label = "Kody do odbioru już wygasły (student anuluje i zamawia ponownie)"
        index = next(i for i, line in enumerate(screen.lines) if line.label == label)
        screen.listed.highlighted = screen.listed.get_option_index(screen.line_ids[index])
        count = screen.lines[index].count
        await pilot.pause()
        await pilot.press("enter")
        table = await until(pilot, lambda: isinstance(app.screen, OrdersScreen) and app.screen.query_one(OrderTable))
        await until(pilot, lambda: table.total == count and not table.fetching, what=f"the list's count {count}")
        await settle(pilot)
        out = tmp_path / "kody.csv"
        await export_to(pilot, out)
    rows = excel(out)
    assert count > 0 and len(rows) == count
    assert {r["status_tekst"] for r in rows} == {"Do odbioru (kody wygasły)"}
    ((text,),) = store_sql(db, "SELECT filter_text FROM access_event")
    assert text.startswith("zbiór z przeglądu: do odbioru, kody wygasły")


async def test_with_no_store_the_export_says_so_and_makes_neither_store_nor_file(tmp_path: Path) -> None:
    from mleg_tui.app import MlegApp
    from support.tui import settings_for

    app = MlegApp(settings_for(tmp_path / "literowka.db"))
    out = tmp_path / "z.csv"
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("z")
        dialog = await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen)
        dialog.query_one("#export-path", Input).value = str(out)
        await pilot.press("enter")
        await until(pilot, lambda: "Nie ma jeszcze magazynu" in str(dialog.query_one("#export-problem").render()),
                    what="the no-store line in the dialog")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("literowka", "z.", ".z."))) == []


async def test_the_audit_list_exports_its_whole_filtered_log_traced_as_the_audit(make_app, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app("admin")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("d")
        await until(pilot, lambda: type(app.screen).__name__ == "AuditScreen" and app.screen.lines,
                    what="the audit's first page")
        audit = app.screen
        assert keys_of(app)["z"] == "export"
        audit.query_one("#audit-student").focus()
        await pilot.press(*"100007", "enter")
        await until(pilot, lambda: audit.lines and {a.album for a in audit.lines} == {"100007"} and not audit.loading)
        await settle(pilot)
        shown = [a.event_id for a in audit.lines]
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen))
        field = app.screen.query_one("#export-path", Input)
        assert Path(field.value).name.startswith("dziennik-")
        out = tmp_path / "dziennik.csv"
        field.value = str(out)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is audit and out.exists(), timeout=20)
    rows = excel(out)
    assert len(rows) == len(shown) > 0 and {r["nr_albumu"] for r in rows} == {"100007"}
    ((source, n, text),) = store_sql(db, "SELECT source, rows, filter_text FROM access_event")
    assert (source, n) == ("AUDIT", len(shown)) and "100007" in text
