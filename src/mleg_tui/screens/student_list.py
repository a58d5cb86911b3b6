"""A list of students the overview counted (those who never ordered: who may order now, who
may not and why), read a page at a time by name; Enter opens the student."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mleg_tui.domain.numbers import whole
from mleg_tui.screens.base import BaseScreen, run_service
from mleg_tui.screens.lookup import match_line
from mleg_tui.screens.student import Found, StudentScreen, load_student
from mleg_tui.services.context import Context
from mleg_tui.services.overview_types import StudentSet
from mleg_tui.services.types import StudentMatch
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.textual_pl import Header

PAGE = 200
READ_ON_WITHIN = 20  # rows from the end of what is read: the next page is asked for


class StudentListScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "Wróć", id="students.back", tooltip="Wróć do przeglądu"),
        Binding("q", "back", "Wróć", id="students.back_q", show=False, tooltip="Wróć do przeglądu"),
    ]

    def __init__(self, which: StudentSet) -> None:
        super().__init__()
        self.which = which
        self.total: int | None = None
        self.students: list[StudentMatch] = []
        self._after: tuple[Any, ...] | None = None
        self._more = True
        self._reading = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"Studenci: {self.which.label}", style="bold"), id="students-intro")
        yield OptionList(id="students-list")
        yield Static("Wczytywanie…", id="students-shown")
        yield KeyBar()

    @property
    def listed(self) -> OptionList:
        return self.query_one("#students-list", OptionList)

    def on_mount(self) -> None:
        self.title = "Studenci z przeglądu"
        self.listed.focus()
        which = self.which

        def count(ctx: Context) -> int:
            from mleg_tui.services.student_sets import count_students

            return count_students(ctx, which)

        self._read_on()
        run_service(self, "count", count, self._counted)

    def _counted(self, total: int) -> None:
        self.total = total
        self._status()

    def _read_on(self) -> None:
        if self._reading or not self._more:
            return
        self._reading = True
        which, after = self.which, self._after

        def job(ctx: Context) -> tuple[list[StudentMatch], tuple[Any, ...] | None]:
            from mleg_tui.services.student_sets import find_students_in

            return find_students_in(ctx, which, limit=PAGE, after=after)

        run_service(self, "page", job, self._page)

    def _page(self, page: tuple[list[StudentMatch], tuple[Any, ...] | None]) -> None:
        found, self._after = page
        self._reading, self._more = False, self._after is not None
        first = not self.students
        self.students += found
        self.listed.add_options([Option(match_line(m), id=str(m.person_id)) for m in found])
        if first and found:
            self.listed.highlighted = 0
        self._status()

    def _status(self) -> None:
        shown = self.query_one("#students-shown", Static)
        total = whole(self.total) if self.total is not None else "…"
        if not self.students and not self._more:
            shown.update("Nikogo w tym zestawie." if self.total == 0 else f"Wczytano 0 (spośród {total}).")
            return
        more = " · dalsze wczytują się przy przewijaniu" if self._more else ""
        shown.update(f"Wczytano {whole(len(self.students))} (spośród {total}){more} · Enter: pokaż studenta")

    @on(OptionList.OptionHighlighted, "#students-list")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index >= len(self.students) - READ_ON_WITHIN:
            self._read_on()

    @on(OptionList.OptionSelected, "#students-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        person_id = int(event.option.id or 0)

        def done(found: Found) -> None:
            view, qr = found
            self.app.push_screen(StudentScreen(view=view, qr=qr))

        run_service(self, "student", lambda ctx: load_student(ctx, person_id=person_id), done)

    def action_back(self) -> None:
        self.dismiss(None)
