"""A store with orders placed and a simulated MC, for the refresh, the sweep and the
store's locks (the `world` fixture in tests/conftest.py), and what to check afterwards.

Everything is real: a simulated MC serving over loopback HTTP (in a thread of the test
process, or the tests' subprocesses talk to it), the store (an SQLite file in tmp_path, or
a database on the session's PostgreSQL server: every test runs on both) changed only
through the services, and `mleg-tui` run as a subprocess where the test is about the
command line, a kill or a signal.

A template store (students imported through the importer, orders placed through
services.actions) is built once per session and backend and copied for each test (a file
copy; on PostgreSQL `CREATE DATABASE ... TEMPLATE`): placing a few hundred orders is the
slow part of a set-up (`fill_template`).
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mleg_tui.config import Settings
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.domain.status import OrderStatus
from mleg_tui.services import actions
from mleg_tui.services.context import Context, open_context
from mleg_tui.services.importer import COLUMNS, import_csv
from mleg_tui.simulator.server import SimHandle, start_simulator
from mleg_tui.store import reading
from mleg_tui.store.models import Order, OrderEvent

S = OrderStatus
TODAY = "2025-09-03"  # the manual's figures: ordered 3.09.2025 -> expiry 31.10.2025
TOKEN = "mc-T0k3n-d0-not-l0g-9f8e7d"
ALBUM0 = 200000
TEMPLATE_STUDENTS = 240  # orders placed in the template store (enough for the kill tests)


# -- the register and the store -----------------------------------------------------------

def student_row(n: int, **over: str) -> dict[str, str]:
    """Register row of student n (album 200000+n): 1st-cycle, active, photo, valid PESEL."""
    born = dt.date(2001, 1, 1) + dt.timedelta(days=n % 1500)
    row = {
        "person_id": f"P{n:05d}", "album": str(ALBUM0 + n), "first_name": "Anna" if n % 2 else "Jan",
        "last_name": f"Kowalsk{'a' if n % 2 else 'i'}-{n}", "pesel": make_pesel(born, n % 1000, n % 2 == 1),
        "birth_date": born.isoformat(), "has_photo": "true", "programme_code": "INF-S1",
        "programme_name": "Informatyka", "level": "I", "programme_status": "ACTIVE",
        "status_date": "", "planned_end_date": "2027-09-30",
    }
    row.update(over)
    return row


def register_csv(rows: Iterable[Mapping[str, str]]) -> str:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v
    return "\n".join([",".join(COLUMNS), *(",".join(q(r.get(c, "")) for c in COLUMNS) for r in rows)]) + "\n"


def album(n: int) -> str:
    return str(ALBUM0 + n)


def settings(db: Path | str, **over: Any) -> Settings:
    values: dict[str, Any] = dict(db=str(db), today=TODAY, login="ewa.k", mc_token=TOKEN,
                                  mc_max_tries=4, mc_read_timeout=5.0, mc_concurrency=8)
    values.update(over)
    return Settings(**values)


def open_ctx(db: Path | str, **over: Any) -> Context:
    return open_context(settings(db, **over), role="admin")


def fill_template(db: Path | str, folder: Path) -> None:
    """The students imported, each with an order placed (OCZEKUJE), outside any test's
    environment. Every connection is closed at the end: on SQLite the last one
    checkpoints the WAL (one self-contained file); PostgreSQL copies only an idle database."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.upper().startswith("MLEG_TUI_"):
                mp.delenv(key)
        (folder / "config.toml").write_text("", encoding="utf-8")
        mp.setenv("MLEG_TUI_CONFIG", str(folder / "config.toml"))
        ctx = open_ctx(db)
        rows = [student_row(n) for n in range(TEMPLATE_STUDENTS)]
        (folder / "register.csv").write_text(register_csv(rows), encoding="utf-8")
        report = import_csv(ctx, folder / "register.csv")
        assert report.persons_added == TEMPLATE_STUDENTS, report.summary()
        for n in range(TEMPLATE_STUDENTS):
            actions.place_order(ctx, album(n))
        ctx.engine.dispose()


# -- MC --------------------------------------------------------------------------------------

QUIET = dict(blad=0.0, pickup=0.0, issue_delay=600.0, jitter=0.5)  # codes after 10-15 min
FLAKY = dict(fail_5xx=0.12, reset=0.07, garbled=0.07, rate_429=0.07, retry_after=0.05)  # 0.33


def start_sim(state_file: Path, port: int = 0, **knobs: Any) -> SimHandle:
    values = {**QUIET, "token": TOKEN, **knobs}
    return start_simulator(port=port, seed=11, state_file=state_file, **values)  # type: ignore[return-value]


def restart_sim(old: SimHandle, state_file: Path, **knobs: Any) -> SimHandle:
    """Stop (state saved) and serve again from the same port: MC down, then up."""
    port = int(old.url.rsplit(":", 1)[1])
    old.stop()
    for _ in range(50):
        try:
            return start_sim(state_file, port, **knobs)
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"port {port} did not come free")


@dataclass
class Env:
    """One test's world: the store file, the simulator and contexts on both."""

    tmp: Path
    db: Path | str  # an SQLite file, or a PostgreSQL URL
    sim: SimHandle
    state_file: Path
    seen: list[str] = field(default_factory=list)  # every CLI output, for the secrets check

    def ctx(self, **over: Any) -> Context:
        over.setdefault("mc_url", self.sim.url)
        return open_ctx(self.db, **over)

    def restart(self, **knobs: Any) -> None:
        self.sim = restart_sim(self.sim, self.state_file, **knobs)

    def stop_mc(self) -> None:
        self.sim.stop()

    # -- the command line ----------------------------------------------------------------
    def env(self, **extra: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MLEG_TUI_")}
        config = self.tmp / "config.toml"
        if not config.exists():
            config.write_text("", encoding="utf-8")
        env.update(MLEG_TUI_DB=str(self.db), MLEG_TUI_TODAY=TODAY, MLEG_TUI_CONFIG=str(config),
                   MLEG_TUI_LOG_FILE=str(self.tmp / "mleg-tui.log"),
                   MLEG_TUI_MC_URL=self.sim.url, MLEG_TUI_MC_TOKEN=TOKEN,
                   MLEG_TUI_MC_MAX_TRIES="4", MLEG_TUI_MC_READ_TIMEOUT="5",
                   PYTHONIOENCODING="utf-8", COLUMNS="200")
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def popen(self, *args: str, **extra: str | None) -> subprocess.Popen[str]:
        return subprocess.Popen([*mleg_command(), *args], env=self.env(**extra), cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                encoding="utf-8")

    def finish(self, proc: subprocess.Popen[str], args: Iterable[str] = (), timeout: float = 60) -> Cli:
        out, err = proc.communicate(timeout=timeout)
        res = Cli(tuple(args), proc.returncode, out, err)
        self.seen += [out, err]
        return res

    def cli(self, *args: str, timeout: float = 60, **extra: str | None) -> Cli:
        return self.finish(self.popen(*args, **extra), args, timeout)

    def parallel(self, *calls: tuple[str, ...], **extra: str | None) -> list[Cli]:
        procs = [(c, self.popen(*c, **extra)) for c in calls]
        return [self.finish(p, c) for c, p in procs]


@dataclass
class Cli:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (f"mleg-tui {' '.join(self.args)} -> {self.returncode}\n--- stdout\n{self.stdout}"
                f"\n--- stderr\n{self.stderr}")


def mleg_command() -> list[str]:
    script = Path(sys.executable).with_name("mleg-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mleg_tui.cli"]


def open_world(tmp_path: Path, db: Path | str) -> Iterator[Env]:
    state = tmp_path / "mc-state.json"
    env = Env(tmp_path, db, start_sim(state), state)
    try:
        yield env
        # Every command's stdout and stderr, against the token and every code MC issued.
        assert_no_secrets(env.seen, issued_codes(env.sim))
    finally:
        env.sim.stop()


# -- reading the outcome ---------------------------------------------------------------------

def orders(ctx: Context, ids: Iterable[int] | None = None) -> list[Order]:
    with reading(ctx.engine) as s:
        stmt = select(Order).order_by(Order.id)
        if ids is not None:
            stmt = stmt.where(Order.id.in_(list(ids)))  # type: ignore[union-attr]
        return list(s.execute(stmt).scalars())


def order_of(ctx: Context, n: int) -> Order:
    with reading(ctx.engine) as s:
        return s.execute(select(Order).where(Order.album == album(n))
                         .order_by(Order.id.desc())).scalars().first()  # type: ignore[union-attr]


def events(ctx: Context, order_id: int) -> list[OrderEvent]:
    with reading(ctx.engine) as s:
        return list(s.execute(select(OrderEvent).where(OrderEvent.order_id == order_id)
                              .order_by(OrderEvent.id)).scalars())


def statuses(ctx: Context) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in orders(ctx):
        out[o.status] = out.get(o.status, 0) + 1
    return out


def assert_consistent(ctx: Context, *, leases_free: bool = True) -> None:
    """No order half-updated: its status is the end of its chain of status events, the
    codes are there exactly when it is DO_ODBIORU, an order past OCZEKUJE knows its MC id
    (unless MC refused it), and no lease is left behind."""
    with reading(ctx.engine) as s:
        all_events: dict[int, list[OrderEvent]] = {}
        for e in s.execute(select(OrderEvent).order_by(OrderEvent.id)).scalars():
            all_events.setdefault(e.order_id, []).append(e)
        for o in s.execute(select(Order)).scalars():
            chain = [e for e in all_events.get(o.id or 0, []) if e.new_status is not None]
            assert chain and chain[0].new_status == S.OCZEKUJE.value, (o.order_ref, chain)
            for a, b in zip(chain, chain[1:]):
                assert b.old_status == a.new_status, (o.order_ref, [(e.old_status, e.new_status) for e in chain])
            assert chain[-1].new_status == o.status, (o.order_ref, o.status, chain[-1].new_status)
            has_codes = bool(o.qr_code and o.activation_code and o.codes_valid_until)
            assert has_codes == (o.status == S.DO_ODBIORU.value), (o.order_ref, o.status)
            if o.status in (S.W_TRAKCIE.value, S.DO_ODBIORU.value, S.ODEBRANA.value):
                assert o.mc_id, o.order_ref
            if o.status == S.OCZEKUJE.value:
                assert o.mc_id is None, o.order_ref
            if leases_free:
                assert o.lease_owner is None and o.lease_until is None, (o.order_ref, o.lease_owner)
            if S(o.status).is_final:
                assert o.pending_action is None, (o.order_ref, o.status, o.pending_action)


def assert_once_at_mc(env: Env, ctx: Context, *, faults: bool = False) -> None:
    """MC holds exactly the orders the store knows it holds, each under the MC id the
    store keeps. Without faults every order was created by exactly one 201; with faults a 201 may be lost on
    the way and the repeat answered 200 with the same order."""
    stats = env.sim.stats()
    known = [o for o in orders(ctx) if o.mc_id]
    assert stats["orders"] == len(known), (stats, len(known))
    created = stats["responses"].get("201", 0)
    assert created == len(known) if not faults else 0 < created <= len(known), stats
    for o in known:
        at_mc = env.sim.order(o.mc_id or "")
        assert at_mc is not None and at_mc["order_ref"] == o.order_ref, (o.order_ref, at_mc)


def issued_codes(sim: SimHandle) -> set[str]:
    """Every activation code the simulated MC has drawn for an order (in any status)."""
    def collect() -> set[str]:
        return {r.activation_code for r in sim.sim.state.orders.values() if r.activation_code}
    if not sim._thread.is_alive():  # noqa: SLF001 - stopped: its state is ours to read
        return collect()
    return sim._call(collect)  # noqa: SLF001 - runs it on the server's loop


def assert_no_secrets(texts: Iterable[str], codes: Iterable[str]) -> None:
    text = "\n".join(texts)
    assert TOKEN not in text, "the MC token appeared in the output"
    for code in codes:
        assert code not in text, f"an activation code ({code[:2]}…) appeared in the output"


def wait_for(pred: Callable[[], bool], timeout: float = 20.0, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(step)
