"""Opening a store: the engine, SQLite's settings for sharing, and sessions."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session

from mleg_tui.errors import ConfigError, MlegError
from mleg_tui.store.filemode import make_private

BUSY_TIMEOUT_MS = 15_000


class StoreError(MlegError):
    """The store cannot be opened or used."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create(url: str, *, group_readable: bool = False) -> Engine:
    """An engine on the store at `url`; a new SQLite file is made readable by its owner
    only (and its group, when `group_readable`: see store.filemode)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"„{url}” nie jest ścieżką pliku ani adresem bazy danych.") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(url, parsed.database, group_readable)
    extra: dict[str, object] = {}
    if parsed.get_backend_name() == "postgresql":
        # As SQLite's busy timeout: a writer waits for a row another transaction holds at
        # most this long, then is told (see writing), instead of hanging behind a session
        # that stopped in the middle of a change. Readers never wait for rows.
        extra["connect_args"] = {"options": f"-c lock_timeout={BUSY_TIMEOUT_MS}"}
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, **extra)
    except ModuleNotFoundError as e:
        raise ConfigError(
            f"Brak sterownika bazy danych ({e.name}): zainstaluj `mleg-tui[postgres]`."
        ) from None


def _sqlite(url: str, database: str | None, group_readable: bool) -> Engine:
    if database and database != ":memory:":
        try:
            make_private(database, group=group_readable)
        except OSError as e:
            folder = Path(database).parent
            if not os.path.isdir(folder):
                raise StoreError(f"Nie można utworzyć katalogu bazy danych {folder}: {e.strerror}.") from None
            raise StoreError(f"Nie można otworzyć bazy danych {database}: {e.strerror}.") from None
    # LIFO: the connection used last, its page cache warm, serves the next request.
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
                           pool_use_lifo=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if database and database != ":memory:":
            # WAL: readers never block the writer nor the writer readers, so staff
            # sessions and a cron job can share one file.
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN, so a read-then-write cannot deadlock
        # and two writers are serialised instead of failing mid-transaction.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _busy(e: OperationalError) -> bool:
    """Another transaction held what this one needed for longer than BUSY_TIMEOUT_MS."""
    if getattr(e.orig, "sqlstate", None) == "55P03":  # PostgreSQL: lock_not_available
        return True
    return "locked" in str(e.orig) or "busy" in str(e.orig)


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            with session.begin():
                yield session
        except OperationalError as e:
            if _busy(e):
                raise StoreError(
                    "Baza danych jest zajęta przez inny proces dłużej niż "
                    f"{BUSY_TIMEOUT_MS // 1000} s; spróbuj ponownie."
                ) from None
            raise
