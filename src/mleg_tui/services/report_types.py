"""The values of the office's records that cross to the front ends: the reports of refresh
and sweep runs, and the audit's lines over the event log (who did what).

Plain frozen data and their wording, as services.types: importing this module loads the
domain and the standard library only, so screens import it at module level."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mleg_tui.domain.dates import pl_date, pl_datetime
from mleg_tui.domain.events import AccessAction, Action, Actor
from mleg_tui.domain.numbers import seconds_taken
from mleg_tui.domain.pesel import mask_in
from mleg_tui.domain.runs import ItemOutcome, RunKind, RunState
from mleg_tui.domain.status import OrderStatus
from mleg_tui.domain.text import visible
from mleg_tui.services.types import ORIGIN_LABELS, AccessView, EventView


def _iso(t: dt.datetime | dt.date | None) -> str | None:
    if t is None:
        return None
    return t.isoformat(timespec="seconds") if isinstance(t, dt.datetime) else t.isoformat()


# -- run reports ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunView:
    """One refresh or sweep: who, when, how it ended, its counts (times in office time)."""

    id: int
    kind: RunKind
    state: RunState
    actor: str  # the login
    actor_kind: Actor  # STAFF: a person started it; SYSTEM: unattended (cron, a script)
    origin: str  # TUI or CLI
    as_of: dt.date  # the business day it ran for (a fixed `today` sets it)
    started_at: dt.datetime
    finished_at: dt.datetime | None
    seconds: float | None
    total: int
    done: int
    read: int
    submitted: int
    changed: int
    confirmed: int
    found: int
    revoked: int
    pending: int
    skipped: int
    failed: int
    summary: str | None
    error: str | None

    @property
    def who(self) -> str:
        how = "pracownik" if self.actor_kind is Actor.STAFF else "bez terminala: cron lub skrypt"
        return f"{self.actor} ({how}, {ORIGIN_LABELS.get(self.origin, self.origin)})"

    def counts(self) -> str:
        """What it did, in a few words: the list's column, the report's line."""
        if self.kind is RunKind.SWEEP:
            parts = [f"znaleziono {self.found}", f"unieważniono {self.revoked}",
                     f"czeka na MC {self.pending}"]
            if self.skipped:
                parts.append(f"pominięto {self.skipped}")
        else:
            parts = [f"odczytano {self.read}", f"przekazano {self.submitted}", f"zmieniono {self.changed}"]
            if self.confirmed:
                parts.append(f"potwierdzono unieważnienia {self.confirmed}")
        parts.append(f"błędy {self.failed}")
        return ", ".join(parts)

    def took(self) -> str:
        return seconds_taken(self.seconds) if self.seconds is not None else "—"

    LIST_HEAD = f"{'Nr':>5}  {'Początek':<20}  {'Rodzaj':<21}  {'Kto':<12}  {'Czas':>8}  {'Stan':<14}  Wynik"

    def line(self) -> str:
        """One line of `mleg-tui runs`, in the columns of LIST_HEAD."""
        return (f"{self.id:>5}  {pl_datetime(self.started_at, seconds=True):<20}  {self.kind.label:<21}  "
                f"{visible(self.actor):<12}  {self.took():>8}  {self.state.short_label:<14}  {self.counts()}")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind.value, "state": self.state.value,
            "state_label": self.state.label, "actor": self.actor, "actor_kind": self.actor_kind.value,
            "origin": self.origin, "as_of": self.as_of.isoformat(),
            "started_at": _iso(self.started_at), "finished_at": _iso(self.finished_at),
            "seconds": self.seconds,
            "counts": {"total": self.total, "done": self.done, "read": self.read,
                       "submitted": self.submitted, "changed": self.changed,
                       "confirmed": self.confirmed, "found": self.found, "revoked": self.revoked,
                       "pending": self.pending, "skipped": self.skipped, "failed": self.failed},
            "summary": self.summary, "error": self.error,
        }


@dataclass(frozen=True)
class RunItemView:
    """An order a report names: what became of it (a refresh names its failures only)."""

    order_id: int | None
    order_ref: str
    person: str
    album: str
    status: OrderStatus | None  # as the sweep found it
    outcome: ItemOutcome
    reason: str | None  # the sweep's reason, in words
    why: str | None  # a failure's cause

    def line(self) -> str:
        """One order, one line (a control character in the data is a mark)."""
        head = f"{self.order_ref} {visible(self.person)} ({visible(self.album or 'bez albumu')})"
        if self.status is not None:
            head += f" {self.status.label}"
        tail = self.outcome.label + (f": {visible(self.why)}" if self.why else "")
        return f"{head}: {visible(self.reason)} → {tail}" if self.reason else f"{head} → {tail}"

    def as_json(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "order_ref": self.order_ref, "person": self.person,
                "album": self.album or None, "status": self.status.value if self.status else None,
                "outcome": self.outcome.value, "outcome_label": self.outcome.label,
                "reason": self.reason, "why": self.why}


@dataclass(frozen=True)
class RunReport:
    run: RunView
    items: tuple[RunItemView, ...]

    @property
    def swept(self) -> tuple[RunItemView, ...]:
        """Every order the sweep found, with what became of it (its failures too)."""
        return tuple(i for i in self.items if i.status is not None)

    @property
    def failures(self) -> tuple[RunItemView, ...]:
        """Every failure with why (the sweep's are in `swept` too, with their order)."""
        return tuple(i for i in self.items if i.outcome is ItemOutcome.FAILED)

    def head(self) -> list[str]:
        r = self.run
        lines = [f"Raport nr {r.id}: {r.kind.label} — {r.state.label}",
                 f"Uruchomił: {visible(r.who)}",
                 f"Początek: {pl_datetime(r.started_at, seconds=True)}"
                 + (f", koniec: {pl_datetime(r.finished_at, seconds=True)}" if r.finished_at else "")
                 + f", czas: {r.took()}"]
        if r.as_of != r.started_at.date():
            lines.append(f"Na dzień: {pl_date(r.as_of)} (ustawienie today)")
        lines.append(f"Wynik: {r.counts()}")
        if r.summary:
            lines.append(visible(r.summary))
        if r.error:
            lines.append(f"Błąd: {visible(r.error)}")
        return lines

    def text(self) -> str:
        """The whole report, for `mleg-tui runs show N`."""
        lines = self.head()
        if self.run.kind is RunKind.SWEEP:
            done = self.swept
            lines.append(f"Zamówienia ({len(done)}):" if done else "Zamówienia: brak (nikt nie stracił uprawnień).")
            lines.extend(f"  {i.line()}" for i in done)
        if self.failures:
            lines.append(f"Błędy ({len(self.failures)}):")
            lines.extend(f"  {i.line()}" for i in self.failures)
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {**self.run.as_json(), "items": [i.as_json() for i in self.items]}


# -- the audit (who did what) ---------------------------------------------------------------------

@dataclass(frozen=True)
class AuditQuery:
    login: str = ""  # exact
    # An event log's action, or AccessAction.EXPORT: the exports only (the access trace).
    action: Action | AccessAction | None = None
    date_from: dt.date | None = None  # by the real time of writing, office days, inclusive
    date_to: dt.date | None = None
    # Anything the lookup takes: album, name, PESEL, order reference. Only that student's
    # order events: an export is of a list, never of one student, so none is shown then.
    student: str = ""

    @property
    def exports(self) -> bool:
        """Whether the exports (the access trace) are among the lines this filter shows."""
        return not self.student.strip() and self.action in (None, AccessAction.EXPORT)

    @property
    def events(self) -> bool:
        """Whether the order events are."""
        return self.action is not AccessAction.EXPORT

    def describe(self) -> str:
        """The filter in the clerk's words (the export's trace)."""
        parts = [f"login {self.login}" if self.login else "",
                 f"czynność: {self.action.label}" if self.action else "",
                 f"od {pl_date(self.date_from)}" if self.date_from else "",
                 f"do {pl_date(self.date_to)}" if self.date_to else "",
                 f"student: {mask_in(self.student)}" if self.student else ""]
        return "dziennik zdarzeń: " + (", ".join(p for p in parts if p) or "wszystkie")

    def as_json(self) -> dict[str, Any]:
        return {"login": self.login or None, "action": self.action.value if self.action else None,
                "date_from": _iso(self.date_from), "date_to": _iso(self.date_to),
                "student": mask_in(self.student) or None}


# The audit's two streams, in the key: at one instant an export comes before an event.
EVENT_LINE, EXPORT_LINE = 0, 1


@dataclass(frozen=True)
class AuditLine:
    """One line of the audit: an order event (`event`, on an order), or an export of a list
    (`access`, from the access trace; no order, no student)."""

    event_id: int  # the order event's id, or the access record's
    event: EventView | None  # who, what and why, in the history's words
    order_id: int | None
    order_ref: str
    person: str
    album: str
    # To page on from this line: (UTC when, EVENT_LINE or EXPORT_LINE, id), newest first.
    key: tuple[dt.datetime, int, int]
    access: AccessView | None = None

    @staticmethod
    def of_export(a: AccessView) -> AuditLine:
        return AuditLine(event_id=a.id, event=None, order_id=None, order_ref="", person="", album="",
                         key=(a.recorded_at.astimezone(dt.UTC), EXPORT_LINE, a.id), access=a)

    @property
    def when(self) -> dt.datetime:
        """The real time it was written; the business time for events that have none."""
        if self.access is not None:
            return self.access.recorded_at
        assert self.event is not None
        return self.event.recorded_at or self.event.at

    @property
    def real_time(self) -> bool:
        return self.event is None or self.event.recorded_at is not None

    @property
    def who(self) -> str:
        if self.access is not None:
            return self.access.login
        assert self.event is not None
        return self.event.who

    @property
    def action_code(self) -> str:
        """The action's code, as the filter takes it (EXPORT for an export)."""
        return self.event.action.value if self.event is not None else AccessAction.EXPORT.value

    def when_text(self) -> str:
        text = pl_datetime(self.when, seconds=True)
        return text if self.real_time else f"{text} (czas zdarzenia; czasu zapisu brak)"

    def what(self) -> str:
        if self.access is not None:
            return self.access.what()
        assert self.event is not None
        e = self.event
        text = e.action.label
        if e.new_status is not None:
            text += f" ({e.old_status.label if e.old_status else '—'} → {e.new_status.label})"
        return text

    def why(self) -> str:
        """An event's reason; an export's filter in words and its file (shown as text)."""
        if self.access is not None:
            return self.access.particulars()
        return visible(self.event.reason) if self.event is not None and self.event.reason else ""

    def line(self) -> str:
        """One line of `mleg-tui audit`: when, who, what, on which order, why; an export's
        filter and file in place of the order and the reason."""
        parts = [self.when_text(), visible(self.who), self.what()]
        if self.event is not None:
            parts.append(f"{self.order_ref} {visible(self.person)} ({visible(self.album or 'bez albumu')})")
            if self.event.reason:
                parts.append(f"powód: {self.why()}")
        else:
            parts.append(self.why())
        return " · ".join(parts)

    def as_json(self) -> dict[str, Any]:
        if self.access is not None:
            return {"kind": "export", "id": self.event_id, "when": _iso(self.when), "real_time": True,
                    "action": AccessAction.EXPORT.value, "action_label": self.what(), **self.access.as_json()}
        assert self.event is not None
        return {"kind": "event", "id": self.event_id, "when": _iso(self.when), "real_time": self.real_time,
                **self.event.as_json(), "order_id": self.order_id, "order_ref": self.order_ref,
                "person": self.person, "album": self.album or None}
