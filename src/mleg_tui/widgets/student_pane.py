"""One student for the help desk: data, the verdict with every reason and what to do,
the current order (with its QR code when ready), and every order's history."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from mleg_tui.domain.dates import pl_date, pl_datetime
from mleg_tui.domain.status import OrderStatus, validity_label
from mleg_tui.domain.text import visible
from mleg_tui.widgets.qr_view import QRView

if TYPE_CHECKING:  # in annotations only: the student's types load with the store
    from mleg_tui.services.types import OrderView, StudentView


# Text from data is put into Text objects (never markup) through visible(): the
# register's names, MC's codes and messages, reasons staff typed.
def _field(name: str, value: str) -> Text:
    return Text.assemble((f"{name}: ", "bold"), visible(value))


def person_lines(v: StudentView) -> Text:
    t = Text.assemble((visible(v.name), "bold"), f" · nr albumu {visible(v.album or '(brak)')}\n")
    t.append_text(_field("PESEL", v.pesel_masked or "(brak)"))
    if v.birth_date:
        t.append(f" · data urodzenia: {pl_date(v.birth_date)}")
    t.append(f" · zdjęcie: {'jest' if v.has_photo else 'brak'}\n")
    t.append("Programy:", "bold")
    for p in v.programmes:
        t.append(f"\n  {visible(p.describe())}")
    if not v.programmes:
        t.append(" (brak)")
    return t


def verdict_lines(v: StudentView) -> Text:
    verdict = v.verdict
    t = Text()
    for r in verdict.reasons:
        t.append(f"• {visible(r.text)}\n", "bold")
        step = v.step_for(r.code)
        if step:
            t.append(f"  co zrobić: {visible(step)}\n")
    for note in verdict.notes:
        t.append(f"{note}\n")
    if verdict.offered_expiry:
        t.append_text(_field("Planowana data ważności mLegitymacji", pl_date(verdict.offered_expiry)))
        t.append("\n")
    for s in v.next_steps:  # what to do now, about the current order or ordering
        t.append("Co zrobić: ", "bold")
        t.append(f"{visible(s.text)}\n")
    t.rstrip()
    return t


def order_details(o: OrderView, code: str | None, reveal_hint: str | None,
                  qr_hint: str | None = None) -> Text:
    t = Text()
    t.append_text(_field("Data zamówienia", pl_datetime(o.ordered_at)))
    label = validity_label(o.status, o.lapse)
    if label:
        t.append("\n")
        t.append_text(_field(label, pl_date(o.expiry_date)))
    if o.error_code:
        t.append("\n")
        t.append_text(_field("Kod błędu", o.error_code + (f" — {o.error_message}" if o.error_message else "")))
    if o.pending_action:
        t.append("\n")
        t.append(f"Czeka na potwierdzenie MC: {o.pending_action.label} od {pl_datetime(o.pending_since)}", "bold")
        t.append(f"; powód: {visible(o.pending_reason or '')}")
    if o.status is OrderStatus.DO_ODBIORU and o.qr_code:
        t.append("\n")
        t.append_text(_field("Kod QR (tekst)", o.qr_code))
        if qr_hint and not o.codes_expired:
            t.append(f" ({qr_hint})")
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
            elif reveal_hint and not o.codes_expired:  # expired codes are never shown
                t.append_text(_field("Kod aktywacyjny", f"ukryty — {reveal_hint}: pokaż (zostanie to odnotowane)"))
            else:
                t.append_text(_field("Kod aktywacyjny", "ukryty"))
    return t


def verdict_head(v: StudentView) -> Content:
    """As a badge: reversed-out words on the verdict's colour."""
    if v.verdict.eligible:
        return Content.styled(" ✔ MOŻE ZAMÓWIĆ ", "bold on $success 30%")
    return Content.styled(" ✘ NIE MOŻE ZAMÓWIĆ ", "bold on $error 30%")


def current_head(o: OrderView) -> Content:
    """The current order's number and its status, coloured as in the list (words too)."""
    badge = o.status_text().upper()
    if o.pending_action:
        badge += f" · {o.pending_action.label} czeka na MC"
    return Content.assemble((f"Bieżące zamówienie {o.order_ref}: ", "bold"),
                            (f" {badge} ", f"bold $text-{o.status.colour}"))


def history(v: StudentView) -> list[RenderableType]:
    """Per order: a heading line, then its events in a grid (time | what), so a long
    event wraps under its own text, not under the time."""
    if not v.orders:
        return [Text("Student nie składał zamówień.")]
    out: list[RenderableType] = []
    for o in v.orders:
        label = validity_label(o.status, o.lapse)
        validity = f" · {label}: {pl_date(o.expiry_date)}" if label else ""
        out.append(Text.assemble((o.order_ref, "bold"), f" · {o.status_text()} · zamówione "
                                 f"{pl_datetime(o.ordered_at)}{validity}"))
        out.append(EventLines([("  " + pl_datetime(e.at, seconds=True), Text(e.describe())) for e in o.events]))
    return out


class EventLines:
    """An order's events as a grid of two columns draws them (the time, then what happened,
    wrapped under its own text), without a table: rich's Table measured every cell of every
    event twice at each draw, 20-30 ms of each move of the cursor beside the pane."""

    def __init__(self, rows: list[tuple[str, Text]]) -> None:
        self.rows = rows
        self.indent = max((cell_len(at) for at, _ in rows), default=0) + 1

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width - self.indent)
        for at, what in self.rows:
            for i, line in enumerate(what.wrap(console, width)):
                line.rstrip()
                yield Text.assemble((at if i == 0 else "").ljust(self.indent), line)


@dataclass(frozen=True)
class PaneParts:
    """What a student's pane shows, top to bottom: `head` (the person, the verdict, the
    current order's heading, and its details unless they stand beside the QR code:
    `beside_qr`), then the history."""

    head: Content
    beside_qr: Content | None
    history: Group


def pane_parts(v: StudentView, qr: list[list[bool]] | None, codes: dict[int, str],
               reveal_hint: str | None, qr_hint: str | None) -> PaneParts:
    head = [Content.from_rich_text(person_lines(v)), Content("\n\n"), verdict_head(v)]
    reasons = verdict_lines(v)
    if reasons.plain:
        head += [Content("\n"), Content.from_rich_text(reasons)]
    current = v.current
    details = beside = None
    if current is not None:
        head += [Content("\n\n"), current_head(current)]
        details = Content.from_rich_text(
            order_details(current, codes.get(current.id), reveal_hint, qr_hint))
    if details is not None and qr and current is not None and not current.codes_expired:
        beside = details
    elif details is not None:
        head += [Content("\n"), details]
    return PaneParts(Content("").join(head), beside,
                     Group(Text(f"\nHistoria zamówień ({len(v.orders)})", "bold"), *history(v)))


# The first screen shows the start of the history: the blank line, its heading, the first
# order's line and its first event.
HISTORY_START = 4


class StudentPane(Vertical):
    """Rebuilt from a StudentView; the QR matrix is computed by the screen's worker.

    As few widgets as the layout needs (each one is styled, laid out and drawn on its
    own, and the pane is built while the clerk waits): the person, the verdict and the
    current order's heading are one text; the current order's details sit beside the QR
    code only when there is one to scan; the history is the last.

    The QR code is drawn only where, so drawn, the first screen (the scroll container
    it stands in) still reaches the start of the history; otherwise its text form alone
    is shown, and the screen draws the code on a key (see `qr_drawn`)."""

    DEFAULT_CSS = """
    StudentPane { height: auto; padding: 0 1; }
    StudentPane #current { height: auto; }
    StudentPane #current-details { width: 1fr; height: auto; }
    StudentPane QRView { margin: 0 0 0 1; display: none; }
    """

    def __init__(self, view: StudentView, *, qr: list[list[bool]] | None = None,
                 codes: dict[int, str] | None = None, reveal_hint: str | None = None,
                 qr_hint: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.qr_hint = qr_hint
        self.view = view
        self.qr = qr
        self.codes = codes or {}
        self.reveal_hint = reveal_hint

    def compose(self) -> ComposeResult:
        parts = pane_parts(self.view, self.qr, self.codes, self.reveal_hint, self.qr_hint)
        yield Static(parts.head, id="person")
        if parts.beside_qr is not None and self.qr:
            with Horizontal(id="current"):
                yield Static(parts.beside_qr, id="current-details")
                yield QRView(self.qr, id="qr")
        yield Static(parts.history, id="history")

    @property
    def qr_drawn(self) -> bool:
        found = self.query(QRView)
        return bool(found) and found.first().display

    def on_resize(self) -> None:
        self.fit_qr()

    def fit_qr(self) -> None:
        """Draw the QR code if the first screen has room for it (see the class); called
        on a resize of the pane, and by its screen when the room around it changes."""
        found, box = self.query(QRView), self.parent
        if not found or not isinstance(box, Widget):
            return
        # The room as if the container's scrollbar were there: drawing the code must not
        # change the width it was decided for.
        width = box.content_region.width - box.styles.scrollbar_size_vertical - self.styles.gutter.width
        room = box.content_region.height
        if width <= 0 or room <= 0:
            return
        qr, area = found.first(), Size(width, room)
        qr_width = qr.get_content_width(area, area)
        head = self.query_one("#person", Static).get_content_height(area, area, width)
        beside = self.query_one("#current-details", Static).get_content_height(
            area, area, width - qr_width - 1)
        qr_height = qr.get_content_height(area, area, qr_width)
        qr.display = qr_width + 1 < width and head + max(beside, qr_height) + HISTORY_START <= room
