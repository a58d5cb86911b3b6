"""Shared fixtures: a store on a real SQLite file and on a real PostgreSQL database (every
test on the store runs on both), CSV writing, the CLI as a subprocess.

Every test runs with the MLEG_TUI_* environment cleared and MLEG_TUI_CONFIG pointing at an
empty file in its tmp_path, so nobody's real settings or store are ever touched.

PostgreSQL: one server for the session (tests/pgserver.py), a fresh database per test
(`store_url`), or a copy of a template built once per session (`pg_templates`) where a
test's world is expensive to build. `store_sql`/`store_dump` read either database from
outside the program; `MLEG_TEST_BACKENDS=sqlite` narrows a developer's quick loop.

Helpers importable by test modules (`from conftest import enrolment, TODAY, ...`):
- `enrolment(...)`: one CSV row of the register (a person with one programme), as a dict;
- `csv_text(rows)`: the import file text for rows, header first;
- `mc_moves(ctx, order_id, *statuses)`: what MC reports, recorded as the store records it;
- `run_cli`, `run_cli_parallel`, `cli_environment`, `popen_cli`: the CLI outside fixtures;
- `run_main`: the CLI's main() in this process, for many runs where start-up would dominate.
- `isolate_env`, `context_factory`, `import_rows`: the same for module-scoped stores;
- `pg_database`, `new_database_name`, `PgTemplates`: PostgreSQL databases outside `store_url`;
- `store_sql`, `store_dump`, `is_pg`: the store as it is in the database, on either backend.
Fixtures: `ctx`, `make_ctx`, `store_url`, `store_path` (SQLite only), `write_csv`,
`add_students`, `cli` (a real process), `mleg` (in this process), `cli_env`, `pg_server`,
`pg_templates`.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mleg_tui.config import Settings
from mleg_tui.domain.dates import parse_date
from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.domain.status import OrderStatus
from mleg_tui.services.context import Context, open_context
from mleg_tui.services.history import change_status
from mleg_tui.services.importer import COLUMNS, ImportReport, import_csv
from mleg_tui.store import writing
from mleg_tui.store.models import Order
from pgserver import PgServer

# The day of the manual's figures 4-11: an order on 3.09.2025 expires on 31.10.2025.
TODAY = "2025-09-03"
TODAY_DATE = dt.date.fromisoformat(TODAY)


def pesel_for(born: dt.date, serial: int = 123, female: bool = True) -> str:
    return make_pesel(born, serial, female)


def enrolment(
    person_id: str = "P1",
    album: str | None = "100001",
    first_name: str = "Karolina",
    last_name: str = "Bachta",
    *,
    pesel: str | None = "",
    birth_date: str = "2003-05-17",
    has_photo: str = "true",
    programme_code: str = "INF-S1",
    programme_name: str = "Informatyka",
    level: str = "I",
    programme_status: str = "ACTIVE",
    status_date: str = "",
    planned_end_date: str = "2027-09-30",
) -> dict[str, str]:
    """One import row. `pesel=""` (default) means: a valid PESEL matching the birth date
    (when that is a real date); `pesel=None` means: no PESEL (empty column)."""
    if pesel == "":
        try:
            born = parse_date(birth_date)
        except ValueError:  # a row made to be refused for its date
            born = dt.date(2003, 5, 17)
        pesel = pesel_for(born)
    return {
        "person_id": person_id,
        "album": album or "",
        "first_name": first_name,
        "last_name": last_name,
        "pesel": pesel or "",
        "birth_date": birth_date,
        "has_photo": has_photo,
        "programme_code": programme_code,
        "programme_name": programme_name,
        "level": level,
        "programme_status": programme_status,
        "status_date": status_date,
        "planned_end_date": planned_end_date,
    }


def _quote(value: str) -> str:
    if any(c in value for c in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_text(rows: Iterable[Mapping[str, str]], columns: Iterable[str] = COLUMNS) -> str:
    cols = list(columns)
    lines = [",".join(cols)]
    lines += [",".join(_quote(str(r.get(c, ""))) for c in cols) for r in rows]
    return "\n".join(lines) + "\n"


# --- environment -------------------------------------------------------------------------

def isolate_env(mp: pytest.MonkeyPatch, directory: Path) -> Path:
    """No MLEG_TUI_* from the developer's shell; an empty config file in `directory`."""
    for key in list(os.environ):
        if key.upper().startswith("MLEG_TUI_"):
            mp.delenv(key)
    config = directory / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    mp.setenv("MLEG_TUI_CONFIG", str(config))
    return config


def context_factory(store_path: Path | str) -> Callable[..., Context]:
    """Contexts on one store: `make(today="2025-10-02T09:00:00", login="ewa", role="viewer")`.

    `today` is MLEG_TUI_TODAY: a day (YYYY-MM-DD) or an instant (office time)."""

    def make(today: str = TODAY, *, role: str | None = "admin", **settings: Any) -> Context:
        settings.setdefault("db", str(store_path))
        settings.setdefault("login", "tester")
        return open_context(Settings(today=today, **settings), role=role)  # type: ignore[arg-type]

    return make


def import_rows(ctx: Context, directory: Path, *rows: Mapping[str, str]) -> ImportReport:
    """Load register rows into a store through the real importer."""
    n = len(list(directory.glob("register-*.csv"))) + 1
    path = directory / f"register-{n}.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    return import_csv(ctx, path)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test: no MLEG_TUI_* from outside, MLEG_TUI_CONFIG at an empty file of its own."""
    return isolate_env(monkeypatch, tmp_path)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """The SQLite file of the test's store (created on first open). A test that asks for
    it is about SQLite itself and runs on SQLite only."""
    return tmp_path / "store.db"


# Every test on the store runs on both databases. MLEG_TEST_BACKENDS=sqlite narrows a
# developer's quick loop; CI and the README's command run both.
BACKENDS = [b.strip() for b in os.environ.get("MLEG_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server for the session (see tests/pgserver.py)."""
    server = PgServer().start()
    yield server
    server.stop()


def new_database_name() -> str:
    return f"t{os.getpid()}_{next(_databases)}"


class PgTemplates:
    """Stores built once per session and copied for each test that wants one
    (`CREATE DATABASE ... TEMPLATE`: a copy made by the server, tens of ms), as the
    SQLite worlds copy a template file. `build(url)` fills the template and must close
    every connection to it (dispose its engines): PostgreSQL copies only an idle one."""

    def __init__(self, server: PgServer) -> None:
        self.server = server
        self.built: dict[str, str] = {}

    def template(self, key: str, build: Callable[[str], None]) -> str:
        if key not in self.built:
            name = f"tmpl_{key}_{os.getpid()}"
            self.server.drop_database(name)  # a build that failed earlier in this session
            build(self.server.create_database(name))
            self.built[key] = name
        return self.built[key]

    @contextlib.contextmanager
    def copy(self, key: str, build: Callable[[str], None]) -> Iterator[str]:
        """A fresh copy of template `key` for one test, dropped after it."""
        template = self.template(key, build)
        name = new_database_name()
        try:
            yield self.server.create_database(name, template=template)
        finally:
            self.server.drop_database(name)


@pytest.fixture(scope="session")
def pg_templates(pg_server: PgServer) -> PgTemplates:
    return PgTemplates(pg_server)


@contextlib.contextmanager
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh empty database on the session's PostgreSQL, dropped afterwards."""
    server: PgServer = request.getfixturevalue("pg_server")
    name = new_database_name()
    try:
        yield server.create_database(name)
    finally:
        server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The test's store: an SQLite file, or a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    with pg_database(request) as url:
        yield url


def is_pg(store: str | Path) -> bool:
    return str(store).startswith("postgresql")


def store_sql(store: str | Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    """Plain SQL on a store from outside the program, on either database (`?` marks a
    parameter): what is really in the tables, not what the program says."""
    if is_pg(store):
        import psycopg

        dsn = str(store).replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True) as con:
            cur = con.execute(query.replace("?", "%s"), params or None)  # type: ignore[arg-type]
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
    import sqlite3

    con = sqlite3.connect(str(store).removeprefix("sqlite:///"))
    try:
        with con:
            return con.execute(query, params).fetchall()
    finally:
        con.close()


STORE_TABLES = ("meta", "person", "enrolment", "orders", "order_event")


def store_dump(store: str | Path) -> list[Any]:
    """Everything in a store, to compare before and after: SQLite's full dump (schema
    too); on PostgreSQL every row of every table, every column, and the tables' columns."""
    if not is_pg(store):
        import sqlite3

        con = sqlite3.connect(str(store).removeprefix("sqlite:///"))
        try:
            return list(con.iterdump())
        finally:
            con.close()
    out: list[Any] = store_sql(store, "SELECT table_name, column_name, data_type FROM "
                                      "information_schema.columns WHERE table_schema = 'public' "
                                      "ORDER BY table_name, ordinal_position")
    for table in STORE_TABLES:
        out += [(table, *r) for r in store_sql(store, f"SELECT * FROM {table} ORDER BY 1")]
    return out


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that look into the SQLite file itself have no PostgreSQL variant."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("store_url") == "postgresql" and "store_path" in getattr(item, "fixturenames", ()):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def make_ctx(store_url: str) -> Callable[..., Context]:
    """Contexts on the test's store (see context_factory)."""
    return context_factory(store_url)


@pytest.fixture
def ctx(make_ctx: Callable[..., Context]) -> Context:
    """A fresh store in tmp_path, today fixed at 3.09.2025, acting as an administrator."""
    return make_ctx()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv(rows_or_text, name="students.csv", encoding="utf-8") -> the file's path."""

    def write(content: Iterable[Mapping[str, str]] | str | bytes, name: str = "students.csv",
              encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            text = content if isinstance(content, str) else csv_text(content)
            path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def add_students(ctx: Context, tmp_path: Path) -> Callable[..., ImportReport]:
    """add_students(row, row, ..., context=None): rows into the store via the real importer."""

    def add(*rows: Mapping[str, str], context: Context | None = None) -> ImportReport:
        return import_rows(context or ctx, tmp_path, *rows)

    return add


# --- MC's side, as the store records it ------------------------------------------------------

def mc_moves(ctx: Context, order_id: int, *statuses: OrderStatus, error_code: str = "") -> None:
    """Statuses MC reports for an order, applied the one way the store changes a status
    (services.history.change_status), each with its event."""
    with writing(ctx.engine) as s:
        order = s.get(Order, order_id)
        assert order is not None, order_id
        for new in statuses:
            values: dict[str, Any] = {}
            if new is OrderStatus.W_TRAKCIE:
                values["mc_id"] = f"mc-{order_id}"
            if new is OrderStatus.BLAD:
                values.update(error_code=error_code, error_message="odrzucone przez MC")
            action = Action.SUBMITTED if new is OrderStatus.W_TRAKCIE else Action.MC_STATUS
            change_status(s, order, new, ctx.clock.now(), action, Actor.MC, "", **values)


# --- the command line as a user runs it ---------------------------------------------------

@dataclass
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self) -> str:  # shown by pytest when an assertion about it fails
        return (f"mleg-tui {' '.join(self.args)} -> {self.returncode}\n"
                f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}")


def mleg_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("mleg-tui")
    if script.exists():
        return [str(script)]
    found = shutil.which("mleg-tui")
    return [found] if found else [sys.executable, "-m", "mleg_tui.cli"]


def cli_environment(store_path: Path | str, config: Path, today: str = TODAY) -> dict[str, str]:
    """The environment of a CLI run: the store, the config file and a fixed today."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MLEG_TUI_")}
    env.update(MLEG_TUI_DB=str(store_path), MLEG_TUI_TODAY=today, MLEG_TUI_CONFIG=str(config),
               PYTHONIOENCODING="utf-8", COLUMNS="200")
    return env


def _merged(env: Mapping[str, str], extra: Mapping[str, str | None] | None) -> dict[str, str]:
    full = dict(env)
    for k, v in (extra or {}).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    return full


def popen_cli(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start `mleg-tui` without waiting (for tests of processes running at once)."""
    return subprocess.Popen(
        [*mleg_command(), *args], env=dict(env), cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )


def run_cli(args: Iterable[str], env: Mapping[str, str], cwd: Path, *,
            extra_env: Mapping[str, str | None] | None = None, timeout: float = 60,
            stdin: str | None = None) -> CliResult:
    """Run `mleg-tui ARGS` to the end; `extra_env` entries set to None are removed."""
    args = list(args)
    proc = subprocess.run(
        [*mleg_command(), *args], env=_merged(env, extra_env), cwd=cwd, input=stdin,
        capture_output=True, text=True, encoding="utf-8", timeout=timeout,
    )
    return CliResult(tuple(args), proc.returncode, proc.stdout, proc.stderr)


def run_cli_parallel(calls: Iterable[tuple[Iterable[str], Mapping[str, str | None] | None]],
                     env: Mapping[str, str], cwd: Path, timeout: float = 120) -> list[CliResult]:
    """Independent runs at once (start-up dominates a run): [(args, extra_env), ...]."""
    started = [(list(a), popen_cli(list(a), _merged(env, e), cwd)) for a, e in calls]
    results = []
    for args, proc in started:
        out, err = proc.communicate(timeout=timeout)
        results.append(CliResult(tuple(args), proc.returncode, out, err))
    return results


def run_main(args: Iterable[str], env: Mapping[str, str], *,
             extra_env: Mapping[str, str | None] | None = None) -> CliResult:
    """`mleg-tui ARGS` in this process (the same code as the console script, without the
    second of start-up a process costs): for the many runs of one story. A traceback here
    is an exception that fails the test, as it would be on the user's screen."""
    from mleg_tui.cli import main

    args = list(args)
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.upper().startswith("MLEG_TUI_"):
                mp.delenv(key)
        for key, value in _merged(env, extra_env).items():
            if key.startswith("MLEG_TUI_"):
                mp.setenv(key, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as e:  # argparse's own exits
                code = e.code if isinstance(e.code, int) else 1
    return CliResult(tuple(args), code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli_env(store_url: str, isolated_env: Path) -> dict[str, str]:
    """The environment of the test's CLI runs (tests may change it before calling `cli`)."""
    return cli_environment(store_url, isolated_env)


@pytest.fixture
def cli(cli_env: dict[str, str], tmp_path: Path) -> Callable[..., CliResult]:
    """cli("orders", "--csv", env={"MLEG_TUI_TODAY": "2025-10-01"}) runs `mleg-tui` for real.
    `cli.parallel([(args, env), ...])` runs independent commands at once."""

    def run(*args: str, env: Mapping[str, str | None] | None = None, timeout: float = 60,
            stdin: str | None = None) -> CliResult:
        return run_cli(args, cli_env, tmp_path, extra_env=env, timeout=timeout, stdin=stdin)

    run.parallel = lambda calls: run_cli_parallel(calls, cli_env, tmp_path)  # type: ignore[attr-defined]
    return run


@pytest.fixture
def mleg(cli_env: dict[str, str]) -> Callable[..., CliResult]:
    """Like `cli`, in this process (see run_main)."""

    def run(*args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
        return run_main(args, cli_env, extra_env=env)

    return run
