"""The start screen's first rows, read by the database driver alone (before SQLAlchemy is
loaded): exactly the rows, keys and positions services.orders gives for the default list,
on both databases; and None, so the ordinary way is taken, where it does not apply."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mleg_tui.demo.data import build_demo
from mleg_tui.services.context import Context
from mleg_tui.services.order_rows import first_window
from mleg_tui.services.orders import find_orders
from mleg_tui.services.types import OrderQuery


def test_first_window_is_the_default_lists_first_window(ctx: Context) -> None:
    build_demo(ctx, students=120, seed=5)
    quick = first_window(ctx.settings.db_url, ctx.clock, 45)
    assert quick is not None
    from mleg_tui.store import SCHEMA_VERSION

    assert quick.schema_version == SCHEMA_VERSION
    ordinary = find_orders(ctx, OrderQuery(), limit=45)
    assert quick.rows == ordinary  # every field: lp, names, local times, statuses, keys
    after = find_orders(ctx, OrderQuery(), limit=10, after=quick.rows[-1].key,
                        after_lp=quick.rows[-1].lp)  # its keys page on as the ORM's do
    assert after == find_orders(ctx, OrderQuery(), limit=55)[45:]


def test_no_first_window_where_the_ordinary_way_must_decide(tmp_path: Path, ctx: Context) -> None:
    missing = tmp_path / "nothing-here.db"
    assert first_window(f"sqlite:///{missing}", ctx.clock, 10) is None
    assert not missing.exists()  # not created: opening the store creates it properly
    not_a_store = tmp_path / "other.db"
    not_a_store.write_bytes(b"")
    assert first_window(f"sqlite:///{not_a_store}", ctx.clock, 10) is None
    assert first_window("mysql://x@localhost/db", ctx.clock, 10) is None


def test_reading_the_first_rows_loads_no_sqlalchemy() -> None:
    code = ("import sys; from mleg_tui.services import order_rows; "
            "print(any(m.split('.')[0] in ('sqlalchemy', 'sqlmodel', 'textual') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
