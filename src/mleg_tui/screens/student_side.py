"""The student of the order list's current row, beside the list (120 columns and wider).

It follows the cursor and never holds up the table's keys: the student is read in a
worker (only the newest one wanted counts); at once for a move after a rest, else once
the cursor has rested FOLLOW_AFTER (keys in quick succession, a held PgDn: nobody on the
way is read), and not again for the same person unless the store changed. What it
shows is the student screen's own StudentPane, without the help desk's revealed codes
(those stay on the student screen)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from mleg_tui.screens.base import BaseScreen, run_service
from mleg_tui.widgets.fmt import literal
from mleg_tui.widgets.student_pane import StudentPane

if TYPE_CHECKING:
    from mleg_tui.screens.student import Found
    from mleg_tui.services.context import Context

FOLLOW_AFTER = 0.05  # seconds: a rest (a held key repeats faster, some 30 times a second)
SIDE_FROM = 120  # columns: from here on the pane stands beside the table
SIDE_SHARE = 0.4  # of the width, between the least and the most below
SIDE_MIN, SIDE_MAX = 48, 80
EMPTY = "Lista jest pusta: nie ma studenta do pokazania."


def side_width(width: int, table_least: int) -> int:
    """The pane's columns in a screen `width` wide (0: no pane); the table keeps at least
    `table_least` (its narrowest readable layout), even if the pane gets under SIDE_MIN."""
    if width < SIDE_FROM:
        return 0
    side = min(SIDE_MAX, max(SIDE_MIN, int(width * SIDE_SHARE)))
    return min(side, width - table_least)


class StudentSide(VerticalScroll, can_focus=False):
    """Not focusable: the table keeps the keys (Enter opens the student in full)."""

    DEFAULT_CSS = """
    StudentSide {
        width: 48;
        height: 1fr;
        border-left: solid $panel-lighten-2;
        scrollbar-size-vertical: 1;
    }
    StudentSide .side-message { padding: 0 1; color: $text-muted; }
    StudentSide .side-message.-error { color: $text-error; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.person_id: int | None = None  # whose view is shown
        self.wanted: int | None = None  # whose view is shown or being read
        self._stale = False  # the store changed since it was read

    def compose(self) -> ComposeResult:
        yield Static("Wczytywanie…", classes="side-message")

    def show(self, person_id: int) -> None:
        """The student of this person (read in a worker, unless shown and fresh)."""
        if person_id == self.wanted and not self._stale:
            return
        self.wanted, self._stale = person_id, False

        def job(ctx: Context) -> Found:
            from mleg_tui.screens.student import load_student

            return load_student(ctx, person_id=person_id)

        run_service(cast(BaseScreen, self.screen), "student-side", job,
                    lambda found: self._arrived(person_id, found),
                    lambda text: self._failed(person_id, text))

    def changed(self) -> None:
        """The store changed: the next `show`, even of the same person, reads again."""
        self._stale = True

    def say(self, text: str, *, error: bool = False) -> None:
        """A message instead of a student (an empty list, rows that could not be read)."""
        self.wanted = self.person_id = None
        self._replace(Static(literal(text), classes="side-message" + (" -error" if error else "")))

    def _arrived(self, person_id: int, found: Found) -> None:
        if person_id != self.wanted:  # the cursor went on meanwhile
            return
        view, qr = found
        same = person_id == self.person_id
        self.person_id = person_id
        self._replace(StudentPane(view, qr=qr), keep_place=same)

    def _failed(self, person_id: int, text: str) -> None:
        if person_id == self.wanted:
            self.say(text, error=True)

    def _replace(self, widget: Static | StudentPane, *, keep_place: bool = False) -> None:
        y = self.scroll_y if keep_place else 0
        with self.app.batch_update():
            self.remove_children()
            self.mount(widget)
            self.scroll_home(animate=False, immediate=True)
        if y:  # the same student again (the store changed): where the clerk was reading
            self.call_after_refresh(self.scroll_to, y=y, animate=False)

    def fit_qr(self) -> None:
        for pane in self.query(StudentPane):
            pane.fit_qr()
