"""The error codes on the orders the list's filter shows (its code field aside), each with how
many and what it means; the one chosen becomes the filter's code, whole."""
from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from mleg_tui.domain.numbers import whole
from mleg_tui.domain.text import visible
from mleg_tui.screens.base import BaseModal, run_service
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.types import ErrorCodeCount
from mleg_tui.typeahead import Hold


def code_line(c: ErrorCodeCount) -> Text:
    """PERSON_NOT_FOUND · 1 234 · what it means (MC's own message for a code unknown here)."""
    line = Text(visible(c.code), style="bold")
    line.append(" · " + whole(c.count) + " · ")
    line.append(visible(c.meaning) if c.known or not c.mc_message else "MC: " + visible(c.mc_message))
    return line


class ErrorCodePicker(BaseModal[str | None]):
    BINDINGS = [Binding("escape", "close", "Anuluj", id="codes.close")]

    def __init__(self, query: OrderQuery, current: str = "") -> None:
        super().__init__(classes="dialog")
        self.order_query, self.current = query, current
        self._hold: Hold | None = None
        self.codes: list[ErrorCodeCount] | None = None  # None until read

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="codes-box"):
            yield Label("Kody błędów MC w zamówieniach", classes="dialog-title")
            yield Static("Wczytuję kody…", id="codes-note", classes="dialog-note")
            yield OptionList(id="codes-list")
            yield Static("↑↓: wybierz · Enter: filtruj tym kodem · Esc: bez zmian", classes="dialog-note")

    def on_mount(self) -> None:
        # Keys typed before the list is here (e, Enter in a burst) wait for it.
        self._hold = self.app.hold_keys("error codes")
        q = self.order_query

        def job(ctx: Context) -> list[ErrorCodeCount]:
            from mleg_tui.services.orders import error_code_counts

            return error_code_counts(ctx, q)

        run_service(self, "codes", job, self._show, self._failed)

    def _show(self, codes: list[ErrorCodeCount]) -> None:
        self.codes = codes
        note = self.query_one("#codes-note", Static)
        filtered = self.order_query.text or self.order_query.statuses or self.order_query.date_from \
            or self.order_query.date_to
        where = "w zamówieniach, które pokazuje filtr" if filtered else "w bazie"
        if not codes:
            note.update(f"Żadne zamówienie {where} nie ma kodu błędu.")
        else:
            note.update(f"Kody {where} i liczba zamówień z każdym:")
            listed = self.query_one(OptionList)
            listed.add_options([Option(code_line(c), id=c.code) for c in codes])
            at = next((i for i, c in enumerate(codes) if c.code == self.current), 0)
            listed.highlighted = at
            listed.focus()
        self._release()

    def _failed(self, text: str) -> None:
        self.query_one("#codes-note", Static).update(Text(visible(text)))
        self._release()

    def _release(self) -> None:
        if self._hold is not None:
            self.app.call_later(self.app.release_keys, self._hold)
            self._hold = None

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
