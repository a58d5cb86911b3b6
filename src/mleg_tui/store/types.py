"""Column types the store relies on, independent of the SQLModel release."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import types


class UtcDateTime(types.TypeDecorator[dt.datetime]):
    """Aware instants in, aware UTC instants out; SQLite keeps them as naive UTC text."""

    impl = types.DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("instants must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
