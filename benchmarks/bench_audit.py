"""Benchmark: the audit (who did what) over the event log and the exports at 1M orders on
SQLite (issue 13). Not a test.

    .venv/bin/python benchmarks/bench_audit.py [--store FILE] [--n 1000000] [--runs 7]
        [--out benchmarks/RESULTS-audit.md]

Store: FILE (any demo-data store; used as it is, upgraded if older), else bench_tui.py's
(`mleg-tui demo-data --students N/1.31 --seed 1 --today 2025-11-20`, benchmarks/out/
sqlite-N.db, built if missing). Opening it first times the upgrade to schema 8 when the
store is older (the audit's three indexes over the whole log are built then, once).
A store with fewer than EXPORTS access records (demo-data writes none) gets them, spread
evenly over the log's time by four logins, so a page merges both streams.
Then, per filter: the first page of 100 lines (services.audit.find_events) and the page
after it (keyset from the last line), each a median / p95 of RUNS runs after one not
counted. Reference in the same run: the order list's first window of 100 rows
(services.orders.find_orders, the start screen's own read).
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_tui import OUT, ROOT, TODAY, Store, ensure_store, log, med, ms  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))
EXPORTS = 20_000  # exports in 19 months: dozens a day, a heavy office's


def add_exports(con: sqlite3.Connection, logins: list[str]) -> int:
    """Access records up to EXPORTS, as services.access writes them, every few minutes
    between the log's first and last event (the store's own times, UTC)."""
    have = con.execute("SELECT count(*) FROM access_event").fetchone()[0]
    if have >= EXPORTS:
        return int(have)
    first, last = (dt.datetime.fromisoformat(t) for t in
                   con.execute("SELECT min(at), max(at) FROM order_event").fetchone())
    step = (last - first) / EXPORTS
    rows = [((first + step * i).isoformat(sep=" ", timespec="microseconds"), logins[i % len(logins)],
             "STAFF", "viewer" if i % len(logins) == 3 else "admin", "TUI" if i % 3 else "CLI",
             "ORDERS" if i % 5 else "AUDIT", "wszystkie zamówienia; sortowanie: data zamówienia, malejąco",
             "{}", 1 + i % 5000, "csv", i % 7 == 0, f"/home/dziekanat/eksport-{i}.csv") for i in range(have, EXPORTS)]
    con.executemany("INSERT INTO access_event (recorded_at, login, actor_kind, role, via, source, filter_text, "
                    "filter_json, rows, format, pesel_unmasked, destination) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    return EXPORTS


def timed(fn: Any, runs: int) -> list[float]:
    fn()  # not counted: the OS's file cache, the statement cache
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", help="an existing store file (used as it is)")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", default=str(HERE / "RESULTS-audit.md"))
    args = ap.parse_args()
    if args.store:
        path = args.store
    else:
        path = str(OUT / f"sqlite-{args.n}.db")
        ensure_store(Store("sqlite", args.n, f"sqlite:///{path}", path=path))

    from mleg_tui.config import Settings
    from mleg_tui.domain.events import AccessAction, Action
    from mleg_tui.services.audit import find_events
    from mleg_tui.services.context import open_context
    from mleg_tui.services.list_types import OrderQuery
    from mleg_tui.services.orders import find_orders
    from mleg_tui.services.report_types import AuditQuery
    from mleg_tui.store.version import SCHEMA_VERSION

    con = sqlite3.connect(path)
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    events = con.execute("SELECT count(*) FROM order_event").fetchone()[0]
    orders = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    login = con.execute("SELECT actor FROM order_event WHERE actor <> '' GROUP BY actor "
                        "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    album = con.execute("SELECT album FROM orders WHERE album <> '' ORDER BY id DESC LIMIT 1").fetchone()[0]
    con.close()
    t = time.perf_counter()
    ctx = open_context(Settings(db=path, today=TODAY, login="bench"), role="admin")
    opened = time.perf_counter() - t
    log(f"opened in {opened:.1f} s (schema {version} at start), {events} events, {orders} orders")
    con = sqlite3.connect(path)
    exports = add_exports(con, [login, "a.kowalczyk", "m.nowicka", "przegladajacy"])
    con.close()

    ref = timed(lambda: find_orders(ctx, OrderQuery(), limit=100), args.runs)
    cases = [
        ("everything", AuditQuery()),
        (f"login {login}", AuditQuery(login=login)),
        ("action REVOKED", AuditQuery(action=Action.REVOKED)),
        ("action CODE_REVEALED", AuditQuery(action=Action.CODE_REVEALED)),
        ("January 2025", AuditQuery(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 1, 31))),
        (f"login {login}, action REVOKED", AuditQuery(login=login, action=Action.REVOKED)),
        ("action CANCELLED in 2024", AuditQuery(action=Action.CANCELLED, date_from=dt.date(2024, 1, 1),
                                               date_to=dt.date(2024, 12, 31))),
        (f"student {album} (album)", AuditQuery(student=album)),
        ("student kowalska (a common surname)", AuditQuery(student="kowalska")),
        ("login nobody has", AuditQuery(login="nikt")),
        ("action eksport (exports only)", AuditQuery(action=AccessAction.EXPORT)),
        (f"login {login}, action eksport", AuditQuery(login=login, action=AccessAction.EXPORT)),
        ("action eksport, January 2025", AuditQuery(action=AccessAction.EXPORT, date_from=dt.date(2025, 1, 1),
                                                    date_to=dt.date(2025, 1, 31))),
    ]
    rows = []
    for name, q in cases:
        first = find_events(ctx, q, limit=100)
        page = timed(lambda q=q: find_events(ctx, q, limit=100), args.runs)
        after = first[-1].key if len(first) == 100 else None
        nxt = timed(lambda q=q, a=after: find_events(ctx, q, limit=100, after=a), args.runs) if after else []
        rows.append((name, len(first), page, nxt))
        log(f"{name}: {ms(page)}")
    lines = [
        "# Audit benchmark: the event log and the exports a page at a time, SQLite (issue 13)",
        "",
        f"Store: {orders:,} orders, {events:,} events (demo-data), {exports:,} exports in the access trace "
        "(added by the benchmark over the log's time; a page merges both). Opening it "
        + (f"upgraded it from schema {version} to {SCHEMA_VERSION} in {opened:.1f} s, once"
           + (" (the audit's three indexes over the whole log among it)." if int(version) < 8 else ".")
           if int(version) != SCHEMA_VERSION else f"took {opened:.1f} s (schema {version})."),
        f"Each figure the median / p95 of {args.runs} runs; ratio: the median to the reference's, the "
        f"order list's first 100 rows in the same run ({ms(ref)}).",
        "",
        "| filter | lines on the first page | first page of 100 | ratio | the page after it |",
        "|---|---|---|---|---|",
    ]
    for name, n, page, nxt in rows:
        lines.append(f"| {name} | {n} | {ms(page)} | {med(page) / med(ref):.1f}× | {ms(nxt) if nxt else '–'} |")
    lines += ["", f"Machine: {platform.machine()}, Python {platform.python_version()}, "
              f"SQLite {sqlite3.sqlite_version}; {time.strftime('%Y-%m-%d')}.", ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
