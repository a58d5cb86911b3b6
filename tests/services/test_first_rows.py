"""The start screen's first rows, read by the database driver alone (before SQLAlchemy is
loaded): exactly the rows, keys and positions services.orders gives for the default list,
on both databases; and None, so the ordinary way is taken, where it does not apply."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from mleg_tui.demo.data import build_demo
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.order_rows import FirstWindow, first_window
from mleg_tui.services.orders import count_orders, find_orders


def test_first_window_is_the_default_lists_first_window(ctx: Context) -> None:
    build_demo(ctx, students=120, seed=5)
    now, later = first_window(ctx.settings, 45, ui_thread=True), first_window(ctx.settings, 45)
    sqlite = ctx.engine.dialect.name == "sqlite"
    # One way for each store: a local file before the first frame, a server from a worker.
    assert (now is not None, later is not None) == (sqlite, not sqlite)
    found = now if sqlite else later
    assert found is not None
    quick = found.rows
    ordinary = find_orders(ctx, OrderQuery(), limit=45)
    assert quick == ordinary  # every field: lp, names, local times, statuses, keys
    # As many digits as the count, or more: the Lp. column's width before the count comes.
    assert len(str(found.orders_at_most)) >= len(str(count_orders(ctx, OrderQuery())))
    after = find_orders(ctx, OrderQuery(), limit=10, after=quick[-1].key,
                        after_lp=quick[-1].lp)  # its keys page on as the ORM's do
    assert after == find_orders(ctx, OrderQuery(), limit=55)[45:]


def test_no_first_window_where_the_ordinary_way_must_decide(tmp_path: Path, ctx: Context) -> None:
    def first(db: str) -> FirstWindow | None:
        settings = dataclasses.replace(ctx.settings, db=db)
        return first_window(settings, 10, ui_thread=True) or first_window(settings, 10)

    missing = tmp_path / "nothing-here.db"
    assert first(str(missing)) is None
    assert not missing.exists()  # not created: opening the store creates it properly
    not_a_store = tmp_path / "other.db"
    not_a_store.write_bytes(b"")
    assert first(str(not_a_store)) is None
    assert first("mysql://x@localhost/db") is None


def test_no_first_window_from_a_store_of_another_schema_version(ctx: Context) -> None:
    """Its rows may not read as this program's: the ordinary way upgrades (or refuses) it."""
    from mleg_tui.store import SCHEMA_VERSION, writing

    build_demo(ctx, students=20, seed=5)
    settings = ctx.settings
    assert (first_window(settings, 10, ui_thread=True) or first_window(settings, 10)) is not None
    for other in (SCHEMA_VERSION - 1, SCHEMA_VERSION + 1):
        with writing(ctx.engine) as s:
            s.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(other)})
        assert first_window(settings, 10, ui_thread=True) is None
        assert first_window(settings, 10) is None


def test_reading_the_first_rows_loads_no_sqlalchemy() -> None:
    code = ("import sys; from mleg_tui.services import order_rows; "
            "print(any(m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'textual') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_next_screens_are_read_the_same_way(ctx: Context) -> None:
    """While the store opens, the start list's next screens come as its first rows did:
    the same rows, positions and keys as the ordinary read."""
    build_demo(ctx, students=120, seed=5)
    sqlite = ctx.engine.dialect.name == "sqlite"
    found = first_window(ctx.settings, 20, offset=45, ui_thread=sqlite)
    assert found is not None
    assert found.rows == find_orders(ctx, OrderQuery(), limit=65)[45:]
    assert [r.lp for r in found.rows] == list(range(46, 66))


ASIDE = r"""
import json, os, sys
from mleg_tui.config import Settings
from mleg_tui.services.order_rows import read_aside
aside = read_aside(Settings(db=sys.argv[1], today="2025-11-20T10:00:00", login="tester"))
if aside is None:
    print(json.dumps(None)); sys.exit()
first = aside.take()
count = aside.take_count()
try:
    os.waitpid(aside._pid, 0)
    reaped = False
except ChildProcessError:
    reaped = True
print(json.dumps({"ids": [r.id for r in first.rows], "lps": [r.lp for r in first.rows], "count": count,
                  "at_most": first.orders_at_most, "reaped": reaped, "again": aside.take() is None}))
"""


def test_a_postgresql_stores_first_rows_come_from_a_child_process(ctx: Context) -> None:
    """Forked as the program starts (a fresh process, one thread), a child reads the first
    window of a PostgreSQL store on the other core and hands it back, then its count: what
    the ordinary reads give; the child is gone once they are taken. SQLite's are read in the UI thread:
    no child."""
    build_demo(ctx, students=120, seed=5)
    out = subprocess.run([sys.executable, "-c", ASIDE, ctx.settings.db], capture_output=True, text=True,
                         timeout=60, check=True)
    got = json.loads(out.stdout)
    if ctx.engine.dialect.name == "sqlite":
        assert got is None
        return
    ordinary = find_orders(ctx, OrderQuery(), limit=len(got["ids"]))
    assert got["ids"] == [r.id for r in ordinary] and len(got["ids"]) >= 3 * 24
    assert got["lps"] == [r.lp for r in ordinary]
    assert got["count"] == count_orders(ctx, OrderQuery())  # and then its count
    assert len(str(got["at_most"])) >= len(str(got["count"]))
    assert got["reaped"] and got["again"]


def test_the_start_lists_count_is_read_as_its_rows_are(ctx: Context) -> None:
    """With the first rows, before the store opens: the store's own count of the default list."""
    from mleg_tui.services.order_rows import first_count

    build_demo(ctx, students=120, seed=5)
    assert first_count(ctx.settings) == count_orders(ctx, OrderQuery())
    settings = dataclasses.replace(ctx.settings, db=str(Path(ctx.settings.db).with_name("none.db"))) \
        if ctx.engine.dialect.name == "sqlite" else dataclasses.replace(ctx.settings, db="mysql://x@localhost/db")
    assert first_count(settings) is None  # the ordinary way says what is wrong
