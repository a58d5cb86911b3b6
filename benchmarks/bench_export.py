"""Benchmark: the order list's export (services.export) on a large store, time and memory.
Not a test.

    .venv/bin/python benchmarks/bench_export.py --db STORE.db [--out benchmarks/RESULTS-export.md]

STORE.db is copied first (opening it upgrades its schema; the original is left alone). Each
run is a process of its own, its peak RSS its own (wait4's ru_maxrss), interpreter and
libraries included:
  1. reference: the same windows read and every row built (services.orders.iter_orders),
     nothing written: what any export must at least do;
  2. the whole list to CSV (a BOM, `;`, masked PESELs), traced;
  3. the same to JSON.
The export's time is given as a ratio to the reference measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = """
import sys, time
from pathlib import Path
from mleg_tui.config import Settings
from mleg_tui.services.context import open_context
from mleg_tui.services.types import ExportOptions
from mleg_tui.services.list_types import OrderQuery
db, what, out = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = open_context(Settings(db=db, login="bench"), role="admin", create=False)
t = time.perf_counter()
if what == "reference":
    from mleg_tui.services.orders import count_orders, iter_orders
    count_orders(ctx, OrderQuery())
    n = sum(1 for _ in iter_orders(ctx, OrderQuery()))
else:
    from mleg_tui.services.export import export_orders
    n = export_orders(ctx, OrderQuery(), Path(out), ExportOptions(format=what), via="CLI").rows
print(n, time.perf_counter() - t)
"""


def run(db: str, what: str, out: Path) -> tuple[int, float, float]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, db, what, str(out)], stdout=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    assert proc.stdout is not None
    rows, seconds = proc.stdout.read().split()
    assert os.waitstatus_to_exitcode(status) == 0, what
    return int(rows), float(seconds), usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True, help="an SQLite store to copy and export")
    ap.add_argument("--out", default=str(HERE / "RESULTS-export.md"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        db = Path(tmp) / "store.db"
        shutil.copy(args.db, db)
        rows = []
        for what in ("reference", "csv", "json"):
            out = Path(tmp) / f"export.{what}"
            n, seconds, rss = run(str(db), what, out)
            size = out.stat().st_size / 2**20 if out.exists() else 0.0
            rows.append((what, n, seconds, rss, size))
            out.unlink(missing_ok=True)
            print(f"{what}: {n} rows, {seconds:.1f} s, {rss:.0f} MiB, file {size:.0f} MiB", flush=True)
    ref = rows[0][2]
    lines = [
        "# The order list's export (benchmarks/bench_export.py)", "",
        f"{platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end, {time.strftime('%Y-%m-%d %H:%M')}, store {Path(args.db).name}.", "",
        "| run | rows | time | x reference | peak RSS | file |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for what, n, seconds, rss, size in rows:
        lines.append(f"| {what} | {n:,} | {seconds:.1f} s | {seconds / ref:.2f}x | {rss:.0f} MiB | "
                     + (f"{size:.0f} MiB |" if size else "— |"))
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
