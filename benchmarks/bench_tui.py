"""Benchmark: the TUI at 10k, 100k and 1M orders, on SQLite and PostgreSQL (issue 5). Not a test.

    .venv/bin/python benchmarks/bench_tui.py [--sizes 10000,100000,1000000]
        [--db sqlite|postgresql|both] [--runs 5] [--term 120x40] [--out benchmarks/RESULTS-tui.md]
        [--src OTHER_CHECKOUT/src]   (the app of another checkout: before/after a change)
        [--steps all|first]   (first: only the first screen, beside the bare app)

Stores: `mleg-tui demo-data --students S --seed 1 --today 2025-11-20` with S = N / 1.31 (the
demo gives about 1.31 orders a student), into benchmarks/out/sqlite-N.db, or into database
mleg_N of a PostgreSQL server this script starts (tests/support/pgserver.py's way, its data kept in
benchmarks/out/pg/ and its server stopped at the end). A store of about the right size
(within 10%) that is already there is used again: building 1M takes minutes. With --src the
stores are that checkout's own (its schema, built by its demo-data, the same parameters):
benchmarks/out/sqlite-N-COMMIT.db or mleg_N_COMMIT.

Each run starts fresh processes (benchmarks/tui_driver.py), one per store, each right after
one for the bare-app reference, so that the reference sees the same machine load; bytecode is
cached as after an ordinary install, and a first run of each is not counted:
  1. first screen: from just before Popen to the first frame in which the order table drew
     rows (the real start path: argument parser, settings, MlegApp; headless, --term size);
  2. filter: a word typed into the empty name filter; from the word's last keystroke to the
     frame that shows the rows of the new list. Until issue 15 the filter waited 0.3 s after
     the last keystroke (now it asks at each key, so that part is about 0); that part is shown
     apart, and "after debounce" is the rest;
  3. lookup: `l`, the album number, Enter; from Enter to the frame showing the student pane;
     and by name: `l`, "surname first name", Enter; to the frame showing the list of the
     matches (at 1M most names are several people's) or the student's pane;
  4. page-down from the top of the list, ten times; each until the frame in which every
     visible line is a row of the new window;
  5. peak RSS of the app process (getrusage ru_maxrss, at its end);
  and, not an aim, End (a jump to the end of the whole list).
References in the same run: a bare Textual app's first frame (one Static, the same process
set-up and timing), and the very SQL statements each step sent (captured in the app from the
worker that fetched what the step waited for; for page-down, the read-ahead of the next page
that it set off), run again directly with sqlite3 / psycopg. Medians and p95 pool every
sample of every run; the first screen's ratio is the median of the paired ratios, the
others are ratios of medians.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import platform
import random
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
DRIVER = HERE / "tui_driver.py"
PY = sys.executable
MLEG = str(Path(PY).with_name("mleg-tui"))
TODAY = "2025-11-20"
SEED = 1
ORDERS_PER_STUDENT = 1.31
PAGE_DOWNS = 10
LOOKUPS = 5
WORDS = 3
REPLAYS = 7
AIM_MS = 50

sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("MLEG_TUI_") and k != "NO_COLOR"}
    # Bytecode cached as after an ordinary install (pip compiles it): the app's own modules
    # are not compiled again at every start, as Textual's never are.
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    empty = OUT / "empty.toml"
    empty.touch()
    e["MLEG_TUI_CONFIG"] = str(empty)  # no user config leaks in
    return e


# -- stores -----------------------------------------------------------------------------------

@dataclass
class Store:
    kind: str  # sqlite | postgresql
    n: int
    url: str
    orders: int = 0
    dsn: str = ""  # psycopg
    path: str = ""  # sqlite
    words: list[str] = field(default_factory=list)
    albums: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # "surname first name", folded

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.n}" + (f"-{SRC_TAG}" if SRC_TAG else "")

    def connect(self) -> Any:
        if self.kind == "sqlite":
            return sqlite3.connect(self.path)
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True)


def count_orders(store: Store) -> int | None:
    try:
        conn = store.connect()
    except Exception:  # noqa: BLE001
        return None
    try:
        return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])
    except Exception:  # noqa: BLE001 - no table yet, a half-built store
        return None
    finally:
        conn.close()


def build(store: Store) -> None:
    students = round(store.n / ORDERS_PER_STUDENT)
    log(f"building {store.label}: demo-data --students {students} (this takes a while at 1M)")
    t = time.monotonic()
    args = ["--db", store.url, "--today", TODAY, "demo-data", "--students", str(students),
            "--seed", str(SEED), "--replace"]
    cmd, e = [MLEG, *args], env()
    if SRC_OVERRIDE:  # the other checkout's own demo-data writes its own schema
        cmd = [PY, "-c", "import sys; from mleg_tui.cli import main; sys.exit(main())", *args]
        e["PYTHONPATH"] = SRC_OVERRIDE
    with open(OUT / f"{store.label}.build.log", "w") as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT, env=e)
    log(f"built {store.label} in {time.monotonic() - t:.0f} s")


def ensure_store(store: Store) -> None:
    found = count_orders(store)
    if found is None or abs(found - store.n) > store.n * 0.1:
        if store.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(store.path + suffix).unlink(missing_ok=True)
        build(store)
        found = count_orders(store)
        assert found, f"{store.label}: no orders after the build"
    else:
        log(f"reusing {store.label} ({found} orders)")
    store.orders = found
    pick_inputs(store)


def pick_inputs(store: Store, runs: int = 50) -> None:
    """Filter words and album numbers, the same for a given store, different in each run:
    a common surname (thousands of persons: the walk along the sort index), a whole name
    "surname first" (a few dozen persons: their ids into the query), and the first four
    letters of a surname (several surnames at once)."""
    from mleg_tui.domain.names import fold

    conn = store.connect()
    try:
        rng = random.Random(SEED)
        surnames = [fold(r[0]) for r in conn.execute(
            "SELECT last_name, count(*) AS c FROM person GROUP BY last_name ORDER BY c DESC, last_name")]
        top = max(conn.execute("SELECT max(id) FROM person").fetchone()[0], 1)
        ids = rng.sample(range(1, top + 1), min(top, 4000))
        ph = "?" if store.kind == "sqlite" else "%s"
        rows = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows += conn.execute(
                f"SELECT id, album, name_key FROM person WHERE album IS NOT NULL AND id IN "
                f"({','.join(ph for _ in chunk)})", chunk).fetchall()
        rows.sort(key=lambda r: ids.index(r[0]))
        albums = [r[1] for r in rows]
        names = [r[2] for r in rows]
    finally:
        conn.close()
    words: list[str] = []
    for r in range(runs):
        words += [surnames[r % 5], names[r], surnames[(7 * r + 11) % len(surnames)][:4]]
    store.words = words
    store.albums = albums[len(names) // 2:]
    store.names = names[len(names) // 2:]


class PgCluster:
    """A PostgreSQL server for the benchmark (tests/support/pgserver.py's way), its data kept in
    benchmarks/out/pg so that the stores outlive the run."""

    def __init__(self) -> None:
        from support.pgserver import PgServer

        s = PgServer.__new__(PgServer)
        from support.pgserver import _free_port, ensure_installed

        s.bindir = ensure_installed()
        s.root = os.geteuid() == 0
        s.dir = OUT / "pg"
        s.data = s.dir / "data"
        s.port = _free_port()
        s.user = "postgres" if s.root else (os.environ.get("USER") or "postgres")
        s.dir.mkdir(parents=True, exist_ok=True)
        if s.root:
            shutil.chown(s.dir, "postgres", "postgres")
        self.s = s

    def start(self) -> None:
        s = self.s
        if not (s.data / "PG_VERSION").exists():
            s._run(str(s.bindir / "initdb"), "-D", str(s.data), "-U", s.user, "--auth=trust",
                   "-E", "UTF8", "--locale=C.UTF-8")
        # tests/support/pgserver.py's settings, with a log that stays in benchmarks/out/pg
        opts = (f"-c listen_addresses=127.0.0.1 -c port={s.port} -c unix_socket_directories={s.dir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200 -c shared_buffers=128MB")
        s._run(str(s.bindir / "pg_ctl"), "-D", str(s.data), "-o", opts, "-l", str(s.dir / "log"),
               "-w", "-t", "60", "start")
        log(f"PostgreSQL on 127.0.0.1:{s.port} (data in {s.data})")

    def stop(self) -> None:
        s = self.s
        s._run(str(s.bindir / "pg_ctl"), "-D", str(s.data), "-m", "fast", "stop", check=False)

    def database(self, name: str) -> tuple[str, str]:
        import psycopg

        s = self.s
        admin = f"host=127.0.0.1 port={s.port} user={s.user} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return s.url(name), f"host=127.0.0.1 port={s.port} user={s.user} dbname={name}"


# -- runs ---------------------------------------------------------------------------------------

SRC_OVERRIDE: str | None = None  # --src: the app from another checkout (before/after)
SRC_TAG = ""  # that checkout's commit, in its stores' names


def run_driver(mode: str, plan: dict[str, Any], tag: str) -> dict[str, Any]:
    plan_path = OUT / f"plan-{tag}.json"
    out_path = OUT / f"result-{tag}.pickle"
    plan_path.write_text(json.dumps(plan))
    out_path.unlink(missing_ok=True)
    cmd = [PY, str(DRIVER), "", mode, str(plan_path), str(out_path)]
    e = env()
    if SRC_OVERRIDE:
        e["PYTHONPATH"] = SRC_OVERRIDE + os.pathsep + e.get("PYTHONPATH", "")
    t0 = time.monotonic()
    cmd[2] = repr(t0)
    p = subprocess.run(cmd, env=e, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    result: dict[str, Any] = {}
    if out_path.exists():
        with open(out_path, "rb") as f:
            result = pickle.load(f)
    if p.returncode != 0 or "error" in result:
        raise RuntimeError(f"{tag}: driver failed ({p.returncode}): {result.get('error')}\n"
                           f"{result.get('trace', '')}\n{p.stderr[-3000:]}")
    return result


def replay(store: Store, samples: list[list[tuple[str, Any]]], reps: int = REPLAYS) -> list[float]:
    """The same statements, run directly (sqlite3 / psycopg), each sample `reps` times."""
    conn = store.connect()
    times: list[float] = []
    try:
        for statements in samples:
            stmts = [(s, p) for s, p in statements if not s.lstrip().upper().startswith("BEGIN")]
            if not stmts:
                continue
            for _ in range(reps):
                t = time.perf_counter()
                for sql, params in stmts:
                    cur = conn.execute(sql, params)
                    if cur.description is not None:
                        cur.fetchall()
                times.append(time.perf_counter() - t)
    finally:
        conn.close()
    return times


# -- figures -------------------------------------------------------------------------------------

def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p95(xs: list[float]) -> float:
    if not xs:
        return float("nan")
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=20, method="inclusive")[18]


def _ms(x: float) -> str:
    x *= 1000
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}" if x >= 1 else f"{x:.2f}"


def ms(xs: list[float]) -> str:
    if not xs:
        return "–"
    return f"{_ms(med(xs))} / {_ms(p95(xs))} ms"


def mb(xs: list[float]) -> str:
    if not xs:
        return "–"
    return f"{med(xs) / 2**20:.0f} / {max(xs) / 2**20:.0f} MB"


def ratio(xs: list[float], ref: list[float]) -> str:
    if not xs or not ref or med(ref) <= 0:
        return "–"
    r = med(xs) / med(ref)
    return f"{r:.1f}×" if r < 100 else f"{r:.0f}×"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--term", default="120x40", help="terminal size, COLSxROWS")
    ap.add_argument("--out", default=str(HERE / "RESULTS-tui.md"))
    ap.add_argument("--src", help="run the app from this src/ directory (another checkout, "
                    "to compare before and after a change)")
    ap.add_argument("--steps", choices=["all", "first"], default="all",
                    help="first: only the first screen (and the bare app before each run)")
    args = ap.parse_args(argv)
    global SRC_OVERRIDE, SRC_TAG
    SRC_OVERRIDE = str(Path(args.src).resolve()) if args.src else None
    if SRC_OVERRIDE:
        SRC_TAG = subprocess.run(["git", "-C", SRC_OVERRIDE, "rev-parse", "--short=7", "HEAD"],
                                 capture_output=True, text=True).stdout.strip() or "src"
    first_only = args.steps == "first"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    term = [int(x) for x in args.term.lower().split("x")]
    OUT.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/bench_tui.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))

    pg: PgCluster | None = None
    stores: list[Store] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    try:
        if "postgresql" in kinds:
            pg = PgCluster()
            pg.start()
        for kind in kinds:
            for n in sizes:
                if kind == "sqlite":
                    path = str(OUT / f"sqlite-{n}{'-' + SRC_TAG if SRC_TAG else ''}.db")
                    st = Store(kind, n, path, path=path)
                else:
                    assert pg is not None
                    url, dsn = pg.database(f"mleg_{n}{'_' + SRC_TAG if SRC_TAG else ''}")
                    st = Store(kind, n, url, dsn=dsn)
                ensure_store(st)
                stores.append(st)

        log("warming up (bytecode, the OS's file cache): one run of each, not counted")
        run_driver("bare", {"size": term}, "bare")
        for st in stores:
            run_driver("app", {"db": st.url, "today": TODAY, "size": term, "page_downs": 1,
                               "words": st.words[-WORDS:], "albums": st.albums[-LOOKUPS:],
                               "names": st.names[-LOOKUPS:], "steps": args.steps}, st.label)
        bare: list[dict[str, Any]] = []
        apps: dict[str, list[dict[str, Any]]] = {s.label: [] for s in stores}
        for r in range(args.runs):
            for st in stores:
                # The reference right before each app run: the machine is shared, so each
                # first screen is divided by the bare app's first frame of the same moment.
                ref = run_driver("bare", {"size": term}, "bare")
                bare.append(ref)
                plan = {"db": st.url, "today": TODAY, "size": term, "page_downs": PAGE_DOWNS,
                        "words": st.words[r * WORDS:(r + 1) * WORDS],
                        "albums": st.albums[r * LOOKUPS:(r + 1) * LOOKUPS],
                        "names": st.names[r * LOOKUPS:(r + 1) * LOOKUPS], "steps": args.steps}
                log(f"run {r + 1}/{args.runs}: {st.label}")
                res = run_driver("app", plan, st.label)
                res["bare_first"], res["bare_cpu_first"] = ref["first"], ref["cpu_first"]
                apps[st.label].append(res)
                if first_only:
                    log(f"  first {res['first'] * 1000:.0f} ms (bare app {ref['first'] * 1000:.0f} ms, "
                        f"ratio {res['first'] / ref['first']:.2f}×)")
                    continue
                if res.get("mismatch"):
                    log(f"  !! {res['mismatch']} rows shown did not match the filter")
                for e in res.get("errors", []):
                    log(f"  !! {e}")
                log(f"  first {res['first'] * 1000:.0f} ms (bare app {ref['first'] * 1000:.0f} ms), "
                    f"filter {med(res['filter']) * 1000:.0f} ms, "
                    f"lookup {med(res['lookup']) * 1000:.0f} ms, page-down {med(res['page_down']) * 1000:.0f} ms, "
                    f"peak {res['peak_rss'] / 2**20:.0f} MB")

        log("direct SQL references")
        direct: dict[str, dict[str, list[float]]] = {}
        for st in stores:
            direct[st.label] = {}
            if first_only:
                continue
            for op in ("first_page", "filter", "lookup", "lookup_name", "page_down", "end"):
                samples = [s for res in apps[st.label] for s in res["sql"].get(op, [])]
                direct[st.label][op] = replay(st, samples)
    finally:
        if pg is not None:
            pg.stop()

    text = (first_report if first_only else report)(args, command, term, stores, bare, apps, direct)
    text = "# TUI benchmark: orders at 10k, 100k and 1M (issue 5)\n\n" + text
    print(text)
    Path(args.out).write_text(text)
    log(f"written to {args.out}")
    return 0


def first_report(args: Any, command: str, term: list[int], stores: list[Store],
                 bare: list[dict[str, Any]], apps: dict[str, list[dict[str, Any]]],
                 direct: dict[str, dict[str, list[float]]]) -> str:
    """--steps first: the first screen, the bare app before each run, and their paired ratio."""
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    lines = ["| store | N orders | first screen median / p95 | bare app median / p95 "
             "| paired ratio median (p95) | CPU: app / bare median | CPU ratio median (p95) "
             "| per run: first / bare ms |", "|" + "---|" * 8]
    for st in stores:
        runs = apps[st.label]
        paired = [res["first"] / res["bare_first"] for res in runs]
        cpu = [res["cpu_first"] / res["bare_cpu_first"] for res in runs]
        each = ", ".join(f"{res['first'] * 1000:.0f}/{res['bare_first'] * 1000:.0f}" for res in runs)
        lines.append(f"| {names[st.kind]} | {st.orders:,} | {ms([r['first'] for r in runs])} "
                     f"| {ms([r['bare_first'] for r in runs])} "
                     f"| {med(paired):.2f}× ({p95(paired):.2f}×) "
                     f"| {_ms(med([r['cpu_first'] for r in runs]))} / "
                     f"{_ms(med([r['bare_cpu_first'] for r in runs]))} ms "
                     f"| {med(cpu):.2f}× ({p95(cpu):.2f}×) | {each} |")
    src = f"the app from {SRC_OVERRIDE} (commit {SRC_TAG})" if SRC_OVERRIDE else "the app of this checkout"
    return "\n".join(lines) + f"""

Command: `{command}` ({src}; stores: {', '.join(Path(s.path).name if s.path else s.url for s in stores)}).
Machine: {platform.platform()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()};
{args.runs} runs, each a fresh process for the bare app and then one for the app; terminal
{term[0]}×{term[1]}, headless; one uncounted warm-up run of each first. The ratio is each run's first
screen divided by the bare app's first frame just before it. CPU: the process's own CPU time
(every thread, from its start) at that frame, less swayed by the other work on the machine.
Generated {dt.datetime.now().isoformat(timespec='seconds')}.
"""


def report(args: Any, command: str, term: list[int], stores: list[Store], bare: list[dict[str, Any]],
           apps: dict[str, list[dict[str, Any]]], direct: dict[str, dict[str, list[float]]]) -> str:
    kinds = sorted({s.kind for s in stores}, key=["sqlite", "postgresql"].index)
    sizes = sorted({s.n for s in stores})
    by = {(s.kind, s.n): s for s in stores}
    bare_first = [b["first"] for b in bare]
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

    def pool(kind: str, n: int, key: str) -> list[float]:
        st = by.get((kind, n))
        if st is None:
            return []
        out: list[float] = []
        for res in apps[st.label]:
            v = res[key]
            out += v if isinstance(v, list) else [v]
        return out

    head = ("| metric | N orders | "
            + " | ".join(f"{names[k]} median / p95 | {names[k]} ratio" for k in kinds) + " | aim at 1M |")
    sep = "|" + "---|" * (2 + 2 * len(kinds) + 1)
    lines = [head, sep]

    def row(metric: str, n: int, cells: list[tuple[str, str]], aim: str) -> None:
        lines.append(f"| {metric} | {n:,} | " + " | ".join(f"{a} | {b}" for a, b in cells) + f" | {aim} |")

    for n in sizes:
        def cells(key: str, ref_of, n: int = n) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
            out = []
            for k in kinds:
                xs = pool(k, n, key)
                out.append((ms(xs), ratio(xs, ref_of(k)) if ref_of else ""))
            return out

        def sql_ref(op: str, n: int = n):  # type: ignore[no-untyped-def]
            return lambda kind: direct.get(by[(kind, n)].label if (kind, n) in by else "", {}).get(op, [])

        firsts = []
        for k in kinds:
            st = by.get((k, n))
            runs = apps[st.label] if st else []
            paired = [res["first"] / res["bare_first"] for res in runs]
            firsts.append((ms(pool(k, n, "first")),
                           f"{med(paired):.2f}× (p95 {p95(paired):.2f}×)" if paired else "–"))
        row("1. first screen with rows (process start)", n, firsts, "≤ 2× bare app")
        row("2. filter: last keystroke → new rows", n, cells("filter", None), "")
        row("   of which the debounce (fixed)", n, cells("debounce", None), "")
        row("   after the debounce → new rows", n, cells("filter_after_debounce", sql_ref("filter")),
            f"p95 < {AIM_MS} ms")
        row("3. album lookup: Enter → student pane", n, cells("lookup", sql_ref("lookup")), f"p95 < {AIM_MS} ms")
        row("   name lookup: Enter → list of matches", n, cells("lookup_name", sql_ref("lookup_name")),
            f"p95 < {AIM_MS} ms")
        row("4. page-down → new window's rows", n, cells("page_down", sql_ref("page_down")), f"p95 < {AIM_MS} ms")
        row("   End (jump to the last row), extra", n, cells("end", sql_ref("end")), "")
        mem = []
        for k in kinds:
            xs = pool(k, n, "peak_rss")
            mem.append((mb(xs), ""))
        row("5. peak RSS of the app process (median / max)", n, mem, "< 200 MB, flat 100k→1M")
    lines.append("")
    lines.append("References measured in the same run (the bare app: one run before each app run):")
    lines.append("")
    lines.append("| reference | N orders | " + " | ".join(f"{names[k]} median / p95" for k in kinds) + " |")
    lines.append("|" + "---|" * (2 + len(kinds)))
    lines.append("| bare Textual app, first frame (process start) | – | "
                 + " | ".join(ms(bare_first) for _ in kinds) + " |")
    labels = {"first_page": "first-page query (unfiltered window)",
              "filter": "filter queries (rows, not the count)",
              "lookup": "album lookup (the search and the student view's queries)",
              "lookup_name": "name lookup (the search and the matches' rows)",
              "page_down": "page-down: the keyset query reading the next page",
              "end": "End: key at the end + window"}
    for n in sizes:
        for op, label in labels.items():
            lines.append(f"| direct SQL: {label} | {n:,} | "
                         + " | ".join(ms(direct.get(by[(k, n)].label, {}).get(op, [])) for k in kinds) + " |")
    lines.append("")
    for k in kinds:
        for n in sizes:
            st = by[(k, n)]
            lines.append(f"- {names[k]} {n:,}: {st.orders:,} orders in the store; "
                         f"filter words e.g. {', '.join(repr(w) for w in st.words[:WORDS])}.")
    notes = f"""
Command: `{command}` (from the repository root, with `.venv/bin/python`).
Machine: {platform.platform()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()};
{args.runs} runs, each a fresh process per store (and one for the bare app before it);
terminal {term[0]}×{term[1]}, headless; a first, uncounted run of each warms the bytecode and
file caches.
Figures are median / p95 over every sample of every run ({PAGE_DOWNS} page-downs, {WORDS} filter
words and {LOOKUPS} album and {LOOKUPS} name lookups per run). The first screen's ratio is the median (and p95) of each
run's first screen divided by the bare app's first frame measured just before it; the other
ratios are of medians, to the same SQL statements run directly ({REPLAYS} times each).
The filter asks at each keystroke (a checkout from before issue 15 waits 0.3 s after the last
one); the aim applies to what follows that. Generated {dt.datetime.now().isoformat(timespec='seconds')}.
"""
    return "\n".join(lines) + "\n" + notes


if __name__ == "__main__":
    sys.exit(main())
