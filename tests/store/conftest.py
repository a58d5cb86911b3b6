"""Fixtures of the store tests. A test that asks for `store_path` is about the SQLite file
itself and runs on SQLite only (tests/conftest.py deselects its PostgreSQL variant)."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """The SQLite file of the test's store (created on first open). A test that asks for
    it is about SQLite itself and runs on SQLite only."""
    return tmp_path / "store.db"

