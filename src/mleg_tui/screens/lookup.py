"""The help desk's prompt: whatever the caller has at hand (album number, name, PESEL, order
reference, the QR code's text), Enter, the student. Several matches are listed to pick
from; none is said in the prompt, which stays open for the next try."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from mleg_tui.domain.pesel import mask_in
from mleg_tui.domain.text import visible
from mleg_tui.screens.base import BaseModal, run_service
from mleg_tui.screens.student import Found, StudentScreen, load_student
from mleg_tui.services.context import Context
from mleg_tui.services.types import StudentMatch
from mleg_tui.widgets.fmt import CONTROL_MARKS, literal

SAY_BUSY_AFTER = 0.15  # seconds
LIST_AT_MOST = 20  # matches listed; more means: say more
LINE_AT_MOST = 66  # cells of a listed match: the list's width in the 76-column dialog, its scrollbar too


def what_to_type(university: str) -> str:
    return ("Wpisz numer albumu, nazwisko i imię (w dowolnej kolejności, wystarczą początki, "
            f"polskie znaki niepotrzebne), cały PESEL, numer zamówienia (np. {university}-000123) "
            "albo tekst kodu QR.")


def match_line(m: StudentMatch) -> Text:
    """One person in the list: name, album, masked PESEL, programme (text, never markup)."""
    line = Text(visible(m.name), style="bold")
    line.append(" · " + visible(m.album or "bez albumu"))
    line.append(" · PESEL " + m.pesel_masked if m.pesel_masked else " · bez PESEL")
    if m.programme:
        line.append(" · " + visible(m.programme))
    line.truncate(LINE_AT_MOST, overflow="ellipsis")  # one line each, never wrapped
    return line


class LookupScreen(BaseModal[Found | None]):
    AUTO_FOCUS = "#lookup-text"
    BINDINGS = [
        Binding("escape", "close", "Zamknij", id="lookup.close"),
        Binding("down", "to_list", "Lista", id="lookup.to_list", show=False,
                tooltip="Przejdź do listy znalezionych osób"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog")
        self._busy: Timer | None = None
        self._said = False  # the message line has something to take back
        self._matches: list[StudentMatch] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="lookup-box"):
            yield Label("Znajdź studenta:", classes="dialog-title")
            yield Input(id="lookup-text", highlighter=CONTROL_MARKS,
                        placeholder="nr albumu, nazwisko i imię, PESEL, nr zamówienia, kod QR")
            yield Static("", id="lookup-message", classes="dialog-problem")
            yield OptionList(id="lookup-matches")
            yield Static("Enter: szukaj · Esc: zamknij", id="lookup-note", classes="dialog-note")

    @property
    def field(self) -> Input:
        return self.query_one("#lookup-text", Input)

    @property
    def listed(self) -> OptionList:
        return self.query_one("#lookup-matches", OptionList)

    # -- searching ------------------------------------------------------------------------
    @on(Input.Submitted, "#lookup-text")
    def _find(self, event: Input.Submitted) -> None:
        wanted = event.value.strip()
        if not wanted:
            self._say("Wpisz, kogo szukać. " + what_to_type(self.app.settings.university))
            return
        if self._matches:  # (nothing to redraw otherwise: it would delay the student)
            self._show_list([])
        if self._said:
            self._say("")
        hold = self.app.hold_keys("lookup")  # keys typed meanwhile go to what it opens

        def job(ctx: Context) -> Found | list[StudentMatch]:
            from mleg_tui.services.students import lookup

            found = lookup(ctx, wanted, limit=LIST_AT_MOST + 1)
            if isinstance(found, int):  # one: straight to the student, in the same worker
                return load_student(ctx, person_id=found)
            return found

        def done(result: Found | list[StudentMatch]) -> None:
            self._stop_busy()
            if isinstance(result, list):
                self._listed(wanted, result)
            else:
                self._open(result)
            self._release(hold)

        def failed(text: str) -> None:
            self._not_found(text)
            self._release(hold)

        # Said only if it takes a while: a redraw of the prompt would delay the student.
        self._busy = self.set_timer(SAY_BUSY_AFTER, lambda: self._say("Szukam…"))
        run_service(self, "lookup", job, done, failed)

    def _release(self, hold: Any) -> None:
        # After the focus changes just asked for (queued on the app), not before.
        self.app.call_later(self.app.release_keys, hold)

    def _open(self, found: Found) -> None:
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        if self.app.screen is self and not isinstance(below, StudentScreen):
            # Straight from the prompt to the student: the list under the prompt is not
            # brought back (and re-read) in between; Esc on the student returns to it.
            self.app.show_student(found)
        else:
            self.dismiss(found)

    def _listed(self, wanted: str, matches: list[StudentMatch]) -> None:
        if not matches:
            self._not_found(f"Nie znaleziono nikogo: „{mask_in(wanted)}”. "
                            + what_to_type(self.app.settings.university))
            return
        shown = matches[:LIST_AT_MOST]
        if len(matches) > LIST_AT_MOST:
            self._say(f"Pierwsze {LIST_AT_MOST} osób: dopisz imię albo wpisz numer albumu, "
                      "żeby zawęzić.")
        else:
            self._say(f"Znalezione osoby: {len(shown)}. Wybierz strzałkami i Enter.")
        self._show_list(shown)
        self.set_focus(self.listed)  # now, not a frame later: the next keys choose

    def _show_list(self, matches: list[StudentMatch]) -> None:
        self._matches = matches
        listed = self.listed
        listed.clear_options()
        listed.add_options([Option(match_line(m), id=str(m.person_id)) for m in matches])
        listed.display = bool(matches)
        if matches:
            listed.highlighted = 0
        self.query_one("#lookup-note", Static).update(
            "↑↓: wybierz · Enter: pokaż studenta · Esc: wróć do pola" if matches
            else "Enter: szukaj · Esc: zamknij")

    @on(OptionList.OptionSelected, "#lookup-matches")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        person_id = int(event.option.id or 0)
        hold = self.app.hold_keys("student")

        def done(found: Found) -> None:
            # Over the list: Esc on the student comes back to it, for the next one.
            view, qr = found
            self.app.push_screen(StudentScreen(view=view, qr=qr))
            self._release(hold)

        def failed(text: str) -> None:
            self._say(text)
            self._release(hold)

        run_service(self, "lookup", lambda ctx: load_student(ctx, person_id=person_id), done, failed)

    # -- the message line -----------------------------------------------------------------
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
        self.field.select_all()
        self.set_focus(self.field)

    # -- keys -------------------------------------------------------------------------------
    def action_to_list(self) -> None:
        if self._matches and self.focused is self.field:
            self.set_focus(self.listed)

    def action_close(self) -> None:
        if self._matches and self.focused is self.listed:
            self.field.select_all()
            self.set_focus(self.field)  # back to the field, to search again
            return
        self.dismiss(None)
