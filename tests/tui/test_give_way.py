"""Modules loaded in the background give way to the keys (mleg_tui.give_way): in a fresh
interpreter, where the store's modules are not loaded yet, as at the app's start."""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SCRIPT = r"""
import json, threading, time
from mleg_tui import give_way

def load(out, way):
    t = time.monotonic()
    if way:
        with give_way.giving_way():
            import sqlalchemy.orm  # noqa: F401
    else:
        import sqlmodel  # noqa: F401
    out.append(time.monotonic() - t)

typing_for = float(__import__("sys").argv[1])
out = []
worker = threading.Thread(target=load, args=(out, True))
worker.start()
end = time.monotonic() + typing_for
while time.monotonic() < end:  # a clerk typing a key every 20 ms
    give_way.busy()
    time.sleep(0.02)
worker.join()
other = []  # a thread not giving way does not wait
t = threading.Thread(target=load, args=(other, False))
give_way.busy()
t.start(); t.join()
print(json.dumps({"giving_way": out[0], "typed_for": typing_for, "other": other[0]}))
"""


def run(typing_for: float) -> dict[str, float]:
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(typing_for)], capture_output=True, text=True,
                       timeout=60, check=True)
    return json.loads(r.stdout)


def test_background_imports_wait_while_keys_come_and_not_longer_than_the_budget() -> None:
    from mleg_tui.give_way import WAIT_AT_MOST

    got = run(0.4)
    assert got["giving_way"] >= 0.4  # nothing loaded while the keys came
    got = run(3 * WAIT_AT_MOST)  # a clerk who never pauses delays the store by the budget only
    assert got["giving_way"] < 2 * WAIT_AT_MOST + 1.0
    assert got["other"] < WAIT_AT_MOST  # another thread's imports never wait


def test_a_background_job_waits_for_a_rest_and_never_longer_than_its_bound() -> None:
    """The count, the pane's student, rows read ahead: each starts once no key has come for
    a moment, or after REST_AT_MOST however fast the keys come."""
    import threading
    import time

    from mleg_tui import give_way

    def started_after(typing_for: float) -> float:
        t0 = time.monotonic()
        started: list[float] = []
        job = threading.Thread(target=lambda: (give_way.rest(), started.append(time.monotonic() - t0)))
        give_way.busy()
        job.start()
        while time.monotonic() - t0 < typing_for:
            give_way.busy()  # a key every 20 ms
            time.sleep(0.02)
        job.join()
        return started[0]

    assert started_after(0.0) >= give_way.GIVE_WAY * 0.9  # a key just came: it waits for the rest
    assert started_after(0.15) >= 0.15  # not while the keys come
    assert started_after(1.0) < give_way.REST_AT_MOST + 0.2  # but a bounded time
    time.sleep(give_way.GIVE_WAY)  # the clerk rests
    t = time.monotonic()
    give_way.rest()
    assert time.monotonic() - t < give_way.GIVE_WAY / 2  # no key lately: at once


def _progress_while_typing(work: Callable[[Callable[[], None]], None], typing_for: float) -> tuple[int, int]:
    """Steps a thread giving way makes (`work(step)` calls step() at each) while keys come
    for `typing_for` seconds, and in as long a time right after."""
    import threading
    import time

    from mleg_tui import give_way

    stamps: list[float] = []
    stop = threading.Event()

    def step() -> None:
        stamps.append(time.monotonic())
        if stop.is_set():
            raise StopIteration

    def run() -> None:
        with give_way.giving_way(), contextlib.suppress(StopIteration):
            work(step)

    t0 = time.monotonic()
    give_way.busy()
    job = threading.Thread(target=run)
    job.start()
    while time.monotonic() - t0 < typing_for:
        give_way.busy()  # a key every 20 ms
        time.sleep(0.02)
    t1 = time.monotonic()
    time.sleep(typing_for)
    stop.set()
    job.join()
    return (sum(t0 <= s < t1 for s in stamps), sum(s >= t1 + give_way.GIVE_WAY for s in stamps))


def test_work_giving_way_stops_mid_way_while_keys_come() -> None:
    """Not only between modules: a long stretch of Python (a module's classes, a student
    drawn for the pane) stops at its next call once a key comes, and goes on after."""

    def python(step: Callable[[], None]) -> None:
        while True:
            for _ in range(2000):
                abs(-1)
            step()

    during, after = _progress_while_typing(python, 0.4)
    assert after > 50  # it runs when the keys rest
    assert during < after / 20  # and all but stands while they come


def test_a_long_sqlite_read_giving_way_stops_mid_statement_while_keys_come(tmp_path: Path) -> None:
    """The count over a million orders is one statement: it stops inside it (the store's
    SQLite connections pause where mleg_tui.read_pause says), not only between statements."""
    import threading
    import time

    from sqlalchemy import text

    from mleg_tui import give_way
    from mleg_tui.store.engine import create

    engine = create(f"sqlite:///{tmp_path / 'store.db'}", create=True)
    statement = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                     "WHERE i < 1500000) SELECT count(*) FROM n")

    def read(out: list[float]) -> None:
        with engine.connect() as conn, give_way.giving_way():
            t = time.monotonic()
            conn.execute(statement).scalar()
            out.append(time.monotonic() - t)

    def timed(typing_for: float) -> float:
        out: list[float] = []
        job = threading.Thread(target=read, args=(out,))
        job.start()
        time.sleep(0.1)  # no key: the statement is well under way
        t0 = time.monotonic()
        while time.monotonic() - t0 < typing_for:
            give_way.busy()  # a key every 20 ms
            time.sleep(0.02)
        job.join()
        return out[0]

    time.sleep(give_way.GIVE_WAY)
    alone = min(timed(0.0) for _ in range(2))
    typed_over = timed(alone + 0.6)  # keys come from then on, until after it would have ended
    engine.dispose()
    assert typed_over > alone + 0.4, (alone, typed_over)
