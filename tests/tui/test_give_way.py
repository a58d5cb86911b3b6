"""Modules loaded in the background give way to the keys (mleg_tui.give_way): in a fresh
interpreter, where the store's modules are not loaded yet, as at the app's start."""
from __future__ import annotations

import json
import subprocess
import sys

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
    give_way.typed()
    time.sleep(0.02)
worker.join()
other = []  # a thread not giving way does not wait
t = threading.Thread(target=load, args=(other, False))
give_way.typed()
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
        give_way.typed()
        job.start()
        while time.monotonic() - t0 < typing_for:
            give_way.typed()  # a key every 20 ms
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
