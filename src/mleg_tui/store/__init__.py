"""The store: SQLModel tables, engine and sessions, schema versions, search.

Loaded lazily (PEP 562): `store.driver_rows` must be importable without SQLAlchemy, for
the start screen's first rows.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mleg_tui.store.engine import StoreError, StoreMissing, reading, remove_new_store, writing
    from mleg_tui.store.version import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "StoreError", "StoreMissing", "open_store", "reading",
           "remove_new_store", "writing"]


def open_store(url: str, *, create: bool = True, make_folder: bool = False,
               group_readable: bool = False) -> Engine:
    """An engine on a store that is ready to use: upgraded as needed; created only with
    `create` (commands that bring data in), else StoreMissing says how to make one. A new
    SQLite file's folder must exist unless `make_folder` (the default location); a new
    file is its owner's only (and its group's, with `group_readable`: store.filemode)."""
    from mleg_tui.store.engine import create as engine_for
    from mleg_tui.store.engine import file_exists, remove_new_store, sqlite_file
    from mleg_tui.store.schema import ensure

    path = sqlite_file(url) if create else None
    new = path is not None and not file_exists(path)
    engine = engine_for(url, create=create, make_folder=make_folder, group_readable=group_readable)
    try:
        ensure(engine, create=create)
    except BaseException:
        if new:  # a store half made by this call is not left behind
            remove_new_store(engine)
        raise
    return engine


_LAZY = {"StoreError": "engine", "StoreMissing": "engine", "reading": "engine",
         "writing": "engine", "create": "engine", "remove_new_store": "engine",
         "SCHEMA_VERSION": "version", "ensure": "schema"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(f"mleg_tui.store.{_LAZY[name]}"), name)
    try:  # a submodule asked for as an attribute (from mleg_tui.store import schema)
        return importlib.import_module(f"mleg_tui.store.{name}")
    except ModuleNotFoundError:
        raise AttributeError(f"module 'mleg_tui.store' has no attribute {name!r}") from None
