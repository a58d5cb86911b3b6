"""Benchmark: speed as a clerk feels it, measured from outside in a real terminal. Not a test.

    .venv/bin/python benchmarks/bench_felt.py [--sizes 100000,1000000] [--rounds 7]
        [--db sqlite|postgresql|both] [--term 120x40] [--visidata PATH_TO_vd]
        [--out benchmarks/RESULTS-felt.md]

The real `mleg-tui` runs in tmux (a server of its own), keys are sent from outside with
`tmux send-keys`, and the time is read from a tmux control-mode client (`tmux -C attach -r`):
each `%output` notification is stamped as it arrives; after each burst of output the pane is
captured and the expected state tested, so a step's time is from just before the key was sent
to the output after which the screen showed the expected state (rows, status line).

Each round, per store: the bare Textual app (benchmarks/felt_bare.py: one Static, started the
same way) and mleg-tui are started in turn (first screen: from just before `respawn-pane` to
the frame with rows), then in mleg-tui: the filter (a surname typed a key at a time, from the
last key to the screen whose rows all carry it), page-down / page-up, End / Home (the rows
and the status line "Wyświetlane są elementy A..B" right), the album lookup (Enter to the
student shown), and the RSS (VmRSS of the pane's process at start and after End). Where
visidata is given (or found on PATH), it opens the same store's order table in the same round
(`vd STORE +:orders:1:1`) for first screen, page-down, End and memory.

Stores as benchmarks/bench_tui.py builds them (benchmarks/out/sqlite-N.db, and mleg_N of the
PostgreSQL server it starts with its data in benchmarks/out/pg; reused). visidata opens SQLite
only: on PostgreSQL the table has no visidata column.
Medians and p95 over rounds; ratios are paired per round (mleg-tui / bare of the same round).
"""
from __future__ import annotations

import argparse
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_tui  # noqa: E402  (the stores, built the same way)

PY = sys.executable
MLEG = str(Path(PY).with_name("mleg-tui"))
BARE = HERE / "felt_bare.py"
WORD = "Krawczyk"
ROW = re.compile(r"^\s*(\d+) \S.*\d{4}-\d{2}-\d{2}")
SHOWN = re.compile(r"elementy (\d+)\.\.(\d+) \(spośród:? (\d+|…|liczenie…)")
TIMEOUT = 60.0


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


class Terminal:
    """A tmux server of our own with one pane, and a read-only control client on it."""

    def __init__(self, cols: int, rows: int) -> None:
        self.sock = f"felt-{os.getpid()}"
        self.cols, self.rows = cols, rows
        self.tmux("new-session", "-d", "-s", "b", "-x", str(cols), "-y", str(rows), "sleep 86400")
        self.tmux("set-option", "-g", "remain-on-exit", "on")
        self.tmux("set-option", "-g", "status", "off")
        self.events: queue.Queue[float] = queue.Queue()
        self.client = subprocess.Popen(
            ["tmux", "-L", self.sock, "-C", "attach", "-t", "b", "-f", "read-only,ignore-size"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True,
                              check=False).stdout

    def _read(self) -> None:
        assert self.client.stdout is not None
        for line in self.client.stdout:
            if line.startswith(b"%output"):
                self.events.put(time.monotonic())

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", "b").splitlines()

    def drain(self) -> None:
        while True:
            try:
                self.events.get_nowait()
            except queue.Empty:
                return

    def wait(self, cond: Callable[[list[str]], bool], t0: float, timeout: float = TIMEOUT) -> float:
        """Seconds from t0 to the output after which the screen satisfies cond."""
        end = t0 + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waiting for {getattr(cond, '__qualname__', cond)}\n" + "\n".join(self.screen()))
            try:
                stamp = self.events.get(timeout=min(left, 0.5))
            except queue.Empty:
                if cond(self.screen()):  # no output came, and the state is already there
                    return time.monotonic() - t0
                continue
            while True:  # a burst: stamp its last chunk
                try:
                    stamp = self.events.get_nowait()
                except queue.Empty:
                    break
            if cond(self.screen()):
                return stamp - t0

    def start(self, command: str, cond: Callable[[list[str]], bool]) -> float:
        self.tmux("respawn-pane", "-k", "-t", "b", "sleep 86400")
        time.sleep(0.2)
        self.drain()
        t0 = time.monotonic()
        self.tmux("respawn-pane", "-k", "-t", "b", command)
        return self.wait(cond, t0)

    def key(self, key: str, cond: Callable[[list[str]], bool], *, literal: bool = False) -> float:
        time.sleep(0.15)  # the previous step's trailing frames are out
        self.drain()
        t0 = time.monotonic()
        self.tmux("send-keys", "-t", "b", *(["-l"] if literal else []), key)
        return self.wait(cond, t0)

    def pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "b", "#{pane_pid}").strip())

    def rss_mb(self) -> float:
        pid = self.pid()
        try:  # the shell tmux runs may have exec'd the program, or have it as a child
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            kids = []
        best = 0.0
        for p in [pid, *map(int, kids)]:
            try:
                for line in Path(f"/proc/{p}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        best = max(best, int(line.split()[1]) / 1024)
            except OSError:
                pass
        return best

    def close(self) -> None:
        self.client.kill()
        self.tmux("kill-server")


# -- what the screen must show ---------------------------------------------------------
def rows_of(screen: list[str]) -> list[int]:
    return [int(m.group(1)) for line in screen if (m := ROW.match(line))]


def shown(screen: list[str]) -> tuple[int, int, str] | None:
    for line in screen:
        if m := SHOWN.search(line):
            return int(m.group(1)), int(m.group(2)), m.group(3)
    return None


def window_is(first: int) -> Callable[[list[str]], bool]:
    """The rows start at `first` and the status line says so too."""
    def ok(screen: list[str]) -> bool:
        rows, s = rows_of(screen), shown(screen)
        return bool(rows) and rows[0] == first and s is not None and s[0] == first
    return ok


def moved(screen_before: list[str], down: bool) -> Callable[[list[str]], bool]:
    """The window moved a whole page (down or up, or as far as the list goes) and the rows
    and the status line agree on where."""
    before = rows_of(screen_before)
    was, page = before[0], len(before)

    def ok(screen: list[str]) -> bool:
        rows, s = rows_of(screen), shown(screen)
        if not rows or s is None or rows[0] != s[0] or rows[-1] != s[1]:
            return False
        if down:
            total = int(s[2]) if s[2].isdigit() else None
            return rows[0] == was + page or (total is not None and rows[-1] == total and rows[0] > was)
        return rows[0] == max(1, was - page)
    return ok


def agrees(screen: list[str]) -> bool:
    """Rows, and a status line that names them."""
    rows, s = rows_of(screen), shown(screen)
    return bool(rows) and s is not None and (rows[0], rows[-1]) == (s[0], s[1])


def at_end(screen: list[str]) -> bool:
    rows, s = rows_of(screen), shown(screen)
    return bool(rows) and s is not None and s[2].isdigit() and s[1] == int(s[2]) and rows[-1] == s[1]


def filtered(word: str) -> Callable[[list[str]], bool]:
    def ok(screen: list[str]) -> bool:
        lines = [line for line in screen if ROW.match(line)]
        return len(lines) >= 3 and all(word in line for line in lines)
    return ok


def student_shown(album: str) -> Callable[[list[str]], bool]:
    def ok(screen: list[str]) -> bool:
        text = "\n".join(screen)
        return album in text and "Historia" in text
    return ok


def vd_rows(screen: list[str]) -> list[str]:
    return [line for line in screen[2:-1] if "║" in line]


# -- one round ---------------------------------------------------------------------------
def mleg_round(term: Terminal, db: str, today: str, album: str, out: dict[str, list[float]]) -> None:
    cmd = f"env MLEG_TUI_TODAY={today} {MLEG} --db '{db}' --read-only"
    out["first"].append(term.start(cmd, agrees))
    out["rss_start"].append(term.rss_mb())
    # page-down three times, page-up twice, each: rows and status line right
    for _ in range(3):
        out["pgdn"].append(term.key("PageDown", moved(term.screen(), True)))
    for _ in range(2):
        out["pgup"].append(term.key("PageUp", moved(term.screen(), False)))
    out["end"].append(term.key("End", at_end))
    out["rss_end"].append(term.rss_mb())
    out["home"].append(term.key("Home", window_is(1)))
    # the filter, typed a key at a time like a clerk (60 ms apart), from the last key
    term.key("/", lambda s: any("Esc Do listy" in line for line in s), literal=True)  # the filter has the keys
    for ch in WORD[:-1]:
        term.tmux("send-keys", "-t", "b", "-l", ch)
        time.sleep(0.06)
    out["filter"].append(term.key(WORD[-1], filtered(WORD), literal=True))
    # Back to the list with Enter: an Escape with the next key close behind reads as Alt+key
    term.key("Enter", lambda s: True)
    # the album lookup: l, the number, Enter; from Enter
    term.key("l", lambda s: any("Znajdź studenta" in line for line in s))
    term.tmux("send-keys", "-t", "b", "-l", album)
    time.sleep(0.3)
    out["lookup"].append(term.key("Enter", student_shown(album)))
    term.tmux("send-keys", "-t", "b", "q")
    time.sleep(0.1)
    term.tmux("send-keys", "-t", "b", "q")


def vd_round(term: Terminal, vd: str, db: Path, out: dict[str, list[float]]) -> None:
    cmd = f"{vd} {db} +:orders:1:1"
    out["first"].append(term.start(cmd, lambda s: len(vd_rows(s)) >= 5))
    out["rss_start"].append(term.rss_mb())
    for _ in range(3):
        before = vd_rows(term.screen())[:1]
        out["pgdn"].append(term.key("NPage", lambda s, b=before: bool(vd_rows(s)) and vd_rows(s)[:1] != b))
    before = vd_rows(term.screen())[-1:]
    out["end"].append(term.key("End", lambda s, b=before: bool(vd_rows(s)) and vd_rows(s)[-1:] != b))
    out["rss_end"].append(term.rss_mb())
    term.tmux("send-keys", "-t", "b", "C-q")


def bare_round(term: Terminal, out: dict[str, list[float]]) -> None:
    out["first"].append(term.start(f"{PY} {BARE}", lambda s: any("GOTOWE" in line for line in s)))
    out["rss_start"].append(term.rss_mb())
    term.tmux("send-keys", "-t", "b", "q")


# -- the report --------------------------------------------------------------------------
def med(xs: list[float]) -> float:
    return statistics.median(xs)


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def ms(xs: list[float]) -> str:
    return f"{med(xs) * 1000:.0f} / {p95(xs) * 1000:.0f} ms" if xs else "-"


def mb(xs: list[float]) -> str:
    return f"{med(xs):.0f} MB" if xs else "-"


def paired(a: list[float], b: list[float]) -> tuple[float, float]:
    r = [x / y for x, y in zip(a, b)]
    return (med(r), p95(r)) if r else (float("nan"), float("nan"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--term", default="120x40")
    ap.add_argument("--visidata", default=shutil.which("vd") or "")
    ap.add_argument("--out", default=str(HERE / "RESULTS-felt.md"))
    ap.add_argument("--store-dir", type=Path, default=bench_tui.OUT)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = ap.parse_args(argv)
    cols, rows = (int(x) for x in args.term.split("x"))
    sizes = [int(x) for x in args.sizes.split(",")]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    bench_tui.OUT.mkdir(exist_ok=True)
    pg = bench_tui.PgCluster() if "postgresql" in kinds else None
    term: Terminal | None = None
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    lost: list[str] = []
    stores = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    try:
        if pg is not None:
            pg.start()
        for kind in kinds:
            for n in sizes:
                if kind == "sqlite":
                    path = str(args.store_dir / f"sqlite-{n}.db")
                    store = bench_tui.Store("sqlite", n, path, path=path)
                else:
                    assert pg is not None
                    url, dsn = pg.database(f"mleg_{n}")
                    store = bench_tui.Store("postgresql", n, url, dsn=dsn)
                bench_tui.ensure_store(store)
                stores.append(store)
        # The programs in the terminal run as bench_tui runs them: bytecode cached as after
        # an ordinary install, no user configuration (tmux passes this environment on).
        wanted = bench_tui.env()
        os.environ.clear()
        os.environ.update(wanted)
        term = Terminal(cols, rows)
        for rnd in range(args.rounds + 1):  # round 0 warms the caches and is not counted
            for store in stores:
                keep = results.setdefault(store.label, {k: _new() for k in ("bare", "mleg", "vd")})
                got = {k: _new() for k in keep}
                try:
                    bare_round(term, got["bare"])
                    mleg_round(term, store.url, bench_tui.TODAY, store.albums[0], got["mleg"])
                    if args.visidata and store.kind == "sqlite":
                        vd_round(term, args.visidata, Path(store.path), got["vd"])
                except TimeoutError as e:  # a screen never seen: the round is left out, and said
                    lost.append(f"round {rnd} at {store.label}: " + " / ".join(
                        line.strip() for line in str(e).splitlines()[:3] if line.strip())[:200])
                    log(f"round {rnd} {store.label}: TIMED OUT, left out ({lost[-1]})\n{e}")
                    term.close()  # whatever the pane was left in (the server gone, once), a new one
                    term = Terminal(cols, rows)
                    continue
                log(f"round {rnd} {store.label}: bare {got['bare']['first'][0]*1000:.0f} ms, "
                    f"mleg {got['mleg']['first'][0]*1000:.0f} ms, filter {got['mleg']['filter'][0]*1000:.0f} ms, "
                    f"pgdn {' '.join(f'{x * 1000:.0f}' for x in got['mleg']['pgdn'])} ms, "
                    f"end {got['mleg']['end'][0]*1000:.0f} ms, lookup {got['mleg']['lookup'][0]*1000:.0f} ms")
                if rnd:
                    for k in keep:
                        for m, xs in got[k].items():
                            keep[k][m].extend(xs)
    finally:
        if term is not None:
            term.close()
        if pg is not None:
            pg.stop()
    text = report(args, cols, rows, stores, results)
    if lost:
        text += "\nRounds left out (a screen not seen within the timeout): " + "; ".join(lost) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


def _new() -> dict[str, list[float]]:
    return {k: [] for k in ("first", "pgdn", "pgup", "end", "home", "filter", "lookup", "rss_start", "rss_end")}


def report(args: argparse.Namespace, cols: int, rows: int, stores: list, results: dict) -> str:
    lines = [
        "# Speed as a clerk feels it: a real terminal (tmux), keys from outside",
        "",
        f"`{' '.join([Path(sys.argv[0]).name, *sys.argv[1:]])}` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, tmux {cols}x{rows}, "
        f"{args.rounds} rounds (+1 not counted); median / p95; ratios paired per round.",
        "",
    ]
    for store in stores:
        r = results.get(store.label)
        if r is None:
            continue
        b, m, v = r["bare"], r["mleg"], r["vd"]
        rm, rp = paired(m["first"], b["first"])
        aim = "1.5x (p95 1.8x)" if store.kind == "sqlite" else "2x"
        lines += [
            f"## {store.orders:,} orders ({'SQLite' if store.kind == 'sqlite' else 'PostgreSQL'})", "",
            "| step | bare Textual | mleg-tui | aim | visidata |",
            "|---|---|---|---|---|",
            f"| first screen with rows | {ms(b['first'])} | {ms(m['first'])} "
            f"({rm:.2f}x bare, p95 {rp:.2f}x) | {aim} | {ms(v['first'])} |",
            f"| filter \"{WORD}\": last key -> rows | - | {ms(m['filter'])} | p95 < 100 ms | - |",
            f"| page-down: key -> rows and status line | - | {ms(m['pgdn'])} | p95 < 20 ms | {ms(v['pgdn'])} |",
            f"| page-up | - | {ms(m['pgup'])} | p95 < 20 ms | - |",
            f"| End | - | {ms(m['end'])} | p95 < 20 ms | {ms(v['end'])} |",
            f"| Home | - | {ms(m['home'])} | p95 < 20 ms | - |",
            f"| album lookup: Enter -> student | - | {ms(m['lookup'])} | p95 < 50 ms | - |",
            f"| memory (RSS) start / after End | {mb(b['rss_start'])} | {mb(m['rss_start'])} / "
            f"{mb(m['rss_end'])} | < 120 MB | {mb(v['rss_start'])} / {mb(v['rss_end'])} |",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
