"""The store: SQLModel tables, engine and sessions, schema versions, search.

Loaded lazily (PEP 562): `store.driver_rows` must be importable without SQLAlchemy, for
the start screen's first rows.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mleg_tui.store.engine import StoreError, reading, writing
    from mleg_tui.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "StoreError", "open_store", "reading", "writing"]


def open_store(url: str, *, group_readable: bool = False) -> Engine:
    """An engine on a store that is ready to use (created or upgraded as needed)."""
    from mleg_tui.store.engine import create
    from mleg_tui.store.schema import ensure

    engine = create(url, group_readable=group_readable)
    ensure(engine)
    return engine


_LAZY = {"StoreError": "engine", "reading": "engine", "writing": "engine", "create": "engine",
         "SCHEMA_VERSION": "schema", "ensure": "schema"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(f"mleg_tui.store.{_LAZY[name]}"), name)
    try:  # a submodule asked for as an attribute (from mleg_tui.store import schema)
        return importlib.import_module(f"mleg_tui.store.{name}")
    except ModuleNotFoundError:
        raise AttributeError(f"module 'mleg_tui.store' has no attribute {name!r}") from None
