"""The administrator's overview, as it crosses to the front ends: the named sets its lines
count and open, and the figures themselves (issue 13).

Plain frozen data, like services.types (this is its companion: no SQLAlchemy, no Textual).
A line's set carries the instant it was counted at, so the list it opens later is the same
set, not one moved on by the clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from mleg_tui.domain.dates import pl_date
from mleg_tui.domain.eligibility import NO_PROGRAMME, REASON_TEXTS
from mleg_tui.domain.events import PendingAction
from mleg_tui.domain.names import plural
from mleg_tui.domain.status import OrderStatus
from mleg_tui.services.list_types import OrderQuery

# -- the sets -------------------------------------------------------------------------------

OrderSetKind = Literal[
    "age",  # live orders of one status, placed between two ages (hours before as_of)
    "error",  # failed orders (Błąd) with exactly this MC error code (any when none given)
    "codes_expiring",  # ready for pickup, the codes run out within CODES_SOON
    "codes_expired",  # ready for pickup, the codes ran out
    "renewal",  # picked-up cards inside the renewal window (a new one may be ordered)
    "graduate_end",  # cards in force of 1st-cycle graduates, ending on the graduates' day
    "pending",  # a cancellation or revocation waits for MC's confirmation
]
CODES_SOON = dt.timedelta(days=7)
STUCK_HOURS = 24  # W trakcie for longer than this: MC usually takes minutes


@dataclass(frozen=True)
class OrderSet:
    """A named set of orders; services.order_sets turns it into the conditions that both the
    overview's count and the order list use."""

    kind: OrderSetKind
    as_of: dt.datetime | None = None  # aware; None: now, when the list is read
    status: OrderStatus | None = None  # age
    older_than_hours: int | None = None  # age: placed more than this many hours before
    younger_than_hours: int | None = None  # age: ... and at most this many
    code: str = ""  # error: exactly this code
    action: PendingAction | None = None  # pending: only this kind

    @property
    def label(self) -> str:
        """What the order list says is active, in the overview's words."""
        return str(SET_LABELS[self.kind](self))


def _age_words(s: OrderSet) -> str:
    lo, hi = s.older_than_hours, s.younger_than_hours
    if lo and hi:
        return f"złożone {_hours(lo)}–{_hours(hi)} temu"
    if lo:
        return f"złożone ponad {_hours(lo)} temu"
    if hi:
        return f"złożone w ciągu {_hours(hi)}"
    return "wszystkie"


def _hours(h: int) -> str:
    if h % 24 == 0:
        return plural(h // 24, "dzień", "dni", "dni") if h > 24 else "24 h"
    return f"{h} h"


SET_LABELS: dict[str, Any] = {
    "age": lambda s: f"{s.status.label if s.status else 'aktywne'}, {_age_words(s)}",
    "error": lambda s: f"błąd, kod {s.code}" if s.code else "błąd (każdy kod)",
    "codes_expiring": lambda s: f"do odbioru, kody wygasają w ciągu {CODES_SOON.days} dni",
    "codes_expired": lambda s: "do odbioru, kody wygasły",
    "renewal": lambda s: "odebrane, w oknie odnowienia (nowa bez anulowania)",
    "graduate_end": lambda s: "absolwenci I stopnia: mLegitymacja kończy się z prawem do niej",
    "pending": lambda s: (f"{s.action.label} czeka na potwierdzenie MC" if s.action
                          else "czekają na potwierdzenie MC"),
}

StudentSetKind = Literal["may_order", "may_not"]

# The manual's reason speaks to the student ("Twoich programów"); the overview to staff.
STAFF_WORDS = {NO_PROGRAMME: "brak programu uprawniającego do mLegitymacji"}


def reason_words(code: str) -> str:
    """A reason of domain.eligibility as the overview names it."""
    return STAFF_WORDS.get(code, REASON_TEXTS[code])


@dataclass(frozen=True)
class StudentSet:
    """Students who never ordered: those who may order now, or those who may not (with
    `reason`, only those with that domain.eligibility reason among theirs)."""

    kind: StudentSetKind
    reason: str = ""
    today: dt.date | None = None  # None: today, when the list is read

    @property
    def label(self) -> str:
        if self.kind == "may_order":
            return "nigdy nie zamawiali, mogą zamówić"
        if self.reason:
            return f"nigdy nie zamawiali, nie mogą zamówić: {reason_words(self.reason)}"
        return "nigdy nie zamawiali, nie mogą zamówić"


# -- the figures ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FigureLine:
    """One counted line; Enter on it opens `opens`, whose list has exactly `count` rows."""

    label: str
    count: int
    opens: OrderQuery | StudentSet
    note: str = ""  # e.g. MC's message and what the code means
    series: tuple[int, ...] = ()  # per day, oldest first (a sparkline)
    action: bool = False  # a count above zero asks for someone's action
    part: bool = False  # a part of the line above it (shown indented under it)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "count": self.count}
        if self.part:
            out["part_of_above"] = True
        if self.note:
            out["note"] = self.note
        if self.series:
            out["per_day"] = list(self.series)
        out["opens"] = opens_json(self.opens)
        return out


def opens_json(opens: OrderQuery | StudentSet) -> dict[str, Any]:
    """What a line opens, for a script (the CLI's --json): which list and its filter."""
    if isinstance(opens, StudentSet):
        return {"list": "students", "set": opens.kind, "reason": opens.reason or None}
    q = opens
    out: dict[str, Any] = {"list": "orders"}
    if q.statuses:
        out["statuses"] = sorted(s.value for s in q.statuses)
    if q.date_from:
        out["date_from"] = q.date_from.isoformat()
    if q.date_to:
        out["date_to"] = q.date_to.isoformat()
    if q.set is not None:
        out["set"] = q.set.kind
        out["set_label"] = q.set.label
    return out


SectionKey = Literal["radar", "students", "statuses", "age", "errors", "daily"]


@dataclass(frozen=True)
class Section:
    key: SectionKey
    title: str
    lines: tuple[FigureLine, ...]
    note: str = ""  # under the title: how the figures are counted
    days: tuple[dt.date, ...] = ()  # the series' days, oldest first (when lines have series)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "title": self.title}
        if self.note:
            out["note"] = self.note
        if self.days:
            out["from"], out["to"] = self.days[0].isoformat(), self.days[-1].isoformat()
        out["lines"] = [line.as_json() for line in self.lines]
        return out


SECTION_TITLES: dict[SectionKey, str] = {
    "radar": "Co wymaga działania",
    "students": "Studenci, którzy nigdy nie zamawiali",
    "statuses": "Zamówienia według statusu",
    "age": "Aktywne zamówienia według wieku",
    "errors": "Błędy według kodu",
    "daily": "Zamówienia dziennie",
}
SECTION_KEYS: tuple[SectionKey, ...] = tuple(SECTION_TITLES)


def days_range(days: tuple[dt.date, ...]) -> str:
    return f"{pl_date(days[0])}–{pl_date(days[-1])}" if days else ""


BLOCKS = "▁▂▃▄▅▆▇█"


def spark(series: tuple[int, ...]) -> str:
    """A per-day series as a row of blocks, the highest day full (a day of none: a space):
    for text (a cron mail, a line of the overview); the TUI's own chart is Textual's Sparkline."""
    top = max(series, default=0)
    if not top:
        return " " * len(series)
    return "".join(" " if not n else BLOCKS[min(len(BLOCKS) - 1, (n * len(BLOCKS) - 1) // top)] for n in series)
