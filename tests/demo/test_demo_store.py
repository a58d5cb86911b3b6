"""The demo's own store: `demo-data` and `mleg-tui demo` write and open only a store that is
new or marked as a demo, never one of real data; `mleg-tui demo` says where its store is
and the command line reaches it (`--demo`)."""
from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from mleg_tui.config import Settings
from mleg_tui.services.context import Context, open_context
from mleg_tui.services.importer import ImportReport
from support.cli import CliResult, mleg_command, run_cli
from support.demo import EVENING
from support.register import enrolment
from support.stores import store_dump, store_sql

REFUSED = "nie jest bazą demonstracyjną"


def _one_line_error(r: CliResult, expected: str) -> None:
    assert r.returncode == 2 and "Traceback" not in r.stderr, r
    assert len(r.err_lines) == 1 and expected in r.stderr, r


def test_demo_data_never_writes_a_store_of_real_data(ctx: Context, add_students: Callable[..., ImportReport],
                                                     cli: Callable[..., CliResult], store_url: str):
    """Once `demo-data --replace` erased a real store's persons, orders and event log."""
    add_students(enrolment("P1", "100001"), enrolment("P2", "100002", "Jan", "Nowak"))
    from mleg_tui.services.actions import place_order

    place_order(ctx, "100001")
    before = store_dump(store_url)
    for args in (["demo-data", "--replace"], ["demo-data", "--students", "5", "--replace"], ["demo-data"]):
        _one_line_error(cli(*args), "zawiera dane, które nie są demonstracyjne")
    assert store_dump(store_url) == before


def test_demo_data_builds_a_new_store_as_a_demo_and_rebuilds_only_that(cli: Callable[..., CliResult],
                                                                       cli_env: dict[str, str], store_url: str):
    cli_env["MLEG_TUI_TODAY"] = EVENING
    assert cli("orders").returncode == 2  # no store yet, and reading makes none
    open_context(Settings(db=store_url), role="admin").engine.dispose()  # a new store, empty: it may become a demo
    assert cli("demo-data", "--students", "30").returncode == 0
    assert store_sql(store_url, "SELECT value FROM meta WHERE key = 'demo'") == [(EVENING,)]
    _one_line_error(cli("demo-data", "--students", "30"), "--replace")
    rebuilt = cli("demo-data", "--students", "25", "--replace")
    assert rebuilt.returncode == 0 and "25 osób" in rebuilt.stdout, rebuilt
    assert store_sql(store_url, "SELECT count(*) FROM person") == [(25,)]


# --- mleg-tui demo ---------------------------------------------------------------------------

@pytest.fixture
def demo_env(tmp_path: Path, isolated_env: Path) -> dict[str, str]:
    """A user's environment with the data directory (where the demo keeps its store) in tmp."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MLEG_TUI_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), MLEG_TUI_CONFIG=str(isolated_env),
               PYTHONIOENCODING="utf-8", TERM="xterm-256color", COLUMNS="100", LINES="30")
    return env


def _in_terminal(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 90) -> str:
    """`mleg-tui ARGS` in a terminal of its own (a pty), quit with Ctrl+Q once the TUI is up;
    everything it wrote there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen([*mleg_command(), *args], stdin=slave, stdout=slave, stderr=slave,
                            env=dict(env), cwd=cwd, start_new_session=True)
    os.close(slave)
    out, deadline, quit_sent = b"", time.monotonic() + timeout, 0.0
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
            # The TUI is up once it shows the order list's status line: ask it to quit.
            if "Wyświetlane".encode() in out and time.monotonic() - quit_sent > 1:
                os.write(master, b"\x11")
                quit_sent = time.monotonic()
        proc.wait(timeout=10)
        while True:  # what it wrote after the TUI ended
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    return out.decode("utf-8", errors="replace").replace("\r\n", "\n")


def test_demo_says_where_its_store_is_and_the_cli_reaches_it(demo_env: dict[str, str], tmp_path: Path):
    shown = _in_terminal(["demo", "--students", "40", "--today", EVENING], demo_env, tmp_path)
    store = tmp_path / "data" / "mleg-tui" / "demo" / "demo.db"
    assert f"Baza demonstracyjna: {store} (dzień demonstracji: 3.09.2025, 23:30)" in shown
    assert "Z wiersza poleceń: mleg-tui --demo student 1234336607" in shown
    # No --today now: the demo store is seen on the day it was built for.
    student = run_cli(["--demo", "student", "1234336607", "--json"], demo_env, tmp_path)
    assert student.returncode == 0, student
    new = json.loads(student.stdout)["orders"][0]
    assert new["qr_code"] == "87aa907615be4d5e81767a4575b92725" and not new["codes_expired"]
    # A second run opens the same store, on the same day, without building it again.
    again = _in_terminal(["demo"], demo_env, tmp_path)
    assert "Buduję" not in again and "dzień demonstracji: 3.09.2025, 23:30" in again


def test_demo_with_db_builds_its_store_there_and_says_how_to_reach_it(demo_env: dict[str, str],
                                                                    tmp_path: Path):
    other = tmp_path / "other-demo.db"
    shown = _in_terminal(["--db", str(other), "demo", "--students", "30", "--today", EVENING], demo_env, tmp_path)
    assert f"Baza demonstracyjna: {other}" in shown
    assert f"mleg-tui --db {other} --today {EVENING} student 1234336607" in shown
    r = run_cli(["--db", str(other), "--today", EVENING, "student", "100002", "--json"], demo_env, tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["orders"][0]["status"] == "OCZEKUJE", r


def test_demo_refuses_a_store_that_is_not_a_demo(ctx: Context, add_students: Callable[..., ImportReport],
                                                 demo_env: dict[str, str], tmp_path: Path, store_url: str):
    """Once `mleg-tui --db prod.db demo` put the simulator in front of a real store."""
    add_students(enrolment("P1", "100001"))
    before = store_dump(store_url)
    for args in (["--db", store_url, "demo"], ["demo", "--db", store_url, "--fresh"]):
        _one_line_error(run_cli(args, demo_env, tmp_path), REFUSED)
    assert store_dump(store_url) == before
    assert not (tmp_path / "data").exists()  # nothing of the demo was even set up


def test_the_demo_store_is_reached_only_when_it_exists(demo_env: dict[str, str], tmp_path: Path):
    _one_line_error(run_cli(["--demo", "orders"], demo_env, tmp_path), "zbuduj ją poleceniem `mleg-tui demo`")
    _one_line_error(run_cli(["--demo", "--db", "x.db", "orders"], demo_env, tmp_path), "nie oba")
