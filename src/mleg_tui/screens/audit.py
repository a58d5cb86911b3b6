"""Who did what (d on the order list, administrators): the event log and the exports of
personal data (the access trace) newest first in one list, filtered by login, action
("eksport": the exports only), the days it was written and student (that student's order
events; no export), a page at a time as the cursor nears the end; the line under the
cursor in full below."""
from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from mleg_tui.domain.dates import list_datetime, parse_optional_date
from mleg_tui.domain.text import visible
from mleg_tui.errors import MlegError
from mleg_tui.screens.base import BaseScreen, run_service
from mleg_tui.services.context import Context
from mleg_tui.services.report_types import AuditLine, AuditQuery
from mleg_tui.widgets.fmt import clip, literal
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.textual_pl import Header

PAGE = 100
AHEAD = 20  # rows before the end at which the next page is read

FIELDS = (("audit-login", "login"), ("audit-action", "czynność"), ("audit-from", "od dd.mm.rrrr"),
          ("audit-to", "do dd.mm.rrrr"), ("audit-student", "student: album, nazwisko"))


class AuditScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "Wróć", id="audit.back",
                tooltip="Wróć do listy (z pola filtru: do tabeli)"),
        Binding("slash", "filter", "Filtr", id="audit.filter",
                tooltip="Filtr: login, czynność (np. REVOKED, unieważnienie; eksport: tylko eksporty), "
                        "daty zapisu od/do, student (bez eksportów); Enter stosuje"),
        Binding("z", "export", "Eksport", id="audit.export", show=False,
                tooltip="Eksport dziennika, jak go pokazuje filtr, do pliku CSV lub JSON"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_now = AuditQuery()
        self.lines: list[AuditLine] = []
        self.more = False
        self.loading = False
        self.generation = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="audit-filter"):
            for id_, placeholder in FIELDS:
                yield Input(placeholder=placeholder, id=id_, classes="audit-field")
        yield DataTable(id="audit-list", cursor_type="row", zebra_stripes=True)
        yield Static("", id="audit-detail")
        yield Static("Wczytywanie…", id="audit-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = "Kto co zrobił: dziennik zdarzeń i eksporty"
        table = self.query_one(DataTable)
        table.add_columns("Kiedy", "Kto", "Czynność", "Zamówienie", "Osoba", "Powód, filtr eksportu")
        table.focus()
        self._load()

    # -- reading -------------------------------------------------------------------------------
    def _load(self, *, more: bool = False) -> None:
        q, after = self.query_now, (self.lines[-1].key if more and self.lines else None)
        if not more:
            self.generation += 1
            self.lines, self.more = [], False
            self.query_one(DataTable).clear()
        generation = self.generation
        self.loading = True

        def job(ctx: Context) -> list[AuditLine]:
            from mleg_tui.services.audit import find_events

            return find_events(ctx, q, limit=PAGE, after=after)

        run_service(self, "audit-more" if more else "audit", job,
                    lambda page: self._arrived(generation, page), self._failed)

    def _arrived(self, generation: int, page: list[AuditLine]) -> None:
        if generation != self.generation:  # the filter changed meanwhile
            return
        self.loading = False
        self.lines += page
        self.more = len(page) == PAGE
        table = self.query_one(DataTable)
        for a in page:
            # Cells as Text: logins, names and reasons are data, never markup. Narrow
            # enough for 80 columns; the line in full is under the table.
            when = list_datetime(a.when)[:16] + ("" if a.real_time else "*")
            table.add_row(when, Text(clip(visible(a.who), 16)), clip(a.what(), 22), a.order_ref,
                          Text(clip(visible(a.person), 18)), Text(clip(a.why(), 40)))
        self._status()
        if self.lines and table.cursor_row == 0 and len(self.lines) == len(page):
            self._detail(0)

    def _failed(self, text: str) -> None:
        self.loading = False
        self.query_one("#audit-status", Static).update(literal(text))

    def _status(self) -> None:
        n = len(self.lines)
        if not n:
            text = "Brak zdarzeń i eksportów pasujących do filtru."
        else:
            text = f"Zdarzenia i eksporty, najnowsze pierwsze: {n}"
            if self.more:
                text += " (dalsze wczytują się przy przewijaniu)"
            if any(not a.real_time for a in self.lines):
                text += " · * czas zdarzenia: czasu zapisu brak (starsze zdarzenia)"
        if self.query_now.student.strip():
            text += " · eksporty pominięte: dotyczą list, nie jednego studenta"
        self.query_one("#audit-status", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)
        if self.more and not self.loading and event.cursor_row >= len(self.lines) - AHEAD:
            self._load(more=True)

    def _detail(self, row: int) -> None:
        if 0 <= row < len(self.lines):
            self.query_one("#audit-detail", Static).update(literal(self.lines[row].line()))

    # -- the filter ------------------------------------------------------------------------------
    @on(Input.Submitted)
    def _apply(self, event: Input.Submitted) -> None:
        from mleg_tui.domain.events import parse_audit_action
        from mleg_tui.services.audit import check

        value = {id_: self.query_one(f"#{id_}", Input).value.strip() for id_, _ in FIELDS}
        try:
            q = AuditQuery(login=value["audit-login"],
                           action=parse_audit_action(value["audit-action"]) if value["audit-action"] else None,
                           date_from=self._date(value["audit-from"], "od"),
                           date_to=self._date(value["audit-to"], "do"),
                           student=value["audit-student"])
            check(q)
        except MlegError as e:
            self.query_one("#audit-status", Static).update(literal(str(e)))
            return
        self.query_now = q
        self._load()
        self.query_one(DataTable).focus()

    @staticmethod
    def _date(text: str, what: str) -> dt.date | None:
        from mleg_tui.errors import UserError

        try:
            return parse_optional_date(text)
        except ValueError as e:
            raise UserError(f"Data „{what}”: {e}.") from None

    def action_export(self) -> None:
        from mleg_tui.screens.export import open_audit_export

        # Written: read again, so the export's own trace shows on top (when the filter has it).
        open_audit_export(self, self.query_now, lambda result: self._load() if result is not None else None)

    def action_filter(self) -> None:
        self.query_one("#audit-login", Input).focus()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(DataTable).focus()
        else:
            self.dismiss(None)
