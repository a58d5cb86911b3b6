"""Fast bulk loading for demo stores: plain tuples straight to the driver."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection


def _sqlite_value(v: Any) -> Any:
    # The same text SQLAlchemy's SQLite types write, so reads and comparisons agree.
    if isinstance(v, dt.datetime):
        v = v.astimezone(dt.timezone.utc)
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (tuples in `columns` order); returns how many."""
    rows = list(rows)
    if not rows:
        return 0
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        conn.exec_driver_sql(sql, [tuple(_sqlite_value(v) for v in r) for r in rows])
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
    for t in ("order_event", "orders", "enrolment", "person"):
        conn.exec_driver_sql(f"DELETE FROM {t}")
    protect_events(conn)
