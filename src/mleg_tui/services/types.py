"""The values that cross from the services to the front ends (the TUI, the command line).

Plain frozen data and their wording, nothing else: importing this module loads the domain
and the standard library only (no SQLAlchemy, SQLModel, pydantic or Textual), so screens and
widgets import it at module level without slowing the first frame.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from mleg_tui.domain.dates import duration, pl_date, pl_datetime
from mleg_tui.domain.events import Actor, ExportedList
from mleg_tui.domain.names import plural
from mleg_tui.domain.numbers import rate, seconds_taken
from mleg_tui.domain.rules import ProgrammeStatus
from mleg_tui.domain.runs import ItemOutcome
from mleg_tui.domain.status import Lapse, OrderStatus, current_index, status_text
from mleg_tui.domain.text import visible
from mleg_tui.services.list_types import iso as _iso

if TYPE_CHECKING:  # in annotations only: the first screen need not load the advice table
    from mleg_tui.domain.advice import Step
    from mleg_tui.domain.eligibility import Verdict
    from mleg_tui.domain.events import Action, PendingAction
    from mleg_tui.domain.rules import Level

@dataclass(frozen=True)
class ErrorCodeCount:
    """An error code on orders in the store, how many the list shows with it picked, and
    what it means (domain.mc_errors); for a code this program does not know, MC's message
    on one of those orders says what happened."""

    code: str
    count: int
    meaning: str
    known: bool
    mc_message: str | None = None


# -- exports and their trace ----------------------------------------------------------------------

ExportFormat = Literal["csv", "json"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
# `;` first: Polish Excel's list separator (the comma is the decimal comma there), so a
# double-clicked file opens in columns; `,` for programs and other locales.
SEPARATORS = (";", ",")


@dataclass(frozen=True)
class ExportOptions:
    format: ExportFormat = "csv"
    separator: str = ";"  # CSV only
    bom: bool = True  # CSV only: Excel reads UTF-8 only after a BOM
    pesel: bool = False  # whole PESELs, asked for (and allowed to the role: Permission.EXPORT_PESEL)
    overwrite: bool = False  # replace a file of that name


@dataclass(frozen=True)
class ExportProgress:
    done: int
    total: int  # as counted before the export began (rows added meanwhile may make more)


@dataclass(frozen=True)
class ExportResult:
    destination: str  # the file written, or "stdout"
    rows: int
    pesel_unmasked: bool
    format: ExportFormat

    def text(self) -> str:
        rows = plural(self.rows, "wiersz", "wiersze", "wierszy")
        pesel = "pełne numery PESEL" if self.pesel_unmasked else "PESEL zamaskowany"
        return f"Zapisano {rows} ({self.format.upper()}, {pesel}) do pliku {self.destination}."


# Where a run or an export was started from (Run.origin, AccessEvent.via), in words.
ORIGIN_LABELS = {"TUI": "z aplikacji", "CLI": "z wiersza poleceń"}
STDOUT = "stdout"  # an export's destination when it went to standard output, not a file


@dataclass(frozen=True)
class AccessView:
    """One export in the access trace (store.models.AccessEvent)."""

    id: int
    recorded_at: dt.datetime  # the real time, office time
    login: str
    actor_kind: Actor
    role: str
    via: str  # TUI, CLI
    source: ExportedList
    filter_text: str
    filter: dict[str, Any]
    rows: int
    format: str
    pesel_unmasked: bool
    destination: str

    def what(self) -> str:
        """Which list, in which format, how many rows, whether PESELs were whole, from where:
        the audit's "what" of an export."""
        pesel = "pełne numery PESEL" if self.pesel_unmasked else "PESEL zamaskowany"
        return (f"{self.source.exported} ({self.format.upper()}, "
                f"{plural(self.rows, 'wiersz', 'wiersze', 'wierszy')}, {pesel}, "
                f"{ORIGIN_LABELS.get(self.via, visible(self.via))})")

    def particulars(self) -> str:
        """The filter in words and the file: data, so a control character shows as a mark.
        A PESEL typed into the filter was masked when it was recorded (describe())."""
        where = "na standardowe wyjście" if self.destination == STDOUT else f"plik: {visible(self.destination)}"
        return f"filtr: {visible(self.filter_text)} · {where}"

    def describe(self) -> str:
        """By whom, what, with which filter, how many rows, in one line (the time apart)."""
        return f"{visible(self.login)} · {self.what()} · {self.particulars()}"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "recorded_at": self.recorded_at.isoformat(timespec="seconds"),
                "login": self.login, "actor_kind": self.actor_kind.value, "role": self.role,
                "via": self.via, "source": self.source.value, "filter_text": self.filter_text,
                "filter": self.filter, "rows": self.rows, "format": self.format,
                "pesel_unmasked": self.pesel_unmasked, "destination": self.destination}


# -- one student (the help desk) --------------------------------------------------------------

# A business time this far from the real time of writing was set by a fixed `today`
# (a batch's events share one business time, taken at its start: minutes, not more).
BACKDATED = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class EventView:
    at: dt.datetime  # business time (a fixed `today` sets it), office time
    action: Action
    old_status: OrderStatus | None
    new_status: OrderStatus | None
    actor_kind: Actor
    actor: str
    reason: str | None
    recorded_at: dt.datetime | None = None  # the real time it was written (schema v5)

    @property
    def who(self) -> str:
        if self.actor_kind is Actor.STAFF:
            return self.actor
        if self.actor_kind is Actor.STUDENT and self.actor:
            return f"{self.actor_kind.label} (wprowadził {self.actor})"
        if self.actor_kind in (Actor.MC, Actor.SWEEP) and self.actor:  # the login that ran it
            return f"{self.actor_kind.label} (uruchomił {self.actor})"
        return self.actor_kind.label

    def describe(self) -> str:
        """By whom, what, the change of status and the reason, in one line (the time apart):
        the history of the CLI and of the TUI. Names and reasons are data: a control
        character in them shows as a mark."""
        parts = [visible(self.who), self.action.label]
        if self.new_status is not None:
            old = self.old_status.label if self.old_status else "—"
            parts.append(f"{old} → {self.new_status.label}")
        if self.reason:
            parts.append(f"powód: {visible(self.reason)}")
        if self.backdated and self.recorded_at:
            parts.append("data ustalona ustawieniem today, zapisano naprawdę "
                         + pl_datetime(self.recorded_at, seconds=True))
        return " · ".join(parts)

    @property
    def backdated(self) -> bool:
        """The business time is not when it was written: a fixed `today` set it."""
        return self.recorded_at is not None and abs(self.recorded_at - self.at) > BACKDATED

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "recorded_at": self.recorded_at.isoformat(timespec="seconds") if self.recorded_at else None,
            "action": self.action.value,
            "old_status": self.old_status.value if self.old_status else None,
            "new_status": self.new_status.value if self.new_status else None,
            "actor_kind": self.actor_kind.value,
            "actor": self.actor,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class OrderView:
    id: int
    order_ref: str
    status: OrderStatus
    ordered_at: dt.datetime  # office time
    planned_expiry: dt.date
    expiry_date: dt.date
    mc_id: str | None
    error_code: str | None
    error_message: str | None
    qr_code: str | None
    codes_valid_until: dt.datetime | None  # office time
    lapse: Lapse | None  # the card or its codes ran out (domain.status.lapse_of)
    has_activation_code: bool
    pending_action: PendingAction | None
    pending_reason: str | None
    pending_since: dt.datetime | None
    version: int
    events: tuple[EventView, ...]

    @property
    def codes_expired(self) -> bool:
        return self.lapse is Lapse.CODES_EXPIRED

    @property
    def card_expired(self) -> bool:
        return self.lapse is Lapse.CARD_EXPIRED

    def status_text(self) -> str:
        """The manual's word, marked when the card or its codes ran out."""
        return status_text(self.status, self.lapse)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "order_ref": self.order_ref,
            "status": self.status.value,
            "status_label": self.status.label,
            "status_text": self.status_text(),  # the label, marked when the card or its codes ran out
            "ordered_at": self.ordered_at.isoformat(timespec="seconds"),
            "planned_expiry": self.planned_expiry.isoformat(),
            "expiry_date": self.expiry_date.isoformat(),
            "error_code": self.error_code,
            "error_message": self.error_message,
            "qr_code": self.qr_code,
            "codes_valid_until": _iso(self.codes_valid_until),
            "lapse": self.lapse.value if self.lapse else None,
            "codes_expired": self.codes_expired,
            "card_expired": self.card_expired,
            "pending": (
                {"action": self.pending_action.value, "reason": self.pending_reason,
                 "since": _iso(self.pending_since)}
                if self.pending_action else None
            ),
            "events": [e.as_json() for e in self.events],
        }


@dataclass(frozen=True)
class ProgrammeView:
    code: str
    name: str
    level: Level
    status: ProgrammeStatus
    status_date: dt.date | None
    planned_end: dt.date | None
    entitles_until: dt.date | None  # what a card ordered today would get from it

    def describe(self) -> str:
        """One line for a clerk: code, name, level, status since when, and the verdict."""

        dated = self.status_date and self.status is not ProgrammeStatus.ACTIVE
        since = f" od {pl_date(self.status_date)}" if dated else ""
        end = f", planowany koniec {pl_date(self.planned_end)}" if self.planned_end else ""
        right = f" → uprawnia do {pl_date(self.entitles_until)}" if self.entitles_until else " → nie uprawnia"
        return f"{self.code} {self.name} ({self.level.label}) — {self.status.label}{since}{end}{right}"

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level.value,
            "status": self.status.value,
            "status_date": _iso(self.status_date),
            "planned_end_date": _iso(self.planned_end),
            "entitles": self.entitles_until is not None,
        }


@dataclass(frozen=True)
class StudentView:
    person_id: int
    external_id: str
    album: str | None
    first_name: str
    last_name: str
    pesel_masked: str | None
    birth_date: dt.date | None
    has_photo: bool
    programmes: tuple[ProgrammeView, ...]
    verdict: Verdict
    orders: tuple[OrderView, ...]  # newest first
    advice: tuple[Step, ...] = ()  # what to do (domain.advice), about the reasons and now

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def current(self) -> OrderView | None:
        """The one that matters now: the newest order in force (live, and not a card past
        its expiry), else the newest order."""
        return current_of(self.orders)

    def step_for(self, reason: str) -> str | None:
        """What to do about one of the verdict's reasons, if it has a step of its own."""
        return next((s.text for s in self.advice if s.reason == reason), None)

    @property
    def next_steps(self) -> tuple[Step, ...]:
        """What to do now, beside the reasons' own steps."""
        return tuple(s for s in self.advice if s.reason is None)

    def as_json(self) -> dict[str, Any]:
        v = self.verdict
        current = self.current
        return {
            "album": self.album,
            "name": self.name,
            "eligible": v.eligible,
            "reasons": [{**r.as_dict(), "next_step": self.step_for(r.code)} for r in v.reasons],
            "notes": list(v.notes),
            "advice": [s.as_dict() for s in self.advice],
            "current_order": current.order_ref if current else None,
            "planned_expiry": _iso(v.planned_expiry),
            "pesel": self.pesel_masked,
            "has_photo": self.has_photo,
            "programmes": [p.as_json() for p in self.programmes],
            "orders": [o.as_json() for o in self.orders],
        }


def current_of(orders: tuple[OrderView, ...]) -> OrderView | None:
    """`orders` newest first (domain.status.current_index)."""
    i = current_index([(o.status, o.lapse) for o in orders])
    return None if i is None else orders[i]


@dataclass(frozen=True)
class StudentMatch:
    """One person a lookup found: enough to tell them apart in a list of several."""

    person_id: int
    first_name: str
    last_name: str
    album: str | None
    pesel_masked: str | None
    programme: str  # the programme that matters most (active first), its status if ended; or ""
    order_ref: str | None = None  # their newest order's reference: another way to name them

    @property
    def name(self) -> str:
        return f"{self.last_name} {self.first_name}"  # as the list sorts them

    def as_json(self) -> dict[str, Any]:
        return {"first_name": self.first_name, "last_name": self.last_name, "album": self.album,
                "pesel": self.pesel_masked, "programme": self.programme or None,
                "newest_order": self.order_ref}


# -- placing, cancelling, revoking ---------------------------------------------------------------

@dataclass(frozen=True)
class ActionResult:
    order_id: int
    order_ref: str
    album: str
    person: str
    old_status: OrderStatus
    status: OrderStatus  # after the action (unchanged while pending)
    pending: bool  # waiting for MC to confirm
    message: str


# -- refreshing statuses from MC ----------------------------------------------------------------

@dataclass(frozen=True)
class RefreshSelection:
    """Which orders to refresh; all None means every live order."""

    order_ids: list[int] | None = None
    albums: list[str] | None = None
    statuses: frozenset[OrderStatus] | None = None


@dataclass(frozen=True)
class RefreshFailure:
    order_id: int
    order_ref: str
    person: str
    album: str
    why: str

    def __str__(self) -> str:
        # One order, one line: a control character in the name is a mark, not a line break.
        return f"{self.order_ref} {visible(self.person)} ({visible(self.album or 'bez albumu')}): {self.why}"


@dataclass
class RefreshProgress:
    done: int = 0
    total: int = 0
    errors: int = 0
    changed: int = 0
    changed_ids: list[int] = field(default_factory=list)  # since the last report
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.rate or self.done >= self.total:
            return None
        return (self.total - self.done) / self.rate

    def line(self) -> str:
        """One line of live progress, for a terminal or the TUI's dialog."""
        return (f"{self.done}/{self.total} · zmienione: {self.changed} · błędy: {self.errors} · "
                f"{rate(self.rate)} · pozostało: {duration(self.eta_seconds)}")


@dataclass
class RefreshSummary:
    total: int = 0  # steps: orders to submit + orders to read + requests to confirm
    done: int = 0
    changed: int = 0
    submitted: int = 0
    read: int = 0  # orders whose state MC gave
    confirmed: int = 0
    confirmed_ids: list[int] = field(default_factory=list)
    failures: list[RefreshFailure] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        """One line: what was done, for a terminal or a cron mail."""
        head = "przerwana po" if self.cancelled else "zakończona w"
        changes = ", ".join(f"{OrderStatus(k).label} {v}" for k, v in sorted(self.by_status.items()))
        text = (f"Aktualizacja statusów {head} {seconds_taken(self.seconds)}: przekazano do MC {self.submitted}, "
                f"odczytano stan {plural(self.read, 'zamówienia', 'zamówień', 'zamówień')}"
                + (f", potwierdzono unieważnienia/anulowania {self.confirmed}" if self.confirmed else "")
                + f"; zmieniono {self.changed}" + (f" ({changes})" if changes else "")
                + f"; nie udało się {len(self.failures)}.")
        if self.cancelled:
            text += " Pozostałe zamówienia zostaną zaktualizowane przy następnym uruchomieniu."
        return text


# -- the revocation sweep (figures 12-13) ---------------------------------------------------------

@dataclass(frozen=True)
class SweepItem:
    order_id: int
    order_ref: str
    person: str
    album: str
    status: OrderStatus
    reason: str
    version: int = 0

    def __str__(self) -> str:
        # One order, one line: a control character in the name is a mark, not a line break.
        return (f"{visible(self.person)} ({visible(self.album or 'bez albumu')}) {self.order_ref} "
                f"{self.status.label}: {visible(self.reason)}")


@dataclass
class SweepSummary:
    items: list[SweepItem] = field(default_factory=list)
    revoked: int = 0  # ended here or confirmed by MC
    pending: int = 0  # recorded, waiting for MC
    earlier_confirmed: int = 0  # revocations from earlier runs that MC confirmed now
    earlier_pending: int = 0  # ... and those still waiting
    skipped: int = 0  # changed meanwhile so that there is nothing to revoke
    outcomes: dict[int, ItemOutcome] = field(default_factory=dict)  # order id -> what happened
    confirmed_by_mc: set[int] = field(default_factory=set)  # revoked once MC confirmed
    failures: list[RefreshFailure] = field(default_factory=list)  # the sweep's own, and MC's
    dry_run: bool = False
    cancelled: bool = False

    def outcome_text(self, order_id: int) -> str:
        """What became of one order: "unieważniono (potwierdzone przez MC)", say."""
        outcome = self.outcomes.get(order_id)
        if outcome is None:
            return ""
        return outcome.label + (" (potwierdzone przez MC)" if order_id in self.confirmed_by_mc else "")

    def text(self) -> str:
        """For a person reading a cron mail: the verdict first, then every order."""
        found = plural(len(self.items), "zamówienie", "zamówienia", "zamówień")
        if self.dry_run:
            head = f"Podgląd (nic nie zmieniono): do unieważnienia {found}."
        else:
            head = (f"Skrypt unieważniający: znaleziono {found} osób bez uprawnień; "
                    f"unieważniono {self.revoked}, czeka na potwierdzenie MC {self.pending}"
                    + (f", pominięto (zmieniły się w międzyczasie) {self.skipped}" if self.skipped else "")
                    + f", błędy {len(self.failures)}.")
            if self.earlier_confirmed or self.earlier_pending:
                head += (f" Wcześniejsze unieważnienia: potwierdzone teraz przez MC {self.earlier_confirmed}, "
                         f"nadal czekają {self.earlier_pending}.")
            if self.cancelled:
                head += " Przerwano: pozostałe zamówienia unieważni następne uruchomienie."
        lines = [head]
        for i in self.items:
            lines.append(f"  {i}" + (f" → {self.outcome_text(i.order_id)}" if i.order_id in self.outcomes else ""))
        if self.failures:
            lines.append("Błędy:")
            lines.extend(f"  {f}" for f in self.failures)
        return "\n".join(lines)
