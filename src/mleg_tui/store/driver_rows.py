"""The start screen's first window read with the database driver alone, before SQLAlchemy.

Importing SQLAlchemy and SQLModel costs about as much as starting Textual, so the first
rows of the default list (no filter, newest first) come straight from sqlite3 or psycopg.
Only the standard library is imported here (store/__init__ loads the rest lazily).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from mleg_tui.store.version import SCHEMA_VERSION

UTC = dt.UTC

# The query services.orders.find_orders sends for the default list's first window
# (sort "ordered_at", descending, no conditions), with the columns a row needs.
_FIRST = (
    "SELECT o.id, o.order_ref, o.person_id, o.status, o.ordered_at, o.expiry_date, "
    "o.error_code, o.pending_action, o.version, o.album, p.first_name, p.last_name, "
    "o.codes_valid_until FROM orders AS o JOIN person AS p ON p.id = o.person_id "
    "ORDER BY o.ordered_at DESC, o.id DESC LIMIT {} OFFSET {}"
)
_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
_CEILING = "SELECT coalesce(max(id), 0) FROM orders"  # the primary key's last entry: at once
# services.orders.count_orders for the default list (no conditions): SQLite counts a
# million orders in 2-5 ms (its smallest index), PostgreSQL in the server.
_COUNT = "SELECT count(*) FROM orders"

# (id, order_ref, person_id, status, ordered_at (aware UTC), expiry_date, error_code,
#  pending_action, version, album, first_name, last_name, codes_valid_until (aware UTC or None))
Row = tuple[int, str, int, str, dt.datetime, dt.date, Any, Any, int, Any, str, str, dt.datetime | None]


def is_local_file(db_url: str) -> bool:
    """An SQLite file on this machine: read in a few ms, with no network in between."""
    return db_url.startswith("sqlite:///")


def is_postgresql(db_url: str) -> bool:
    """A PostgreSQL store this module reads (through psycopg)."""
    return db_url.startswith("postgresql+psycopg://")


def first_rows(db_url: str, limit: int, *, offset: int = 0,
               timeout: float = 5.0) -> tuple[list[Row], int] | None:
    """The first `limit` rows (after `offset` rows: the next screens, while the store
    opens) and the highest order id (no more orders than that are stored: the count's
    number of digits before the count), or None when this way does not apply (not a plain
    SQLite file or psycopg URL, no store there yet, a store of another schema version,
    locked longer than `timeout` seconds, any error): the caller then reads the ordinary
    way, which also creates or upgrades the store and says what is wrong."""
    try:
        with _opened(db_url, timeout) as conn:
            if conn is None:
                return None
            found = conn.execute(_FIRST.format(int(limit), int(offset))).fetchall()
            top = conn.execute(_CEILING).fetchone()
    except Exception:  # noqa: BLE001 - the ordinary way will say what is wrong
        return None
    ceiling = int(top[0]) if top is not None else 0
    if is_local_file(db_url):  # SQLite keeps instants as naive UTC text
        return [(id_, ref, pid, status, _utc_text(at), dt.date.fromisoformat(expiry), err, pending, ver,
                 album, first, last, _utc_text(codes) if codes else None)
                for id_, ref, pid, status, at, expiry, err, pending, ver, album, first, last, codes
                in found], ceiling
    return [(id_, ref, pid, status, at.astimezone(UTC), expiry, err, pending, ver, album, first, last,
             codes.astimezone(UTC) if codes else None)
            for id_, ref, pid, status, at, expiry, err, pending, ver, album, first, last, codes
            in found], ceiling


def count_all(db_url: str, *, timeout: float = 5.0) -> int | None:
    """The default list's count (every order), or None where this way does not apply (as
    first_rows)."""
    try:
        with _opened(db_url, timeout) as conn:
            if conn is None:
                return None
            found = conn.execute(_COUNT).fetchone()
    except Exception:  # noqa: BLE001 - the ordinary way will say what is wrong
        return None
    return int(found[0]) if found is not None else None


@contextlib.contextmanager
def _opened(db_url: str, timeout: float) -> Iterator[Any | None]:
    """A DB-API connection (sqlite3, psycopg) to the store at `db_url`, of this program's
    schema version (another is upgraded or refused the ordinary way); None where this way
    does not apply."""
    if is_local_file(db_url):
        import sqlite3

        path = db_url.removeprefix("sqlite:///")
        if not path or "?" in path or path == ":memory:" or not os.path.isfile(path):
            yield None
            return
        conn = sqlite3.connect(path, timeout=timeout)
        try:
            yield conn if _current(conn.execute(_VERSION).fetchone()) else None
        finally:
            conn.close()
        return
    params = _pg_params(db_url, timeout) if is_postgresql(db_url) else None
    if params is None:
        yield None
        return
    import psycopg

    with psycopg.connect(**params, autocommit=True) as pg:
        yield pg if _current(pg.execute(_VERSION).fetchone()) else None


def _current(version: Any) -> bool:
    """The store's schema is this program's."""
    return version is not None and int(version[0]) == SCHEMA_VERSION


def _utc_text(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _pg_params(url: str, timeout: float) -> dict[str, Any] | None:
    parts = urlsplit(url)
    if not parts.hostname or "," in parts.netloc:
        return None
    params: dict[str, Any] = {"host": parts.hostname, "dbname": unquote(parts.path.lstrip("/"))}
    if parts.port:
        params["port"] = parts.port
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    params.update(parse_qsl(parts.query))
    params.setdefault("connect_timeout", max(1, round(timeout)))
    return params
