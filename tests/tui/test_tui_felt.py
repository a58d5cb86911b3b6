"""What a clerk sees keep up with the keys (issue 15): the filter follows each key, the count
follows the rows, and a page's rows come with their status line in one frame."""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mleg_tui.app import MlegApp
from mleg_tui.screens.student_side import StudentSide
from mleg_tui.widgets.filter_bar import FilterBar
from mleg_tui.widgets.order_table import PERSON_MIN, OrderTable, compute_layout
from support.tui import loaded, screen_text, settings_for, settle, until

ROW = re.compile(r"^[ ●]\s*(\d+) \S.*\d{4}-\d{2}-\d{2}")
SHOWN = re.compile(r"Wyświetlane są elementy (\d+)\.\.(\d+) \(spośród(?: (\d+)|: liczenie…)\)")


def one_frame(app: Any) -> tuple[int | None, tuple[int, int, int | None]]:
    """What the next frame shows: the Lp. of its first row (None: not read yet) and the status line."""
    lines = screen_text(app).splitlines()
    rows = [int(m.group(1)) for line in lines if (m := ROW.match(line))]
    shown = next(m for line in lines if (m := SHOWN.search(line)))
    total = int(shown.group(3)) if shown.group(3) else None
    return (rows[0] if rows else None), (int(shown.group(1)), int(shown.group(2)), total)


def hold_counts(monkeypatch: pytest.MonkeyPatch, *, filtered_only: bool = False) -> threading.Event:
    """The counts (of filtered lists only, if asked) wait until the returned event is set."""
    from mleg_tui.services import orders

    held = threading.Event()
    real = orders.count_orders

    def held_count(ctx, q, **kw):  # type: ignore[no-untyped-def]
        if q.text or not filtered_only:
            held.wait(10)
        return real(ctx, q, **kw)

    monkeypatch.setattr(orders, "count_orders", held_count)
    if not filtered_only:  # the start list's count, read with its first rows
        from mleg_tui.screens import orders as screen

        real_first = screen.first_count

        def held_first(settings):  # type: ignore[no-untyped-def]
            held.wait(10)
            return real_first(settings)

        monkeypatch.setattr(screen, "first_count", held_first)
    return held


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
    held = hold_counts(monkeypatch, filtered_only=True)
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
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(OrderTable)
        if not isinstance(db, Path):  # PostgreSQL's come from a worker, after the first frame
            await until(pilot, lambda: table.loaded_rows() and app.ctx is None)
        # The first rows come from the database driver alone; they reach three screens
        # down, so page-downs at once need not wait for the store to open.
        assert len(table.loaded_rows()) >= 3 * table.size.height
        await loaded(pilot)


async def test_end_before_the_count_goes_to_the_end_once_it_is_known(make_app, monkeypatch) -> None:
    held = hold_counts(monkeypatch)
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


@pytest.fixture(scope="module")
def ten_thousand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of over 10,000 orders (the Lp. column five digits wide), SQLite: what is
    tried here is the screen, the same on either store."""
    from mleg_tui.demo.data import build_demo
    from mleg_tui.services.context import open_context

    path = tmp_path_factory.mktemp("ten-thousand") / "store.db"
    ctx = open_context(settings_for(path), role="admin")
    build_demo(ctx, students=8000, seed=1)
    ctx.engine.dispose()
    return path


async def test_a_filter_that_shrinks_the_list_leaves_the_pane_as_it_was(ten_thousand: Path) -> None:
    # Placing the pane again for the narrower Lp. laid out the whole screen and measured the
    # pane in the frame of the filter's rows (20-30 ms at a million orders), and the pane
    # jumped by a column at each filter.
    app = MlegApp(settings_for(ten_thousand, "viewer"))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table, side = app.screen.query_one(OrderTable), app.screen.query_one(StudentSide)
        assert table.total is not None and table.total >= 10_000 and table.lp_width == 5
        width = side.region.width
        surname = table.current_row.person.split()[0].lower()
        await pilot.press("slash", *surname)
        await until(pilot, lambda: not table.fetching and table.total is not None and table.total < 1000)
        await settle(pilot)
        assert table.lp_width == 3 and side.region.width == width
        assert all(surname in r.person.lower() for r in table.loaded_rows())
        assert compute_layout(table.scrollable_content_region.width, table.lp_width).person >= PERSON_MIN


@pytest.fixture
def slowed_sqlite() -> Iterator[None]:
    """Every SQLite connection opened from now on runs its statements slowly (a short sleep
    every 10 steps of SQLite's machine): each key's count is still running at the next key."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def slow() -> int:
        time.sleep(0.001)
        return 0  # go on

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_progress_handler(slow, 10)

    event.listen(Pool, "connect", on_connect)
    yield
    event.remove(Pool, "connect", on_connect)


async def test_a_filter_typed_over_slow_counts_ends_on_its_own_count_without_a_word(
        ten_thousand: Path, slowed_sqlite: None) -> None:
    # Each key stops the count and rows the key before asked for (services.interrupt): the
    # store's "interrupted" must not reach the clerk as an error, and the count shown is
    # the last filter's, not a stopped one's.
    from mleg_tui.services.context import open_context
    from mleg_tui.services.list_types import OrderQuery
    from mleg_tui.services.orders import count_orders

    settings = settings_for(ten_thousand, "viewer")
    app = MlegApp(settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        await pilot.press("slash", "a", "n", "n", "a")
        await until(pilot, lambda: not table.fetching and table.total is not None, timeout=60)
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == []
        ctx = open_context(settings)
        try:
            expected = count_orders(ctx, OrderQuery(text="anna"))
        finally:
            ctx.engine.dispose()
        assert table.total == expected > 0
        _, (_, _, shown_total) = one_frame(app)
        assert shown_total == expected


async def test_home_and_end_show_rows_read_before_the_key(ten_thousand: Path) -> None:
    # The list's first and last screens are read ahead once the count is in: End and Home
    # show their rows in the key's own frame, as page-down does, not a read later.
    app = MlegApp(settings_for(ten_thousand, "viewer"))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await settle(pilot)
        table = app.screen.query_one(OrderTable)
        for _ in range(3):  # away from the start: its rows may be gone from the cache by then
            table.action_page(1)
            await settle(pilot)
        for act, at_end in ((table.action_last, True), (table.action_first, False), (table.action_last, True)):
            act()
            first_row, (first, last, total) = one_frame(app)
            assert first_row == first, act.__name__
            assert (last == total) if at_end else (first == 1), act.__name__
            await settle(pilot)


async def test_the_pane_stands_from_the_first_frame_where_the_count_will_leave_it(
        ten_thousand: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Over 10,000 orders the Lp. column is five digits wide; before the count, the first
    # rows alone gave it three, and the count's arrival placed the pane again (the whole
    # screen and the pane laid out twice, amid the clerk's first keys).
    held = hold_counts(monkeypatch)
    app = MlegApp(settings_for(ten_thousand, "viewer"))
    async with app.run_test(size=(120, 40)) as pilot:
        table, side = app.screen.query_one(OrderTable), app.screen.query_one(StudentSide)
        await until(pilot, lambda: table.loaded_rows())
        await pilot.pause()
        assert table.total is None  # the count is not in
        before, header = side.region, lp_header(app)
        held.set()
        await until(pilot, lambda: table.total is not None)
        await settle(pilot)
        assert table.lp_width == 5 and side.region == before
        assert lp_header(app) == header  # nor did the table's columns move


def lp_header(app: MlegApp) -> str:
    return next(line for line in screen_text(app).splitlines() if "Lp." in line)


async def test_before_the_count_page_downs_in_a_row_go_a_whole_page_each(make_app, monkeypatch) -> None:
    # Until the count comes, the rows below the known ones were read one at a time: keys
    # pressed in a row found the next page not there and moved 6-10 rows instead of 17.
    held = hold_counts(monkeypatch)
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(OrderTable)
        await until(pilot, lambda: app.ctx is not None and table.loaded_rows())
        h, tops = table._body_height, []
        for _ in range(10):
            await pilot.press("pagedown")
            tops.append(int(table.scroll_y))
        assert table.total is None  # all of it before the count
        assert tops == [n * h for n in range(1, 11)]
        held.set()
        await loaded(pilot)


async def test_before_the_store_opens_each_page_down_goes_a_whole_page(make_app, db) -> None:
    # The store opens in a worker while the clerk starts (SQLAlchemy's import, giving way to
    # the keys): here it is held shut. The first rows come from the database driver alone,
    # and so do the next screens' (SQLite: at each key; PostgreSQL: many screens at once).
    # Past the rows first read, page-downs waited for the store, and stopped short where the
    # rows known ended (a page-down moved 15 rows instead of 34, before the count).
    app = make_app(role="viewer")
    app._ctx_lock.acquire()  # the store is still opening
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.screen.query_one(OrderTable)
            await until(pilot, lambda: table.loaded_rows())
            h = table._body_height
            if isinstance(db, Path):
                assert len(table.loaded_rows()) < 8 * h  # the pages below are read at each key
            for n in range(1, 9):
                await pilot.press("pagedown")
                await until(pilot, lambda n=n: (lambda row, shown: (row, shown[:2]))(*one_frame(app))
                            == (1 + n * h, (1 + n * h, (n + 1) * h)), what=f"page {n + 1}")
            assert app.ctx is None  # and the count came as the rows did
            await until(pilot, lambda: one_frame(app)[1][2] is not None, what="the count")
            app._ctx_lock.release()
            await loaded(pilot)
    finally:
        if app._ctx_lock.locked():
            app._ctx_lock.release()
