"""What a clerk sees keep up with the keys (issue 15): the filter follows each key, the count
follows the rows, and a page's rows come with their status line in one frame."""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from mleg_tui.widgets.filter_bar import FilterBar
from mleg_tui.widgets.order_table import OrderTable
from support.tui import loaded, screen_text, settle, until

ROW = re.compile(r"^[ ●]\s*(\d+) \S.*\d{4}-\d{2}-\d{2}")
SHOWN = re.compile(r"Wyświetlane są elementy (\d+)\.\.(\d+) \(spośród(?: (\d+)|: liczenie…)\)")


def one_frame(app: Any) -> tuple[int | None, tuple[int, int, int | None]]:
    """What the next frame shows: the Lp. of its first row (None: not read yet) and the status line."""
    lines = screen_text(app).splitlines()
    rows = [int(m.group(1)) for line in lines if (m := ROW.match(line))]
    shown = next(m for line in lines if (m := SHOWN.search(line)))
    total = int(shown.group(3)) if shown.group(3) else None
    return (rows[0] if rows else None), (int(shown.group(1)), int(shown.group(2)), total)


async def test_a_page_and_its_status_line_come_in_one_frame(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        total = table.total
        # Each key's action, and then at once (no message handled in between) the frame
        # it makes: the status line already names the rows that frame shows.
        for key, act in (("pagedown", lambda: table.action_page(1)), ("pagedown", lambda: table.action_page(1)),
                         ("pageup", lambda: table.action_page(-1)), ("end", table.action_last),
                         ("home", table.action_first), ("down", lambda: table.action_move(1))):
            act()
            first_row, (first, last, shown_total) = one_frame(app)
            top = int(table.scroll_y)
            assert (first, shown_total) == (top + 1, total), key
            assert first_row in (None, first), key  # (rows not read yet are placeholders)
            await settle(pilot)
            first_row, (first, last, _) = one_frame(app)
            assert first_row == first, key
            if key == "end":
                assert last == total


async def test_the_filter_follows_each_key_without_a_pause(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        bar = app.screen.query_one(FilterBar)
        table = app.screen.query_one(OrderTable)
        await pilot.press("slash")
        for typed in ("k", "ko", "kow"):
            await pilot.press(typed[-1])
            assert bar.current.text == typed  # asked for at this key, not after a pause
        await until(pilot, lambda: not table.fetching and table.total is not None)
        assert table.loaded_rows() and all("kow" in r.person.lower() for r in table.loaded_rows())


async def test_a_date_being_typed_is_not_marked_wrong_at_each_key(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(250, 30)) as pilot:
        await loaded(pilot)
        date_from = app.screen.query_one(FilterBar).query_one("#f-from")
        date_from.focus()
        await pilot.press(*"31.0")
        assert not date_from.has_class("-invalid")  # not yet: the clerk is still typing it
        await until(pilot, lambda: date_from.has_class("-invalid"))  # after a pause it is


async def test_the_count_follows_the_rows_marked_as_coming(make_app, monkeypatch) -> None:
    from mleg_tui.services import orders

    held = threading.Event()
    real = orders.count_orders

    def held_count(ctx, q):  # type: ignore[no-untyped-def]
        if q.text:
            held.wait(10)
        return real(ctx, q)

    monkeypatch.setattr(orders, "count_orders", held_count)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        await pilot.press("slash", *"kow")
        # The rows are there while their count is still being made, and the line says so.
        await until(pilot, lambda: table.loaded_rows() and not table.fetching
                    and all("kow" in r.person.lower() for r in table.loaded_rows()))
        assert "(spośród: liczenie…)" in screen_text(app)
        held.set()
        await until(pilot, lambda: table.total is not None)
        await settle(pilot)
        assert f"(spośród {table.total})" in screen_text(app)


async def test_the_first_pages_are_read_before_the_store_opens(make_app, db) -> None:
    if not isinstance(db, Path):
        pytest.skip("PostgreSQL's first rows come from a worker, after the first frame")
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(OrderTable)
        # The first frame's rows come from the database driver alone; they reach three
        # screens down, so page-downs at once need not wait for the store to open.
        assert len(table.loaded_rows()) >= 3 * table.size.height
        await loaded(pilot)


async def test_end_before_the_count_goes_to_the_end_once_it_is_known(make_app, monkeypatch) -> None:
    from mleg_tui.services import orders

    held = threading.Event()
    real = orders.count_orders

    def held_count(ctx, q):  # type: ignore[no-untyped-def]
        held.wait(10)
        return real(ctx, q)

    monkeypatch.setattr(orders, "count_orders", held_count)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(OrderTable)
        await until(pilot, lambda: table.loaded_rows())
        await pilot.press("end")  # the count is not in: the end is not known yet
        assert table.total is None
        held.set()
        await until(pilot, lambda: table.total is not None)
        await settle(pilot)
        assert table.current_row is not None and table.current_row.lp == table.total
        _, (first, last, total) = one_frame(app)
        assert last == total == table.total
