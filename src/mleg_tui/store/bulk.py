"""Fast bulk loading for demo stores: plain tuples straight to the driver."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from mleg_tui.store import person_facts, search


def _sqlite_datetime(v: dt.datetime) -> str:
    # The same text SQLAlchemy's SQLite DateTime writes (always with microseconds), so
    # reads, comparisons and keyset paging agree with rows written through the ORM.
    if v.tzinfo is not None:
        v = v.astimezone(dt.UTC).replace(tzinfo=None)
    text = v.isoformat(" ")
    return text if len(text) > 19 else text + ".000000"


_SQLITE: dict[type, Callable[[Any], Any]] = {dt.datetime: _sqlite_datetime, dt.date: dt.date.isoformat, bool: int}


def _sqlite_row(row: Sequence[Any]) -> tuple[Any, ...]:
    conv = _SQLITE.get
    return tuple(f(v) if (f := conv(type(v))) else v for v in row)


class TextFormat:
    """Instants and dates already in the text the database stores, for generators that
    write millions of rows: formatting once beats converting every value on insert."""

    _TOD = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
    _EPOCH = dt.date(1970, 1, 1).toordinal()

    def __init__(self, dialect: str):
        # SQLite keeps naive UTC text; PostgreSQL reads an explicit offset.
        self.suffix = ".000000" if dialect == "sqlite" else "+00"
        self._days: dict[int, str] = {}

    def day(self, ordinal: int) -> str:
        text = self._days.get(ordinal)
        if text is None:
            text = self._days[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    def instant(self, epoch: int) -> str:
        """UTC seconds since 1970 -> timestamp text."""
        days, secs = divmod(epoch, 86400)
        return f"{self.day(days + self._EPOCH)} {self._TOD[secs]}{self.suffix}"


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                *, formatted: bool = False) -> int:
    """Insert rows (tuples in `columns` order); returns how many. `formatted`: instants and
    dates are TextFormat text already, booleans ints."""
    rows = list(rows)
    if not rows:
        return 0
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        conn.exec_driver_sql(sql, rows if formatted else [_sqlite_row(r) for r in rows])
    elif conn.dialect.name == "postgresql":
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:  # type: ignore[union-attr]
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
    else:
        marks = ", ".join(f":{c}" for c in columns)
        from sqlalchemy import text

        conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"),
                     [dict(zip(columns, r)) for r in rows])
    return len(rows)


@contextlib.contextmanager
def bulk_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a big load. SQLite does not look up each row's parent (the
    loader writes them right, and a test checks it): that lookup costs a third of the time.
    The connection gets its checks back before it returns to the pool."""
    from mleg_tui.store.engine import is_sqlite

    sqlite = is_sqlite(engine)
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if sqlite else engine
    with bind.connect() as conn:
        raw = conn.connection.dbapi_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


@contextlib.contextmanager
def loading(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """A big load: secondary indexes are dropped and built once at the end, which is
    several times faster than keeping them up to date row by row."""
    from sqlalchemy.schema import CreateIndex, DropIndex
    from sqlmodel import SQLModel

    indexes = [ix for t in tables for ix in SQLModel.metadata.tables[t].indexes]
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB while loading
    # IF [NOT] EXISTS, not checkfirst: reflection skips indexes over expressions (v7's).
    for ix in indexes:
        conn.execute(DropIndex(ix, if_exists=True))
    search.suspend(conn)
    if "orders" in tables:
        person_facts.suspend(conn)
    yield
    for ix in indexes:
        conn.execute(CreateIndex(ix, if_not_exists=True))
    if "orders" in tables:
        person_facts.rebuild_has_ordered(conn)
    search.rebuild(conn)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -2000")
        # Statistics from a sample of each index: enough for the planner, seconds less.
        conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
    conn.exec_driver_sql("ANALYZE")


def reset_sequences(conn: Connection, tables: Sequence[str]) -> None:
    """After inserting explicit ids, let new rows continue after the highest (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 1))"
        )


def clear(conn: Connection) -> None:
    """Empty every table of data (the schema stays)."""
    from mleg_tui.store.schema import protect_events, unprotect_events

    unprotect_events(conn)
    for t in ("job_run_item", "job_run", "order_event", "orders", "enrolment", "person"):
        conn.exec_driver_sql(f"DELETE FROM {t}")
    protect_events(conn)


# A demo store says so in its meta table; its value is the "today" it was built for ("" for
# the real clock). The demo and demo-data write only such a store, or one that holds no data.
DEMO_KEY = "demo"


def demo_mark(conn: Connection) -> str | None:
    """The demo mark's value, or None when this store is not a demo store."""
    from sqlalchemy import text

    row = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": DEMO_KEY}).first()
    return None if row is None else str(row[0])


def mark_demo(conn: Connection, value: str) -> None:
    from sqlalchemy import text

    conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": DEMO_KEY})
    conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": DEMO_KEY, "v": value})


def holds_data(conn: Connection) -> bool:
    """Whether any person, order or event is stored (a new store holds none)."""
    return any(conn.exec_driver_sql(f"SELECT 1 FROM {t} LIMIT 1").first()
               for t in ("person", "orders", "order_event"))
