"""The store on either database, from the tests' side: the backends under test, contexts
on a store, register rows loaded through the real importer, fresh PostgreSQL databases and
templates on the session's server (support/pgserver.py), the tables as they are in the
database (`store_sql`, `store_dump`), and MC's status changes as the store records them.

`MLEG_TEST_BACKENDS=sqlite` narrows a developer's quick loop to SQLite.
"""
from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from mleg_tui.config import Settings
from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.status import OrderStatus
from mleg_tui.services.context import Context, open_context
from mleg_tui.services.importer import ImportReport, import_csv
from mleg_tui.services.status_change import change_status
from mleg_tui.store import writing
from mleg_tui.store.models import Order
from support.pgserver import PgServer
from support.register import TODAY, csv_text

# Every test on the store runs on both databases. MLEG_TEST_BACKENDS=sqlite narrows a
# developer's quick loop; CI and the README's command run both.
BACKENDS = [b.strip() for b in os.environ.get("MLEG_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]
_databases = itertools.count(1)

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
    mp.setenv("MLEG_TUI_LOG_FILE", str(directory / "mleg-tui.log"))  # the program's log, here
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

@contextlib.contextmanager
def pg_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh empty database on the session's PostgreSQL, dropped afterwards."""
    server: PgServer = request.getfixturevalue("pg_server")
    name = new_database_name()
    try:
        yield server.create_database(name)
    finally:
        server.drop_database(name)

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

# --- MC's side, as the store records it ------------------------------------------------------

def mc_moves(ctx: Context, order_id: int, *statuses: OrderStatus, error_code: str = "") -> None:
    """Statuses MC reports for an order, applied the one way the store changes a status
    (services.status_change.change_status), each with its event."""
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



# --- query plans -------------------------------------------------------------------------

class Scans:
    """The statements a piece of code sent, and which of them scan a table."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.sent: list[tuple[str, object]] = []

    @property
    def statements(self) -> int:
        return len(self.sent)

    def found(self) -> list[tuple[str, list[str]]]:
        """(statement, plan) of each statement whose plan scans a table. SQLite's plan says
        SCAN; PostgreSQL's says Seq Scan even with sequential scans priced out (its choice on
        a table this small, unless no index can serve)."""
        sqlite = self.ctx.engine.dialect.name == "sqlite"
        out = []
        with self.ctx.engine.connect() as conn:
            raw: Any = conn.connection.dbapi_connection
            if not sqlite:
                raw.execute("SET enable_seqscan = off")
            for statement, parameters in self.sent:
                if sqlite:
                    plan = [row[-1] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
                    scans = [p for p in plan if p.startswith("SCAN")
                             and "VIRTUAL TABLE" not in p and not p.startswith("SCAN CONSTANT")]
                else:
                    plan = [row[0] for row in raw.execute("EXPLAIN " + statement, parameters)]
                    scans = [p for p in plan if "Seq Scan" in p]
                if scans:
                    out.append((statement, plan))
        return out


@contextlib.contextmanager
def scans_of(ctx: Context) -> Iterator[Scans]:
    """Record the statements sent on `ctx` inside the block, to ask their plans after."""
    from sqlalchemy import event

    scans = Scans(ctx)

    def seen(conn: Any, cursor: Any, statement: str, parameters: object, context: Any, executemany: bool) -> None:
        scans.sent.append((statement, parameters))

    event.listen(ctx.engine, "before_cursor_execute", seen)
    try:
        yield scans
    finally:
        event.remove(ctx.engine, "before_cursor_execute", seen)
