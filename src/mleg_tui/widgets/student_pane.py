"""One student for the help desk: data, the verdict with every reason and what to do,
the current order (with its QR code when ready), and every order's history."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from mleg_tui.domain.dates import pl_date, pl_datetime
from mleg_tui.domain.eligibility import NEXT_STEPS
from mleg_tui.domain.status import OrderStatus
from mleg_tui.widgets.qr_view import QRView
from mleg_tui.widgets.status_badge import StatusBadge

if TYPE_CHECKING:
    from mleg_tui.services.students import OrderView, StudentView

PENDING = {"CANCEL": "anulowanie", "REVOKE": "unieważnienie"}


def _field(name: str, value: str) -> Text:
    return Text.assemble((f"{name}: ", "bold"), value)


def person_lines(v: StudentView) -> Text:
    t = Text.assemble((v.name, "bold"), f" · nr albumu {v.album or '(brak)'}\n")
    t.append_text(_field("PESEL", v.pesel_masked or "(brak)"))
    if v.birth_date:
        t.append(f" · data urodzenia: {pl_date(v.birth_date)}")
    t.append(f" · zdjęcie: {'jest' if v.has_photo else 'brak'}\n")
    t.append("Programy:", "bold")
    for p in v.programmes:
        t.append(f"\n  {p.describe()}")
    if not v.programmes:
        t.append(" (brak)")
    return t


def verdict_lines(v: StudentView) -> Text:
    verdict = v.verdict
    t = Text()
    for r in verdict.reasons:
        t.append(f"• {r.text}\n", "bold")
        step = NEXT_STEPS.get(r.code)
        if step:
            t.append(f"  co zrobić: {step}\n")
    for note in verdict.notes:
        t.append(f"{note}\n")
    if verdict.planned_expiry:
        t.append_text(_field("Planowana data ważności mLegitymacji", pl_date(verdict.planned_expiry)))
    t.rstrip()
    return t


def order_details(o: OrderView, code: str | None, reveal_hint: str | None) -> Text:
    t = Text()
    t.append_text(_field("Data zamówienia", pl_datetime(o.ordered_at)))
    t.append("\n")
    t.append_text(_field("Planowana data ważności mLegitymacji", pl_date(o.planned_expiry)))
    if o.expiry_date != o.planned_expiry:
        t.append("\n")
        t.append_text(_field("Data ważności", pl_date(o.expiry_date)))
    if o.error_code:
        t.append("\n")
        t.append_text(_field("Kod błędu", o.error_code + (f" — {o.error_message}" if o.error_message else "")))
    if o.pending_action:
        t.append("\n")
        what = PENDING.get(o.pending_action, o.pending_action)
        t.append(f"Czeka na potwierdzenie MC: {what} od {pl_datetime(o.pending_since)}", "bold")
        t.append(f"; powód: {o.pending_reason}")
    if o.status is OrderStatus.DO_ODBIORU and o.qr_code:
        t.append("\n")
        t.append_text(_field("Kod QR (tekst)", o.qr_code))
        if o.codes_valid_until:
            t.append("\n")
            t.append_text(_field("Kody ważne do", pl_datetime(o.codes_valid_until)))
        if o.codes_expired:
            t.append("\nKODY WYGASŁY", "bold reverse")
            t.append(" — student musi anulować zamówienie i zamówić ponownie.")
        if o.has_activation_code:
            t.append("\n")
            if code:
                t.append_text(_field("Kod aktywacyjny", code))
            elif reveal_hint:
                t.append_text(_field("Kod aktywacyjny", f"ukryty — {reveal_hint}: pokaż (zostanie to odnotowane)"))
            else:
                t.append_text(_field("Kod aktywacyjny", "ukryty"))
    return t


def history(v: StudentView) -> list[RenderableType]:
    """Per order: a heading line, then its events in a grid (time | what), so a long
    event wraps under its own text, not under the time."""
    from mleg_tui.textviews import event_line

    if not v.orders:
        return [Text("Student nie składał zamówień.")]
    out: list[RenderableType] = []
    for o in v.orders:
        out.append(Text.assemble((o.order_ref, "bold"), f" · {o.status.label} · zamówione "
                                 f"{pl_datetime(o.ordered_at)} · ważna do {pl_date(o.expiry_date)}"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for e in o.events:
            when = f"{e.at:%d.%m.%Y %H:%M:%S}"
            grid.add_row("  " + when, event_line(e).removeprefix(when + " · "))
        out.append(grid)
    return out


class StudentPane(Vertical):
    """Rebuilt from a StudentView; the QR matrix is computed by the screen's worker."""

    DEFAULT_CSS = """
    StudentPane { height: auto; padding: 0 1; }
    StudentPane .section { margin-top: 1; text-style: bold; }
    StudentPane #verdict-head { padding: 0 1; width: auto; text-style: bold; }
    StudentPane #verdict-head.-yes { background: $success 30%; }
    StudentPane #verdict-head.-no { background: $error 30%; }
    StudentPane #current-head { height: 1; }
    StudentPane #current { height: auto; }
    StudentPane #current-details { width: 1fr; height: auto; }
    StudentPane QRView { margin: 0 0 0 1; }
    """

    def __init__(self, view: StudentView, *, qr: list[list[bool]] | None = None,
                 codes: dict[int, str] | None = None, reveal_hint: str | None = None,
                 **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.view = view
        self.qr = qr
        self.codes = codes or {}
        self.reveal_hint = reveal_hint

    def compose(self) -> ComposeResult:
        v = self.view
        yield Static(person_lines(v), id="person")
        eligible = v.verdict.eligible
        yield Static("✔ MOŻE ZAMÓWIĆ" if eligible else "✘ NIE MOŻE ZAMÓWIĆ", id="verdict-head",
                     classes="section " + ("-yes" if eligible else "-no"))
        reasons = verdict_lines(v)
        if reasons.plain:
            yield Static(reasons, id="verdict")
        current = v.current
        if current is not None:
            with Horizontal(id="current-head", classes="section"):
                yield Static(f"Bieżące zamówienie {current.order_ref}: ", classes="label")
                yield StatusBadge(current.status, pending=PENDING.get(current.pending_action or ""))
            with Horizontal(id="current"):
                yield Static(order_details(current, self.codes.get(current.id), self.reveal_hint),
                             id="current-details")
                if self.qr and not current.codes_expired:
                    yield QRView(self.qr, id="qr")
        yield Static(f"Historia zamówień ({len(v.orders)})", classes="section")
        yield Static(Group(*history(v)), id="history")
