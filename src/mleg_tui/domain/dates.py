"""Dates as the office writes them: dd.mm.yyyy, and yyyy-mm-dd; durations as a clock shows them."""
from __future__ import annotations

import datetime as dt
import re

_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(text: str) -> dt.date:
    """ValueError with a Polish message when `text` is not a real date."""
    t = text.strip()
    m = _DMY.match(t)
    if m:
        d, mo, y = (int(x) for x in m.groups())
    elif m := _YMD.match(t):
        y, mo, d = (int(x) for x in m.groups())
    else:
        raise ValueError(f"„{text}” nie jest datą (dd.mm.rrrr lub rrrr-mm-dd)")
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise ValueError(f"„{text}”: nie ma takiego dnia") from None


def parse_optional_date(text: str | None) -> dt.date | None:
    return parse_date(text) if text and text.strip() else None


def pl_date(d: dt.date | None) -> str:
    """3.09.2025, as the manual's student pages show dates."""
    return f"{d.day}.{d.month:02d}.{d.year}" if d else ""


def pl_datetime(t: dt.datetime | None) -> str:
    """3.09.2025, 22:18"""
    return f"{pl_date(t.date())}, {t:%H:%M}" if t else ""


def duration(seconds: float | None) -> str:
    """0:42, 12:05, 1:02:03; an em dash when unknown."""
    if seconds is None:
        return "—"
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
