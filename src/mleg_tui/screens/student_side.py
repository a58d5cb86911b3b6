"""The student of the order list's current row, beside the list (120 columns and wider).

It follows the cursor and never holds up the table's keys: the student is read in a
worker (only the newest one wanted counts); at once for a move after a rest, else once
the cursor has rested FOLLOW_AFTER (keys in quick succession, a held PgDn: nobody on the
way is read), and not again for the same person unless the store changed. What it
shows is the student screen's own parts (widgets.student_pane), without the help desk's
revealed codes (those stay on the student screen), drawn into lines by the worker that
reads the student (widgets.student_lines): the UI thread only shows them."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mleg_tui.screens.base import BaseScreen, run_in_thread, run_service
from mleg_tui.widgets.student_lines import Look, draw_message, draw_student

if TYPE_CHECKING:
    from mleg_tui.screens.student import Found
    from mleg_tui.services.context import Context
    from mleg_tui.services.types import StudentView

FOLLOW_AFTER = 0.05  # seconds: a rest (a held key repeats faster, some 30 times a second)
SIDE_FROM = 120  # columns: from here on the pane stands beside the table
SIDE_SHARE = 0.4  # of the width, between the least and the most below
SIDE_MIN, SIDE_MAX = 48, 80
EMPTY = "Lista jest pusta: nie ma studenta do pokazania."
LOADING = "Wczytywanie…"


def side_width(width: int, table_least: int) -> int:
    """The pane's columns in a screen `width` wide (0: no pane); the table keeps at least
    `table_least` (its narrowest readable layout), even if the pane gets under SIDE_MIN."""
    if width < SIDE_FROM:
        return 0
    side = min(SIDE_MAX, max(SIDE_MIN, int(width * SIDE_SHARE)))
    return min(side, width - table_least)


class StudentSide(ScrollView, can_focus=False):
    """Not focusable: the table keeps the keys (Enter opens the student in full)."""

    DEFAULT_CSS = """
    StudentSide {
        width: 48;
        height: 1fr;
        border-left: solid $panel-lighten-2;
        scrollbar-size-vertical: 1;
        overflow-y: scroll;  /* always there: a student of another length needs no new layout */
    }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.wanted: int | None = None  # whose view is shown or being read
        self._found: Found | None = None  # what is shown (None: a message)
        self._stale = False  # the store changed since it was read
        self._lines: list[Strip] = []
        self._drawn_for = Size(0, 0)  # the size the lines were drawn for
        self._message: tuple[str, bool] | None = (LOADING, False)

    # -- what is shown ------------------------------------------------------------------------
    @property
    def view(self) -> StudentView | None:
        return self._found[0] if self._found is not None else None

    @property
    def person_id(self) -> int | None:
        """Whose view is shown."""
        view = self.view
        return view.person_id if view is not None else None

    def show(self, person_id: int) -> None:
        """The student of this person (read and drawn in a worker, unless shown and fresh)."""
        if person_id == self.wanted and not self._stale:
            return
        self.wanted, self._stale = person_id, False
        size, look = self._draw_size(), self._look()

        def job(ctx: Context) -> tuple[Found, list[Strip]]:
            from mleg_tui.screens.student import load_student

            found = load_student(ctx, person_id=person_id)
            return found, draw_student(*found, size.width, size.height, look)

        run_service(cast(BaseScreen, self.screen), "student-side", job,
                    lambda got: self._arrived(person_id, size, *got),
                    lambda text: self._failed(person_id, text), background=True)

    def changed(self) -> None:
        """The store changed: the next `show`, even of the same person, reads again."""
        self._stale = True

    def say(self, text: str, *, error: bool = False) -> None:
        """A message instead of a student (an empty list, rows that could not be read)."""
        self.wanted = self._found = None
        self._message = (text, error)
        self._put_message()

    def _put_message(self) -> None:
        assert self._message is not None
        text, error = self._message
        size = self._draw_size()
        self._put(draw_message(text, size.width, self._look(), error=error), size)

    def _arrived(self, person_id: int, size: Size, found: Found, lines: list[Strip]) -> None:
        if person_id != self.wanted:  # the cursor went on meanwhile
            return
        same = person_id == self.person_id
        self._found, self._message = found, None
        self._put(lines, size, keep_place=same)  # the same student again: where the clerk was reading

    def _failed(self, person_id: int, text: str) -> None:
        if person_id == self.wanted:
            self.say(text, error=True)

    # -- drawing ------------------------------------------------------------------------------
    def _draw_size(self) -> Size:
        """The lines' size: the width beside the scrollbar, the height the first screen's."""
        return self.scrollable_content_region.size

    def _look(self) -> Look:
        return Look(self.visual_style, self.app.theme_variables, no_color=self.app.no_color)

    def _put(self, lines: list[Strip], size: Size, *, keep_place: bool = False) -> None:
        self._lines, self._drawn_for = lines, size
        # No new layout of the whole screen (7-12 ms, the first keys' time): the scrollbar is
        # always there (see the CSS), only its thumb and these lines change.
        virtual = Size(size.width, len(lines))
        self.set_reactive(StudentSide.virtual_size, virtual)
        self._scroll_update(virtual)
        if not keep_place:
            self.scroll_home(animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        """Drawn again for the new size (the lines are the old size's meanwhile)."""
        size = self._draw_size()
        if size == self._drawn_for or not size.width:
            return
        if self._message is not None:  # drawn again; a student being read still comes
            self._put_message()
            return
        found, person_id, look = self._found, self.person_id, self._look()
        if found is None or person_id is None:
            return
        run_in_thread(cast(BaseScreen, self.screen), "student-side-draw",
                      lambda: draw_student(*found, size.width, size.height, look),
                      lambda lines: self._redrawn(person_id, size, lines))

    def _redrawn(self, person_id: int, size: Size, lines: list[Strip]) -> None:
        if person_id == self.person_id and size == self._draw_size():
            self._put(lines, size, keep_place=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        i = y + int(self.scroll_y)
        if 0 <= i < len(self._lines):
            return self._lines[i].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)
