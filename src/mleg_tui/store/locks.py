"""Jobs that must not run twice at once (the sweep), across processes and hosts.

SQLite: an OS file lock beside the database file, released by the OS when the holder
dies (kill -9 included). PostgreSQL: a session advisory lock, released when the holder's
connection ends. Either way a crashed job never leaves the lock behind.
"""
from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

_memory_locks: dict[str, threading.Lock] = {}


class Busy(Exception):
    """Another holder has the lock."""


@contextlib.contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"mleg-tui:{name}".encode())
        with engine.connect() as conn:
            got = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
            conn.commit()
            if not got:
                raise Busy(name)
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        lock = _memory_locks.setdefault(name, threading.Lock())
        if not lock.acquire(blocking=False):
            raise Busy(name)
        try:
            yield
        finally:
            lock.release()
        return
    from filelock import FileLock, Timeout

    flock = FileLock(str(Path(database).with_name(Path(database).name + f".{name}.lock")))
    try:
        flock.acquire(timeout=0)
    except Timeout:
        raise Busy(name) from None
    try:
        yield
    finally:
        flock.release()
