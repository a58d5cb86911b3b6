"""Benchmark: the status refresh against the simulated MC (issue 3). Not a test.

    .venv/bin/python benchmarks/bench_mc.py [--orders 20000] [--small 5000]
        [--latency-ms 50] [--concurrency 16] [--sample 300] [--out benchmarks/RESULTS-mc.md]

For each store size (5,000 and 20,000 orders) a fresh worker process (so its peak RSS is
its own) gets a store of that many students with one order each, still OCZEKUJE, and a
simulated MC in a child process (`start_simulator(process=True)`) answering every request
after `latency-ms`. The worker then
  1. submits every OCZEKUJE order (`refresh` restricted to OCZEKUJE: one POST per order),
  2. moves MC's clock on, so every order is issued, failed (BLAD) or picked up at MC,
  3. refreshes every live order (`refresh` restricted to the live statuses: batchGet pages
     of 100; every order changes status, so every one is written with its event).
A sampling thread records the process's RSS; each phase reports its own peak.

The one-at-a-time client is the same code at concurrency 1, on a sample (`--sample`
submissions; reads of 20 pages).

Limits: submissions concurrency / latency (one request per order in flight per slot);
batched reads concurrency x 100 / latency (one page of 100 per slot).

The store is built by the real importer (students) plus bulk-inserted OCZEKUJE orders, each
with its PLACED event (store.bulk.insert_rows): the same rows services.actions.place_order
writes, 20x faster to set up.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TODAY = "2025-09-03"
LIMITS = """\
## What limits it

- **Submissions are bound by the HTTP client's CPU, not the network.** Each order costs one
  request through httpx (the bare client's CPU per request above), its share of a claim (one
  batched, version-checked UPDATE per claim of up to `concurrency` orders) and its answer
  written with its event (one prepared, version-checked UPDATE and an INSERT). Claims are
  made up to 4 x concurrency ahead of the answers (`AHEAD` in services/mc_sync.py), so the
  slots do not run dry while the one store writer is storing a batch of answers; the
  simulator needs the other core, and the machine is shared.
- **Batched reads are store-bound.** The network would carry 32,000 orders/s at concurrency
  16; the store cannot look at orders that fast. An unchanged order costs ~0.1 ms of CPU to
  compare (parsing MC's JSON included), a changed one ~0.5 ms to write with its event.
- **Memory is flat**: ids are read from the store 100 at a time by keyset, at most
  4 x concurrency submissions are claimed and unanswered at any moment, MC's answers are
  written as they arrive (at most 0.2 s late, one transaction per batch), and SQLite's page
  cache stays at its default 2 MiB a connection.
"""


# -- the worker: one store size, one process --------------------------------------------------

class RssSampler:
    """Peak resident set size of this process, per phase (sampled every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def now(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def phase(self) -> None:
        self.peak = self.now()

    def stop(self) -> None:
        self._stop.set()
        self._t.join()


def build_store(folder: Path, n: int) -> Path:
    """n students (real importer), one OCZEKUJE order each with its PLACED event (bulk)."""
    import datetime as dt

    from sqlalchemy import select

    from mleg_tui.config import Settings
    from mleg_tui.domain.pesel import make_pesel
    from mleg_tui.services.context import open_context
    from mleg_tui.services.importer import COLUMNS, import_csv
    from mleg_tui.store import writing
    from mleg_tui.store.bulk import insert_rows
    from mleg_tui.store.models import Person

    db = folder / f"store-{n}.db"
    ctx = open_context(Settings(db=str(db), today=TODAY, login="bench"), role="admin")
    rows = []
    for i in range(n):
        born = dt.date(2000, 1, 1) + dt.timedelta(days=i % 2000)
        rows.append([f"B{i:06d}", str(300000 + i), "Anna" if i % 2 else "Jan", f"Nowak{i}",
                     make_pesel(born, i % 1000, i % 2 == 1), born.isoformat(), "true", "INF-S1",
                     "Informatyka", "I", "ACTIVE", "", "2027-09-30"])
    csv = folder / f"register-{n}.csv"
    csv.write_text(",".join(COLUMNS) + "\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    import_csv(ctx, csv)
    now = ctx.clock.now().astimezone(dt.UTC)
    expiry = dt.date(2025, 10, 31)
    with writing(ctx.engine) as s:
        people = s.execute(select(Person.id, Person.album, Person.name_key).order_by(Person.id)).all()
        conn = s.connection()
        insert_rows(conn, "orders",
                    ("id", "order_ref", "person_id", "status", "ordered_at", "planned_expiry", "expiry_date",
                     "error_code", "version", "created_at", "updated_at", "album", "name_key"),
                    [(k, f"UCZ-{k:06d}", pid, "OCZEKUJE", now, expiry, expiry, "", 1, now, now, album, key)
                     for k, (pid, album, key) in enumerate(people, 1)])
        insert_rows(conn, "order_event",
                    ("order_id", "at", "action", "old_status", "new_status", "actor_kind", "actor"),
                    [(k, now, "PLACED", None, "OCZEKUJE", "STUDENT", "bench") for k in range(1, len(people) + 1)])
    ctx.engine.dispose()
    return db


def bare_client(url: str, concurrency: int, n: int) -> dict[str, Any]:
    """The gateway client alone (no store): n submissions, `concurrency` in flight. The
    ceiling this machine allows the refresh, whose own work comes on top."""
    import asyncio
    import datetime as dt

    from mleg_tui.domain.pesel import make_pesel
    from mleg_tui.mc import MCClient, MCConfig, SubmitRequest

    async def go() -> float:
        async with MCClient(MCConfig(base_url=url, token="", concurrency=concurrency)) as mc:
            window = asyncio.Semaphore(2 * concurrency)

            async def one(i: int) -> None:
                async with window:
                    await mc.submit(SubmitRequest(
                        order_ref=f"BARE-{i:06d}", album=str(900000 + i),
                        pesel=make_pesel(dt.date(2001, 1, 1), i % 1000, False), first_name="Jan",
                        last_name="Bare", expiry_date=dt.date(2025, 10, 31)))

            t = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            return time.perf_counter() - t

    c = time.process_time()
    took = asyncio.run(go())
    return {"orders": n, "seconds": took, "cpu": time.process_time() - c}


def worker(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from mleg_tui.config import Settings
    from mleg_tui.domain.status import OrderStatus as S
    from mleg_tui.services.context import open_context
    from mleg_tui.services.mc_sync import refresh
    from mleg_tui.services.types import RefreshSelection
    from mleg_tui.simulator.server import start_simulator
    from mleg_tui.store import reading
    from mleg_tui.store.models import Order

    rss = RssSampler()
    out: dict[str, Any] = {"n": args.n}
    sim = start_simulator(process=True, seed=5, latency_ms=args.latency_ms, issue_delay=60, pickup=0.5,
                          pickup_delay=60, blad=0.1)
    try:
        ctx = open_context(Settings(db=str(Path(args.db)), today=TODAY, login="bench", mc_url=sim.url,
                                    mc_concurrency=args.concurrency), role="admin")
        waiting = frozenset({S.OCZEKUJE})
        live = frozenset({S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA})

        cpu: list[float] = []

        def run(sel: RefreshSelection, conc: int) -> tuple[float, Any]:
            rss.phase()
            t, c = time.perf_counter(), time.process_time()
            summary = refresh(ctx, sel, concurrency=conc)
            took = time.perf_counter() - t
            cpu.append(time.process_time() - c)  # this process, all its threads
            assert not summary.failures, [str(f) for f in summary.failures[:5]]
            return took, summary

        out["rss_start"] = rss.now()
        if args.sample:
            # One at a time: `sample` submissions, then (after the rest are in) 20 pages.
            with reading(ctx.engine) as s:
                albums = list(s.execute(select(Order.album).order_by(Order.id).limit(args.sample)).scalars())
            took, summ = run(RefreshSelection(albums=albums, statuses=waiting), 1)
            out["submit1"] = {"orders": summ.submitted, "seconds": took}
            run(RefreshSelection(statuses=waiting), args.concurrency)
            sim.advance(3600)
            with reading(ctx.engine) as s:
                ids = list(s.execute(select(Order.id).order_by(Order.id).limit(2000)).scalars())
            took, summ = run(RefreshSelection(order_ids=ids, statuses=live), 1)
            out["read1"] = {"orders": summ.read, "seconds": took}
            took, summ = run(RefreshSelection(order_ids=ids, statuses=live), 1)
            out["reread1"] = {"orders": summ.read, "seconds": took}
            out["bare"] = bare_client(sim.url, args.concurrency, 3000)
            return out
        took, summ = run(RefreshSelection(statuses=waiting), args.concurrency)
        out["submit"] = {"orders": summ.submitted, "seconds": took, "rss_peak": rss.peak, "cpu": cpu[-1]}
        sim.advance(3600)  # every order issued, failed or picked up at MC
        took, summ = run(RefreshSelection(statuses=live), args.concurrency)
        out["read"] = {"orders": summ.read, "changed": summ.changed, "seconds": took, "rss_peak": rss.peak,
                       "cpu": cpu[-1]}
        took, summ = run(RefreshSelection(statuses=live), args.concurrency)  # the usual case
        out["reread"] = {"orders": summ.read, "changed": summ.changed, "seconds": took, "rss_peak": rss.peak,
                         "cpu": cpu[-1]}
        with reading(ctx.engine) as s:
            out["statuses"] = dict(s.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        out["sim_max_in_flight"] = sim.stats()["max_in_flight"]
        out["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    finally:
        sim.stop()
        rss.stop()
    return out


# -- the orchestrator ---------------------------------------------------------------------------

def spawn(folder: Path, db: Path, n: int, args: argparse.Namespace, sample: int = 0) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", "--folder", str(folder), "--db", str(db), "--n", str(n),
           "--latency-ms", str(args.latency_ms), "--concurrency", str(args.concurrency), "--sample", str(sample)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"worker failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mib(b: int) -> str:
    return f"{b / 2**20:.0f} MiB"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, default=20000)
    p.add_argument("--small", type=int, default=5000)
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--sample", type=int, default=300)
    p.add_argument("--out", default=str(HERE / "RESULTS-mc.md"))
    p.add_argument("--keep", action="store_true", help="keep the temporary stores")
    # worker mode
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    for k in list(os.environ):
        if k.upper().startswith("MLEG_TUI_"):
            del os.environ[k]
    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="bench-mc-"))
    (folder / "config.toml").write_text("", encoding="utf-8")
    os.environ["MLEG_TUI_CONFIG"] = str(folder / "config.toml")
    try:
        results = {}
        for n in sorted({args.small, args.orders}):
            t = time.perf_counter()
            db = build_store(folder, n)
            print(f"store of {n} orders built in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            results[n] = spawn(folder, db, n, args)
            print(json.dumps(results[n]), file=sys.stderr)
        db = build_store(folder, 2000 + args.sample) if args.sample else None
        one = spawn(folder, db, 2000 + args.sample, args, sample=args.sample) if db else {}
        print(json.dumps(one), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    lat = args.latency_ms / 1000
    c = args.concurrency
    big, small = results[args.orders], results[args.small]

    def rate(r: dict[str, Any]) -> float:
        return r["orders"] / r["seconds"]

    sub_limit, read_limit = c / lat, c * 100 / lat
    head = (f"| {args.orders:,} orders, {args.latency_ms:g} ms a request, concurrency {c} | orders/s | limit "
            f"| % of limit | one at a time (concurrency 1) | vs one at a time | peak RSS, {args.small:,} orders "
            f"| peak RSS, {args.orders:,} orders |")
    rows = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, key, limit, formula, one_key, one_limit in (
        ("submit `OCZEKUJE` (one POST each)", "submit", sub_limit, "c / latency", "submit1", 1 / lat),
        ("refresh live, every order changed (status + event written)", "read", read_limit,
         "c x 100 / latency", "read1", 100 / lat),
        ("refresh live again, nothing changed", "reread", read_limit, "c x 100 / latency", "reread1", 100 / lat),
    ):
        r, one1 = rate(big[key]), rate(one[one_key])
        rows.append(f"| {label} | {r:,.0f} | {limit:,.0f} ({formula}) | {100 * r / limit:.0f}% "
                    f"| {one1:,.0f} (limit {one_limit:,.0f}) | {r / one1:.1f}x "
                    f"| {mib(small[key]['rss_peak'])} | {mib(big[key]['rss_peak'])} |")
    table = "\n".join(rows)
    bare = rate(one["bare"])
    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    def ms(r: dict[str, Any]) -> str:
        return f"{1000 * r['cpu'] / r['orders']:.2f} ms"

    notes = (
        f"- Submissions: {big['submit']['orders']:,} in {big['submit']['seconds']:.1f} s. The gateway "
        f"client alone (MCClient.submit, no store) reached {bare:,.0f}/s = {100 * bare / sub_limit:.0f}% "
        f"of the limit on this machine at the same concurrency: the ceiling the refresh works under.\n"
        f"- CPU of the refreshing process per order (all threads): submit {ms(big['submit'])} (of which "
        f"the HTTP client alone {ms(one['bare'])}), refresh with a change {ms(big['read'])}, without "
        f"{ms(big['reread'])}.\n"
        f"- Reads: {big['read']['orders']:,} orders read and {big['read']['changed']:,} status changes "
        f"written with their events in {big['read']['seconds']:.1f} s; again with nothing to change "
        f"in {big['reread']['seconds']:.1f} s. End state: {big['statuses']}.\n"
        f"- One at a time: {one['submit1']['orders']} submissions, {one['read1']['orders']:,} reads "
        f"(20 pages). Peak RSS is the refreshing process's, per phase (it starts at "
        f"{mib(big['rss_start'])}); the simulator runs in a process of its own.\n"
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other work (load average "
        f"{load} at the end), Python {platform.python_version()}, SQLite store in a temporary directory."
    )
    command = (f".venv/bin/python benchmarks/bench_mc.py --orders {args.orders} --small {args.small} "
               f"--latency-ms {args.latency_ms:g} --concurrency {c} --sample {args.sample}")
    print(table)
    print()
    print(notes)
    Path(args.out).write_text(
        f"# MC refresh benchmark\n\n```\n{command}\n```\n\n{table}\n\n{notes}\n\n{LIMITS}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
