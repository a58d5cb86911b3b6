"""`mleg-tui demo`: a demo store, a simulated MC beside it, and the TUI on both.

Nothing to set up: the store and the simulator's state live under the user's data
directory, so a second run continues where the first stopped (`--fresh` starts over).
"""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import platformdirs

from mleg_tui.config import APP, load_settings
from mleg_tui.services.context import open_context, os_login

DEMO_TOKEN = "demo-token"  # the simulator's, on loopback only


def demo_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "demo"


def _live_at_mc(ctx) -> list[dict]:  # type: ignore[no-untyped-def]
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
    from mleg_tui.app import run_app
    from mleg_tui.demo.data import build_demo
    from mleg_tui.simulator.server import start_simulator

    folder = demo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    db, state = folder / "demo.db", folder / "mc-sim.json"
    if args.fresh:
        for f in folder.iterdir():
            f.unlink()
    fresh = not db.exists()
    login = os_login()
    base = dict(db=str(getattr(args, "db", None) or db), roles={login: "admin"},
                read_only=True if getattr(args, "read_only", False) else None,
                today=getattr(args, "today", None))
    if fresh:
        print(f"Buduję bazę demonstracyjną ({args.students} studentów) w {db} …")
        ctx = open_context(load_settings(**base), role="admin")
        print(build_demo(ctx, students=args.students, seed=args.seed).summary())
    sim = start_simulator(seed=args.seed, state_file=state, token=DEMO_TOKEN,
                          issue_delay=8, pickup=0.6, pickup_delay=45, blad=0.08, latency_ms=30)
    try:
        if fresh or not state.exists():
            sim.preload(_live_at_mc(open_context(load_settings(**base), role="admin")))
        settings = load_settings(**base, mc_url=sim.url, mc_token=DEMO_TOKEN)
        return run_app(settings)
    finally:
        sim.stop()
