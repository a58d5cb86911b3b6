"""The help desk's prompt: album number, Enter, the student. An unknown number is said
in the prompt, which stays open for the next try."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from mleg_tui.screens.base import BaseModal, run_service
from mleg_tui.screens.student import Found, StudentScreen, load_student
from mleg_tui.widgets.fmt import CONTROL_MARKS, literal

SAY_BUSY_AFTER = 0.15  # seconds


class LookupScreen(BaseModal[Found | None]):
    AUTO_FOCUS = "#album"
    BINDINGS = [Binding("escape", "close", "Zamknij", id="lookup.close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog")
        self._busy: Timer | None = None
        self._said = False  # the message line has something to take back

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="lookup-box"):
            yield Label("Numer albumu studenta:", classes="dialog-title")
            yield Input(id="album", placeholder="np. 100001", highlighter=CONTROL_MARKS)
            yield Static("", id="lookup-message", classes="dialog-problem")
            yield Static("Enter: pokaż studenta · Esc: zamknij", classes="dialog-note")

    @on(Input.Submitted, "#album")
    def _find(self, event: Input.Submitted) -> None:
        album = event.value.strip()
        if not album:
            self._say("Wpisz numer albumu.")
            return
        if self._said:
            self._say("")
        # Said only if it takes a while: a redraw of the prompt would delay the student.
        self._busy = self.set_timer(SAY_BUSY_AFTER, lambda: self._say("Szukam…"))
        run_service(self, "lookup", lambda ctx: load_student(ctx, album=album), self._found,
                    self._not_found)

    def _found(self, found: Found) -> None:
        self._stop_busy()
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        if self.app.screen is self and not isinstance(below, StudentScreen):
            # Straight from the prompt to the student: the list under the prompt is not
            # brought back (and re-read) in between; Esc on the student returns to it.
            self.app.show_student(found)
        else:
            self.dismiss(found)

    def _stop_busy(self) -> None:
        if self._busy is not None:
            self._busy.stop()
            self._busy = None

    def _say(self, text: str) -> None:
        self._said = bool(text)
        self.query_one("#lookup-message", Static).update(literal(text))  # it may quote what was typed

    def _not_found(self, text: str) -> None:
        self._stop_busy()
        self._say(text)
        field = self.query_one("#album", Input)
        field.select_all()
        field.focus()

    def action_close(self) -> None:
        self.dismiss(None)
