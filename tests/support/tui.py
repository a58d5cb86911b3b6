"""The TUI tests' helpers: the demo store's settings (seeded, with a fixed instant, so
snapshots are stable), waiting for the app (workers done, rows loaded, columns sized),
and what the terminal shows. The fixtures (a demo store per test, the app) are in
tests/tui/conftest.py.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mleg_tui.app import MlegApp
from mleg_tui.config import Settings

TODAY = "2025-11-20T10:00:00"
SEED = 7
STUDENTS = 200


def settings_for(db: Path | str, role: str | None = "admin", **kw: Any) -> Settings:
    roles = {"tester": role} if role else {}
    return Settings(db=str(db), today=TODAY, login="tester", roles=roles, **kw)


def build_demo_store(db: Path | str) -> None:
    from mleg_tui.demo.data import build_demo
    from mleg_tui.services.context import open_context

    ctx = open_context(settings_for(db), role="admin")
    build_demo(ctx, students=STUDENTS, seed=SEED)
    ctx.engine.dispose()  # SQLite: one self-contained file; PostgreSQL: an idle template


def eligible_album(ctx: Any) -> str:
    """A student who may order now (the demo's rules leave most with a valid card)."""
    from mleg_tui.services.list_types import OrderQuery
    from mleg_tui.services.orders import iter_orders
    from mleg_tui.services.students import student_view

    return next(r.album for r in iter_orders(ctx, OrderQuery())
                if r.album and student_view(ctx, album=r.album).verdict.eligible)


async def until(pilot: Any, cond: Callable[[], Any], timeout: float = 8.0, what: str = "") -> Any:
    """Let the app run until `cond()` is truthy (workers finish, messages land)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = cond()
        except Exception:  # noqa: BLE001 - widget not there yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.03)


async def loaded(pilot: Any) -> None:
    """The orders screen shows rows and knows their total."""
    from mleg_tui.widgets.order_table import OrderTable

    app = pilot.app
    await until(pilot, lambda: app.ctx is not None, what="context")
    table = app.screen.query_one(OrderTable)
    await until(pilot, lambda: table.total is not None and table.current_row is not None
                and not table.fetching, what="rows and count")
    await pane_caught_up(pilot)
    await settle(pilot)


async def pane_caught_up(pilot: Any) -> None:
    """The student pane beside the list (where there is one) shows the cursor's student."""
    from mleg_tui.screens.student_side import StudentSide
    from mleg_tui.widgets.order_table import OrderTable
    screen = pilot.app.screen
    side = next(iter(screen.query(StudentSide)), None)
    if side is None or not side.display:
        return
    table = screen.query_one(OrderTable)
    await until(pilot, lambda: side.person_id == side.wanted == table.current_row.person_id
                and side.view is not None, what="the student pane")


async def settle(pilot: Any) -> None:
    """Every worker done and every message handled."""
    from textual.worker import WorkerCancelled

    app = pilot.app
    for _ in range(3):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # replaced by a newer one: it ends on its own
            pass
        await pilot.pause()
    # A DataTable sizes its columns on an idle event: on a busy machine that can come
    # after the pauses above, and a snapshot would catch headers-wide columns.
    from textual.widgets import DataTable

    def sized(t: DataTable[Any]) -> bool:
        """Every column at least as wide as its widest cell (the idle event has run)."""
        if t._require_update_dimensions:
            return False
        from rich.text import Text

        for key, col in t.columns.items():
            cells = t.get_column(key)
            widest = max((c.cell_len if isinstance(c, Text) else len(str(c)) for c in cells), default=0)
            if col.content_width < widest:
                return False
        return True

    await until(pilot, lambda: all(sized(t)
                                   for screen in app.screen_stack  # under a dialog too
                                   for t in screen.query(DataTable)),
                what="table columns sized")
    await pilot.pause()
    await asyncio.sleep(0)


def screen_text(app: MlegApp) -> str:
    """What the terminal shows now, as plain text (as App.export_screenshot, in text)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


def keys_of(app: MlegApp, *, enabled: bool = True) -> dict[str, str]:
    """Action per key on the current screen: usable now, or (enabled=False) merely
    existing (a greyed-out key still exists; a forbidden one does not)."""
    return {k: a.binding.action for k, a in app.screen.active_bindings.items()
            if a.enabled or not enabled}


def palette_titles(app: MlegApp) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


def burst(app: MlegApp, *keys: str, paste: str | None = None) -> None:
    """Keys as a terminal delivers a burst (a barcode scanner, a paste, `tmux send-keys`):
    all in the app's queue at once, none waiting for the one before to be handled (as
    Pilot's press does). Each item: one character, or a key name ("enter", "escape").
    `paste`: a bracketed paste after them."""
    from textual import events
    from textual.keys import _character_to_key

    for key in keys:
        if len(key) == 1:
            event = events.Key(_character_to_key(key), key)
        else:
            event = events.Key(key, "\r" if key == "enter" else None)
        app.post_message(event)
    if paste is not None:
        app.post_message(events.Paste(paste))
