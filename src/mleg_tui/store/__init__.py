"""The store: SQLModel tables, engine and sessions, schema versions, search."""
from __future__ import annotations

from sqlalchemy import Engine

from mleg_tui.store.engine import StoreError, create, reading, writing
from mleg_tui.store.schema import SCHEMA_VERSION, ensure


def open_store(url: str) -> Engine:
    """An engine on a store that is ready to use (created or upgraded as needed)."""
    engine = create(url)
    ensure(engine)
    return engine


__all__ = ["SCHEMA_VERSION", "StoreError", "open_store", "reading", "writing"]
