"""The help desk's prompt: album number, Enter, the student. An unknown number is said
in the prompt, which stays open for the next try."""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from mleg_tui.screens.base import run_service
from mleg_tui.screens.student import load_student


class LookupScreen(ModalScreen[Any]):
    AUTO_FOCUS = "#album"
    BINDINGS = [Binding("escape", "close", "Zamknij", id="lookup.close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="lookup-box"):
            yield Label("Numer albumu studenta:", classes="dialog-title")
            yield Input(id="album", placeholder="np. 100001")
            yield Static("", id="lookup-message", classes="dialog-problem")
            yield Static("Enter: pokaż studenta · Esc: zamknij", classes="dialog-note")

    @on(Input.Submitted, "#album")
    def _find(self, event: Input.Submitted) -> None:
        album = event.value.strip()
        message = self.query_one("#lookup-message", Static)
        if not album:
            message.update("Wpisz numer albumu.")
            return
        message.update("Szukam…")
        run_service(self, "lookup", lambda ctx: load_student(ctx, album=album), self.dismiss,
                    self._not_found)

    def _not_found(self, text: str) -> None:
        self.query_one("#lookup-message", Static).update(text)
        field = self.query_one("#album", Input)
        field.select_all()
        field.focus()

    def action_close(self) -> None:
        self.dismiss(None)
