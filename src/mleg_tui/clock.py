"""The current time, fixed by MLEG_TUI_TODAY for tests, demos and reproducing a case."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock:
    """Instants are UTC; 'today' is the office's local date."""

    def __init__(self, fixed: dt.date | dt.datetime | None = None, tz: str = "Europe/Warsaw"):
        try:
            self.tz: dt.tzinfo = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            self.tz = dt.datetime.now().astimezone().tzinfo or dt.UTC
        self._fixed = fixed

    def now(self) -> dt.datetime:
        """Aware UTC now. A fixed day keeps the real time of day; a fixed instant stays."""
        fixed = self._fixed
        if isinstance(fixed, dt.datetime):
            aware = fixed if fixed.tzinfo else fixed.replace(tzinfo=self.tz)
            return aware.astimezone(dt.UTC)
        real = dt.datetime.now(dt.UTC)
        if fixed is None:
            return real
        local = real.astimezone(self.tz)
        return dt.datetime.combine(fixed, local.time(), self.tz).astimezone(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(self.tz).date()

    def local(self, instant: dt.datetime) -> dt.datetime:
        """An instant (naive values are UTC, as the store keeps them) in office time."""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=dt.UTC)
        return instant.astimezone(self.tz)


def utc(instant: dt.datetime) -> dt.datetime:
    """An aware instant in UTC, as the store keeps instants."""
    return instant.astimezone(dt.UTC)
