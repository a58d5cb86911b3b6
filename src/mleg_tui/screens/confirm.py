"""Dialogs that guard changes: Cancel has the focus, so a stray Enter changes nothing.

What they say names students: it is text, never markup (a name must not be a button)."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from mleg_tui.domain.text import visible
from mleg_tui.widgets.fmt import CONTROL_MARKS, literal

SHOWN = 6  # rows listed in the dialog; the rest are counted


class ConfirmDialog(ModalScreen[bool]):
    AUTO_FOCUS = "#cancel"
    quit_question = False  # the question before quitting: asked to quit again, it quits
    BINDINGS = [Binding("escape", "cancel", "Anuluj", id="dialog.cancel")]

    def __init__(self, title: str, text: str, confirm: str, *, back: str = "Anuluj") -> None:
        super().__init__(classes="dialog")
        self._title, self._text, self._confirm, self._back = title, text, confirm, back

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(literal(self._title, newlines=False), classes="dialog-title")
            yield Static(literal(self._text), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._back, id="cancel")
                yield Button(self._confirm, id="ok", variant="error")

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class RevokeDialog(ModalScreen[str | None]):
    """Revoke orders or cards: says how many and which, and will not go on without a reason."""

    AUTO_FOCUS = "#cancel"
    BINDINGS = [Binding("escape", "cancel", "Anuluj", id="dialog.cancel")]

    def __init__(self, head: str, lines: list[str]) -> None:
        super().__init__(classes="dialog")
        self._head, self._lines = head, lines

    def compose(self) -> ComposeResult:
        listed = self._lines[:SHOWN]
        more = len(self._lines) - len(listed)
        text = "\n".join(f"• {visible(line)}" for line in listed)  # one line each
        if more > 0:
            text += f"\n… i {more} więcej"
        with Vertical(classes="dialog-box"):
            yield Label(literal(f"Unieważnić: {self._head}?", newlines=False), classes="dialog-title")
            yield Static(literal(text), classes="dialog-text")
            yield Static("Status zmieni się na „Unieważnione przez uczelnię”; zamówienia już "
                         "przekazane do MC czekają na jego potwierdzenie.", classes="dialog-note")
            yield Label("Powód (wymagany, trafi do historii):")
            yield Input(id="reason", placeholder="np. skreślenie z listy studentów: SKR-102",
                        highlighter=CONTROL_MARKS)
            yield Static("", id="reason-problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Anuluj", id="cancel")
                yield Button("Unieważnij", id="ok", variant="error")

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted, "#reason")
    def _ok(self) -> None:
        reason = " ".join(self.query_one("#reason", Input).value.split())
        if not reason:
            self.query_one("#reason-problem", Static).update("Podaj powód unieważnienia.")
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
