"""Benchmark: the overview's figures at 100k and 1M orders on SQLite (issue 13). Not a test.

    .venv/bin/python benchmarks/bench_overview.py [--sizes 100000,1000000] [--runs 5]
        [--out benchmarks/RESULTS-overview.md]

Stores: bench_tui.py's (`mleg-tui demo-data --students N/1.31 --seed 1 --today 2025-11-20`,
benchmarks/out/sqlite-N.db), built if missing, used again if there. "Now" is fixed at
20.11.2025, 10:00 (office time). Each run opens a fresh context (a new engine) and measures:
  1. each section of the overview (services.overview.section), in the order the screen
     computes them: its time alone, start to figures;
  2. each line of "Co wymaga działania" and of the students: what Enter then costs, the
     list's own count (services.orders.count_orders / student_sets.count_students) and its
     first window of 40 rows (find_orders / find_students_in), and that the count equals
     the line's;
  3. the screen (Pilot, headless, 120x40, in this process): from `o` on the loaded order list
     to the first frame of the overview (its sections marked as coming), and to the frame in
     which every section is filled.
References in the same run: `SELECT count(*) FROM orders` through sqlite3 directly (a count
of every order, the least such a figure costs), and, for the screen, `?` (the help screen:
a screen pushed with nothing to compute). A first run of each is not counted.
"""
from __future__ import annotations

import argparse
import asyncio
import platform
import shlex
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_tui import OUT, ROOT, TODAY, Store, ensure_store, log, med, ms, p95  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))
NOW = f"{TODAY}T10:00:00"
TERM = (120, 40)
AIM_S = 1.0


def ratio(x: float, ref: float) -> str:
    return f"{x / ref:.1f}×" if ref > 0 and x / ref < 100 else f"{x / ref:.0f}×" if ref > 0 else "–"


def figures_run(path: str) -> dict[str, Any]:
    from mleg_tui.config import Settings
    from mleg_tui.screens.overview import COMPUTED_IN
    from mleg_tui.services.context import open_context
    from mleg_tui.services.orders import count_orders, find_orders
    from mleg_tui.services.overview import section
    from mleg_tui.services.overview_types import StudentSet
    from mleg_tui.services.student_sets import count_students, find_students_in

    out: dict[str, Any] = {"sections": {}, "lines": {}}
    conn = sqlite3.connect(path)
    t = time.perf_counter()
    conn.execute("SELECT count(*) FROM orders").fetchone()
    out["reference"] = time.perf_counter() - t
    conn.close()
    ctx = open_context(Settings(db=path, today=NOW), role="admin")
    now = ctx.clock.now()
    try:
        for key in COMPUTED_IN:
            t = time.perf_counter()
            sec = section(ctx, key, now)
            out["sections"][key] = (time.perf_counter() - t, sec)
        for key in ("radar", "students"):
            for line in out["sections"][key][1].lines:
                t = time.perf_counter()
                if isinstance(line.opens, StudentSet):
                    n = count_students(ctx, line.opens)
                    t1 = time.perf_counter()
                    find_students_in(ctx, line.opens, limit=40)
                else:
                    n = count_orders(ctx, line.opens)
                    t1 = time.perf_counter()
                    find_orders(ctx, line.opens, limit=40)
                t2 = time.perf_counter()
                out["lines"][line.label] = (t1 - t, t2 - t1, n == line.count, line.count)
    finally:
        ctx.engine.dispose()
    return out


def screen_run(path: str) -> dict[str, float]:
    """Frames as tui_driver.py counts them: the compositor's update for the terminal
    (App._display; headless, not written out), timed from just before the key."""
    from mleg_tui.app import MlegApp
    from mleg_tui.config import Settings
    from mleg_tui.screens.overview import COMING, OverviewScreen
    from support.tui import loaded

    frames: list[tuple[float, Any, bool]] = []


    def first(after: float, cond: Any) -> float:
        return next(t for t, screen, filled in frames if t >= after and cond(screen, filled)) - after

    async def go() -> dict[str, float]:
        app = MlegApp(Settings(db=path, today=NOW, login="bench", roles={"bench": "admin"}))
        shown = app._display

        def timed(screen: Any, renderable: Any) -> None:
            shown(screen, renderable)
            if renderable is not None:
                filled = isinstance(screen, OverviewScreen) and all(x is not None for x in screen.sections.values())
                frames.append((time.perf_counter(), screen, filled))

        app._display = timed  # type: ignore[method-assign]
        got: dict[str, float] = {}
        async with app.run_test(size=TERM) as pilot:
            await loaded(pilot)
            t = time.perf_counter()
            await pilot.press("question_mark")
            await pilot.pause(0.3)
            got["help"] = first(t, lambda s, _: type(s).__name__ == "HelpScreen")
            await pilot.press("escape")
            await pilot.pause(0.3)
            t = time.perf_counter()
            await pilot.press("o")
            screen = None
            while screen is None or not all(s is not None for s in screen.sections.values()):
                await asyncio.sleep(0.005)
                screen = app.screen if isinstance(app.screen, OverviewScreen) else None
            await pilot.pause(0.3)
            got["first_paint"] = first(t, lambda s, _: isinstance(s, OverviewScreen))
            got["all_filled"] = first(t, lambda _, filled: filled)
            assert COMING not in str(screen.lines)
        return got

    return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=str(HERE / "RESULTS-overview.md"))
    args = ap.parse_args(argv)
    command = "python benchmarks/bench_overview.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    OUT.mkdir(parents=True, exist_ok=True)
    stores = []
    for n in (int(s) for s in args.sizes.split(",") if s.strip()):
        path = str(OUT / f"sqlite-{n}.db")
        st = Store("sqlite", n, path, path=path)
        ensure_store(st)
        stores.append(st)

    results: dict[int, dict[str, Any]] = {}
    for st in stores:
        log(f"{st.label}: a first run (not counted)")
        figures_run(st.path)
        screen_run(st.path)
        runs, screens = [], []
        for i in range(args.runs):
            log(f"{st.label}: run {i + 1}/{args.runs}")
            runs.append(figures_run(st.path))
            screens.append(screen_run(st.path))
        results[st.n] = {"store": st, "runs": runs, "screens": screens}
    Path(args.out).write_text(report(results, command, args.runs), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


def report(results: dict[int, dict[str, Any]], command: str, runs: int) -> str:
    from mleg_tui.screens.overview import COMPUTED_IN
    from mleg_tui.services.overview_types import SECTION_TITLES

    lines = ["# Overview benchmark: every figure at 100k and 1M orders, SQLite (issue 13)", "",
             f"Aim: every figure within {AIM_S:.0f} s at 1M (median / p95 of {runs} runs); the ratio is the median "
             "to the reference's median (a `SELECT count(*) FROM orders` of the same store in the same run).", "",
             "| figure | N orders | median / p95 | ratio | within 1 s (p95) |", "|---|---|---|---|---|"]
    refs: dict[int, float] = {}
    for n, r in results.items():
        refs[n] = med([run["reference"] for run in r["runs"]])
        for key in COMPUTED_IN:
            xs = [run["sections"][key][0] for run in r["runs"]]
            ok = "yes" if p95(xs) <= AIM_S else "**no**"
            lines.append(f"| {SECTION_TITLES[key]} (the whole section) | {r['store'].orders:,} | {ms(xs)} | "
                         f"{ratio(med(xs), refs[n])} | {ok} |")
    lines += ["", "Enter on each line of the radar and of the students: the opened list's count and its first "
              "40 rows (the count is checked to equal the line's in every run).", "",
              "| line | N orders | count shown | list count median / p95 | first window median / p95 | same count |",
              "|---|---|---|---|---|---|"]
    for r in results.values():
        for label in r["runs"][0]["lines"]:
            counts = [run["lines"][label][0] for run in r["runs"]]
            windows = [run["lines"][label][1] for run in r["runs"]]
            same = all(run["lines"][label][2] for run in r["runs"])
            shown = r["runs"][0]["lines"][label][3]
            lines.append(f"| {label.strip()} | {r['store'].orders:,} | {shown:,} | {ms(counts)} | {ms(windows)} | "
                         f"{'yes' if same else '**NO**'} |")
    lines += ["", f"The screen ({TERM[0]}x{TERM[1]}, Pilot, headless): from `o` on the loaded order list.", "",
              "| step | N orders | median / p95 | ratio to `?` (help screen) |", "|---|---|---|---|"]
    for r in results.values():
        helps = [s["help"] for s in r["screens"]]
        for key, what in (("first_paint", "first frame of the overview (sections marked as coming)"),
                          ("all_filled", "every section filled")):
            xs = [s[key] for s in r["screens"]]
            lines.append(f"| {what} | {r['store'].orders:,} | {ms(xs)} | {ratio(med(xs), med(helps))} |")
        lines.append(f"| reference: `?`, the help screen | {r['store'].orders:,} | {ms(helps)} | |")
    lines += ["", "| reference | N orders | median / p95 |", "|---|---|---|"]
    for r in results.values():
        lines.append(f"| `SELECT count(*) FROM orders` (sqlite3) | {r['store'].orders:,} | "
                     f"{ms([run['reference'] for run in r['runs']])} |")
    lines += ["", f"Command: `{command}` (from the repository root, with `.venv/bin/python`).",
              f"Machine: {platform.platform()}, Python {platform.python_version()}, SQLite "
              f"{sqlite3.sqlite_version}; {runs} runs, a first one not counted.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
