"""Demo stores built by the real generator, by default as of the evening of the manual's
figures 7-11 (3.09.2025, 23:30 in Warsaw)."""
from __future__ import annotations

from pathlib import Path

from mleg_tui.demo.data import build_demo
from mleg_tui.services.context import Context
from support.stores import context_factory

EVENING = "2025-09-03T23:30:00+02:00"


def build_store(db: Path | str, students: int, today: str = EVENING, seed: int = 1) -> Context:
    """A demo store at `db` built in this process; a context on it, on the same "today"."""
    ctx = context_factory(db)(today)
    build_demo(ctx, students=students, seed=seed)
    return ctx
