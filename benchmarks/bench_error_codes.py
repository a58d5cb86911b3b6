"""Benchmark: the error codes of the order list at scale (issue 12). Not a test.

    .venv/bin/python benchmarks/bench_error_codes.py --sqlite STORE.db [--pg-students N] [--runs 20]
        [--out benchmarks/RESULTS-error-codes.md]

STORE.db: a demo store (`mleg-tui demo-data --students S --seed 1 --today 2025-11-20`, as
bench_tui.py builds at 1M). --pg-students N: also a PostgreSQL store of N students built the
same way on a server this script starts and stops (tests/support/pgserver.py).

Measured through the services, in this process, each `--runs` times after one untimed run:
  1. the picker's list: services.orders.error_code_counts with no filter, with the status
     Błąd, with a common surname;
  2. the filter by the start of a code (PESEL): its count and its first window of 40 rows;
  3. a code picked from the list (whole): its count and first window.
Reference in the same run: the picker's bare GROUP BY sent straight through the driver
(sqlite3 / psycopg), and a count of every order (a walk of a whole index). Figures are
median / p95 in ms and the ratio of each median to the bare GROUP BY's.
"""
from __future__ import annotations

import argparse
import contextlib
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

TODAY = "2025-11-20"
GROUP_BY = "SELECT error_code, count(*) FROM orders WHERE error_code > '' GROUP BY error_code"
ALL = "SELECT count(*) FROM orders"


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # untimed: caches warm, statements prepared
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def measure(url: str, raw: Callable[[str], Any], runs: int) -> tuple[int, list[tuple[str, list[float]]]]:
    from mleg_tui.config import Settings
    from mleg_tui.domain.status import OrderStatus
    from mleg_tui.services.context import open_context
    from mleg_tui.services.list_types import OrderQuery
    from mleg_tui.services.orders import count_orders, error_code_counts, find_orders

    ctx = open_context(Settings(db=url, today=TODAY, login="bench"), role="viewer", create=False)
    orders = int(raw(ALL)[0][0])
    surname = raw("SELECT last_name, count(*) AS c FROM person GROUP BY last_name ORDER BY c DESC LIMIT 1")[0][0]
    codes = error_code_counts(ctx, OrderQuery())
    assert codes, "no failed orders in this store"
    picked = OrderQuery(error_code=codes[0].code, error_code_whole=True)
    prefix = OrderQuery(error_code="PESEL")
    # The figures the clerk relies on: each count is the rows the list then shows.
    assert count_orders(ctx, picked) == codes[0].count
    rows: list[tuple[str, list[float]]] = [
        ("reference: bare GROUP BY (driver)", timed(lambda: raw(GROUP_BY), runs)),
        ("reference: count of every order (driver)", timed(lambda: raw(ALL), runs)),
        ("codes with counts, no filter", timed(lambda: error_code_counts(ctx, OrderQuery()), runs)),
        ("codes with counts, status Błąd",
         timed(lambda: error_code_counts(ctx, OrderQuery(statuses=frozenset({OrderStatus.BLAD}))), runs)),
        (f"codes with counts, name „{surname}”",
         timed(lambda: error_code_counts(ctx, OrderQuery(text=surname)), runs)),
        ("prefix PESEL: count", timed(lambda: count_orders(ctx, prefix), runs)),
        ("prefix PESEL: first 40 rows", timed(lambda: find_orders(ctx, prefix, limit=40), runs)),
        (f"picked {codes[0].code}: count", timed(lambda: count_orders(ctx, picked), runs)),
        (f"picked {codes[0].code}: first 40 rows", timed(lambda: find_orders(ctx, picked, limit=40), runs)),
    ]
    ctx.engine.dispose()
    return orders, rows


def table(kind: str, orders: int, rows: list[tuple[str, list[float]]]) -> str:
    base = statistics.median(rows[0][1])
    out = [f"### {kind}, {orders:,} orders".replace(",", " "), "",
           "| step | median ms | p95 ms | median / bare GROUP BY |", "|---|---:|---:|---:|"]
    for name, xs in rows:
        m = statistics.median(xs)
        out.append(f"| {name} | {m:.2f} | {p95(xs):.2f} | {m / base:.2f}x |".replace(".", ","))
    return "\n".join(out)


@contextlib.contextmanager
def pg_store(students: int) -> Iterator[tuple[str, Callable[[str], Any]]]:
    import psycopg

    from support.pgserver import PgServer

    server = PgServer().start()
    try:
        url = server.create_database("mleg_bench")
        t = time.monotonic()
        subprocess.run([str(Path(sys.executable).with_name("mleg-tui")), "--db", url, "--today", TODAY,
                        "demo-data", "--students", str(students), "--seed", "1"],
                       check=True, capture_output=True)
        sys.stderr.write(f"PostgreSQL store of {students} students built in {time.monotonic() - t:.0f} s\n")
        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        conn.execute("ANALYZE")
        try:
            yield url, lambda sql: conn.execute(sql).fetchall()  # type: ignore[arg-type]
        finally:
            conn.close()
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sqlite", required=True)
    ap.add_argument("--pg-students", type=int, default=0)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default=str(HERE / "RESULTS-error-codes.md"))
    a = ap.parse_args()
    import sqlite3

    parts = [f"Machine: {platform.machine()}, Python {platform.python_version()}; "
             f"{a.runs} runs of each step after one untimed run (bench_error_codes.py).", ""]
    conn = sqlite3.connect(f"file:{a.sqlite}?mode=ro", uri=True)
    orders, rows = measure(a.sqlite, lambda sql: conn.execute(sql).fetchall(), a.runs)
    parts += [table("SQLite", orders, rows), ""]
    if a.pg_students:
        with pg_store(a.pg_students) as (url, raw):
            orders, rows = measure(url, raw, a.runs)
        parts += [table("PostgreSQL", orders, rows), ""]
    text = "\n".join(parts)
    print(text)
    Path(a.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
