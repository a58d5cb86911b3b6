"""Dates read as the office writes them (dd.mm.yyyy, yyyy-mm-dd) and shown in one style
per context (the README's "Dates"); durations as a clock shows them.

- the order list (the TUI's table, `mleg-tui orders`), as figure 11: 2025-09-03 22:20:32,
  validity 2025-10-31 (a narrow table leaves out the seconds, then the time);
- everything else a person reads (the student's page, the history, reasons, what to do,
  messages), as the manual's student pages: 3.09.2025 and 3.09.2025, 22:18 (an event of
  the history to the second: 3.09.2025, 22:18:34);
- for programs (JSON, CSV): ISO 8601, by isoformat().
"""
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


# The order list's formats, widest first: the table takes the first that fits.
LIST_DATETIME = "%Y-%m-%d %H:%M:%S"
LIST_MINUTES = "%Y-%m-%d %H:%M"
LIST_DATE = "%Y-%m-%d"


def list_datetime(t: dt.datetime) -> str:
    """2025-09-03 22:20:32, as the order list of figure 11."""
    return f"{t:{LIST_DATETIME}}"


def list_date(d: dt.date) -> str:
    """2025-10-31, the order list's validity."""
    return f"{d:{LIST_DATE}}"


def pl_date(d: dt.date | None) -> str:
    """3.09.2025, as the manual's student pages show dates."""
    return f"{d.day}.{d.month:02d}.{d.year}" if d else ""


def pl_datetime(t: dt.datetime | None, *, seconds: bool = False) -> str:
    """3.09.2025, 22:18 (with `seconds`, 3.09.2025, 22:18:34: an event of the history)."""
    if not t:
        return ""
    return f"{pl_date(t.date())}, {t:%H:%M:%S}" if seconds else f"{pl_date(t.date())}, {t:%H:%M}"


def duration(seconds: float | None) -> str:
    """0:42, 12:05, 1:02:03; an em dash when unknown."""
    if seconds is None:
        return "—"
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
