"""`mleg-tui demo`: a demo store, a simulated MC beside it, and the TUI on both.

Nothing to set up: the store and the simulator's state live under the user's data
directory, so a second run continues where the first stopped (`--fresh` starts over).
`--db` names another store for the demo. Only a demo store is ever opened (one that
demo-data or the demo built, marked so in its meta table) or a new, empty one, which
becomes one: the simulator never stands in for MC in front of real data.

A demo store remembers the "today" it was built for (`--today`, e.g. the evening of the
manual's figures): later runs, and `mleg-tui --demo ...`, see it on that day unless told
another.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import platformdirs

from mleg_tui.config import APP, db_url, load_settings, parse_today
from mleg_tui.errors import UserError
from mleg_tui.services.context import open_context, os_login

DEMO_TOKEN = "demo-token"  # the simulator's, on loopback only


def demo_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "demo"


def demo_store() -> Path:
    """The store `mleg-tui demo` uses when not given `--db` (and `--demo` reaches)."""
    return demo_dir() / "demo.db"


class NotADemo(UserError):
    def __init__(self, where: str) -> None:
        super().__init__(
            f"Baza {where} nie jest bazą demonstracyjną (zawiera dane, których nie zbudowało "
            "demo ani demo-data): demonstracja z symulatorem MC otwiera tylko własną bazę. "
            "Nic nie zmieniono; wskaż inny plik (--db) albo uruchom demo bez --db."
        )


def demo_mark_of(where: str) -> str | None:
    """The demo mark of the store at `where` (its "today", "" for the real clock), None
    when the store is new or holds no data yet; NotADemo when it holds other data. Looks
    without creating, upgrading or changing anything."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import DBAPIError

    from mleg_tui.store.bulk import demo_mark, holds_data
    from mleg_tui.store.engine import StoreError, create

    url = db_url(where)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = create(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            if not tables:
                return None
            if "meta" not in tables:
                raise NotADemo(where)
            mark = demo_mark(conn)
            if mark is None and holds_data(conn):
                raise NotADemo(where)
            return mark
    except DBAPIError as e:
        raise StoreError(f"Nie można otworzyć bazy danych {where}: {e.orig}.") from None
    finally:
        engine.dispose()


def describe_today(today: str) -> str:
    from mleg_tui.domain.dates import pl_date, pl_datetime

    if not today:
        return "bieżący czas"
    value = parse_today(today)
    return pl_datetime(value) if isinstance(value, dt.datetime) else pl_date(value)


def how_to_reach(where: str, default: bool, today: str) -> str:
    """What to type to see the demo store from the command line."""
    if default:
        reach = "mleg-tui --demo"
    else:
        reach = f"mleg-tui --db {where}" + (f" --today {today}" if today else "")
    return (f"Baza demonstracyjna: {where} (dzień demonstracji: {describe_today(today)}).\n"
            f"Z wiersza poleceń: {reach} student 1234336607, {reach} orders")


def _live_at_mc(ctx: Any) -> list[dict[str, Any]]:
    """Orders the demo store says MC has, for the simulator to know them too."""
    from sqlalchemy import select

    from mleg_tui.store import reading
    from mleg_tui.store.models import Order

    now = dt.datetime.now(dt.UTC)
    out = []
    with reading(ctx.engine) as s:
        for o in s.execute(select(Order).where(Order.mc_id.is_not(None))).scalars():  # type: ignore[union-attr]
            out.append({
                "mc_id": o.mc_id, "order_ref": o.order_ref, "status": o.status,
                "expiry_date": o.expiry_date.isoformat(), "qr_code": o.qr_code,
                "activation_code": o.activation_code,
                "codes_valid_until": o.codes_valid_until.isoformat() if o.codes_valid_until else None,
                "error_code": o.error_code or None, "error_message": o.error_message,
                "updated_at": (o.mc_updated_at or o.updated_at).isoformat(),
                # Orders still being processed move on during the demo.
                "submitted_at": now.isoformat() if o.status == "W_TRAKCIE" else o.ordered_at.isoformat(),
            })
    return out


def run_demo(args: argparse.Namespace) -> int:
    from mleg_tui.frames import quick_frames

    quick_frames()
    from mleg_tui.app import run_app
    from mleg_tui.demo.data import build_demo
    from mleg_tui.simulator.server import start_simulator

    given = getattr(args, "db", None)
    folder = demo_dir()
    where = given or str(demo_store())
    mark = demo_mark_of(where)  # refuses a store of real data before anything is opened
    folder.mkdir(parents=True, exist_ok=True)
    # The simulator's memory of this store's orders, beside the default store's own.
    name = "mc-sim.json" if not given else f"mc-sim-{hashlib.sha256(db_url(where).encode()).hexdigest()[:12]}.json"
    state = folder / name
    build = mark is None or args.fresh
    login = os_login()
    base = dict(db=where, roles={login: "admin"},
                read_only=True if getattr(args, "read_only", False) else None,
                today=getattr(args, "today", None))
    if not build and mark and load_settings(**base).today is None:
        base["today"] = mark  # the day the demo store was built for, unless told another
    today = load_settings(**base).today or ""
    if build:
        print(f"Buduję bazę demonstracyjną ({args.students} studentów) w {where} …")
        ctx = open_context(load_settings(**base), role="admin")
        print(build_demo(ctx, students=args.students, seed=args.seed, replace=True).summary())
        ctx.engine.dispose()
        state.unlink(missing_ok=True)
    hint = how_to_reach(where, not given, today)
    print(hint)
    sim = start_simulator(seed=args.seed, state_file=state, token=DEMO_TOKEN,
                          issue_delay=8, pickup=0.6, pickup_delay=45, blad=0.08, latency_ms=30)
    try:
        if not state.exists():
            sim.preload(_live_at_mc(open_context(load_settings(**base), role="admin")))
        settings = load_settings(**base, mc_url=sim.url, mc_token=DEMO_TOKEN)
        code = run_app(settings)
    finally:
        sim.stop()
    print(hint)
    return code
