"""Fixtures of the services tests (the store, contexts and `add_students` come from
tests/conftest.py, shared with the store and CLI tests)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

from support.register import csv_text


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """write_csv(rows_or_text, name="students.csv", encoding="utf-8") -> the file's path."""

    def write(content: Iterable[Mapping[str, str]] | str | bytes, name: str = "students.csv",
              encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            text = content if isinstance(content, str) else csv_text(content)
            path.write_bytes(text.encode(encoding))
        return path

    return write
