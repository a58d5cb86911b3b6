"""The administrator's overview (issue 13): what needs action today, where the orders stand,
errors, orders per day. Each section fills as its figures come from the worker (marked as
coming before); Enter on a line opens its list: the order list filtered to exactly that set,
or the list of those students."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from mleg_tui.domain.dates import pl_date, pl_datetime
from mleg_tui.domain.numbers import whole
from mleg_tui.domain.text import visible
from mleg_tui.screens.base import BaseScreen, run_service, to_ui
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.overview_types import (
    SECTION_KEYS,
    SECTION_TITLES,
    FigureLine,
    Section,
    SectionKey,
    StudentSet,
)
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.textual_pl import Header

# The quick ones first, so that most of the screen fills at once; shown in SECTION_KEYS' order.
# The students' figure reads every person (seconds at a million): in a worker of its own, beside.
IN_TURN: tuple[SectionKey, ...] = ("radar", "statuses", "age", "errors", "daily")
APART: SectionKey = "students"
COMPUTED_IN: tuple[SectionKey, ...] = (*IN_TURN, APART)
COMING = "  … liczę"


class OverviewScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "Wróć", id="overview.back", tooltip="Wróć do listy zamówień"),
        Binding("q", "back", "Wróć", id="overview.back_q", show=False, tooltip="Wróć do listy zamówień"),
        Binding("r", "reload", "Odśwież", id="overview.reload", tooltip="Policz wszystko od nowa"),
    ]

    def __init__(self) -> None:
        super().__init__()
        assert sorted(COMPUTED_IN) == sorted(SECTION_KEYS)
        self.sections: dict[SectionKey, Section | None] = dict.fromkeys(SECTION_KEYS)
        self.lines: list[FigureLine] = []  # in the order of the options that open them
        self.line_ids: list[str] = []  # their options' ids ("radar-0"), in the same order
        self._days: dict[int, tuple[Any, ...]] = {}  # line index -> the days of its series
        self._width = 0  # the list's, that its lines are laid out for

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Liczę…", id="overview-intro")
        yield OptionList(id="overview-lines")
        yield Static("", id="overview-detail")
        yield Sparkline([], id="overview-chart")
        yield KeyBar()

    @property
    def listed(self) -> OptionList:
        return self.query_one("#overview-lines", OptionList)

    def on_mount(self) -> None:
        self.title = "Przegląd"
        self.listed.focus()
        self.load()

    # -- figures --------------------------------------------------------------------------
    def load(self) -> None:
        self.sections = dict.fromkeys(SECTION_KEYS)
        self._show()
        arrived = to_ui(self, self._arrived)

        def job(ctx: Context) -> None:
            from mleg_tui.services.overview import section

            now = ctx.clock.now()
            arrived(("", now))
            for key in IN_TURN:
                arrived((key, section(ctx, key, now)))

        run_service(self, "overview", job, lambda _: None, self._failed)

    def _arrived(self, item: tuple[str, Any]) -> None:
        key, value = item
        if not key:  # the instant every figure is counted at: the students' worker starts too
            self.query_one("#overview-intro", Static).update(
                Text(f"Stan na {pl_datetime(self.app.ctx.clock.local(value)) if self.app.ctx else ''} · "
                     "Enter: lista tego zestawu · ! trzeba działać", style="dim"))

            def apart(ctx: Context) -> Section:
                from mleg_tui.services.overview import section

                return section(ctx, APART, value)

            run_service(self, "overview-" + APART, apart, lambda sec: self._arrived((APART, sec)), self._failed)
            return
        self.sections[key] = value  # type: ignore[index]
        self._show()

    def _failed(self, text: str) -> None:
        self.query_one("#overview-intro", Static).update(Text(visible(text), style="bold"))
        self.notify(text, title="Nie można policzyć przeglądu", severity="error", timeout=10)

    # -- the list of lines ----------------------------------------------------------------
    def _show(self) -> None:
        """The lines as they are now. Options are named by section and place, so the cursor
        stays on its line as sections arrive in any order; on the first line while it was
        there by default (nothing chosen yet)."""
        listed = self.listed
        was = listed.highlighted_option.id if listed.highlighted_option is not None else None
        first_was = self.line_ids[0] if self.line_ids else None
        options: list[Option] = []
        self.lines, self.line_ids, self._days = [], [], {}
        width = self._width = self._list_width()
        for key in SECTION_KEYS:
            section = self.sections[key]
            title = Text(SECTION_TITLES[key], style="bold")
            if section is not None and section.note:
                title.append(f" ({section.note})", style="dim not bold")
            options.append(Option(title, disabled=True))
            if section is None:
                options.append(Option(Text(COMING, style="dim"), disabled=True))
                continue
            for j, line in enumerate(section.lines):
                i, name = len(self.lines), f"{key}-{j}"
                self.lines.append(line)
                self.line_ids.append(name)
                if line.series:
                    self._days[i] = section.days[-len(line.series):]
                options.append(Option(self._line(line, width), id=name))
        listed.set_options(options)
        keep = was if was in self.line_ids and was != first_was else None
        target = keep or (self.line_ids[0] if self.line_ids else None)
        listed.highlighted = listed.get_option_index(target) if target else None
        self._detail()

    def _line(self, line: FigureLine, width: int) -> Text:
        """"! label ......... count" across the list's width (a label too long is cut)."""
        count = whole(line.count)
        room = max(10, width - 2 - len(count) - 1)
        label = Text(("  " if line.part else "") + visible(line.label))
        label.truncate(room, overflow="ellipsis", pad=True)
        return Text.assemble(("! " if line.action and line.count else "  ", "bold"), label, " ", (count, "bold"))

    def on_resize(self) -> None:
        if self._width != self._list_width():
            self._show()

    def _list_width(self) -> int:
        return self.listed.scrollable_content_region.width or self.size.width - 2

    @on(OptionList.OptionHighlighted, "#overview-lines")
    def _highlighted(self) -> None:
        self._detail()

    def current(self) -> tuple[int, FigureLine] | None:
        option = self.listed.highlighted_option
        if option is None or not option.id:
            return None
        i = self.line_ids.index(option.id)
        return i, self.lines[i]

    def _detail(self) -> None:
        found = self.current()
        detail = self.query_one("#overview-detail", Static)
        chart = self.query_one("#overview-chart", Sparkline)
        if found is None:
            detail.update("")
            chart.data = []
            return
        i, line = found
        if isinstance(line.opens, StudentSet):
            opens = f"studenci — {line.opens.label}"
        else:
            opens = f"zamówienia — {_order_set_words(line.opens)}"
        # A set's words hold data (MC's error code): text, never terminal control.
        text = Text.assemble(("Enter: ", "bold"), visible(f"{opens} ({whole(line.count)})"))
        if line.note:
            text.append("\n" + visible(line.note), style="dim")
        days = self._days.get(i)
        if line.series and days:
            text.append(f"\nDziennie {pl_date(days[0])}–{pl_date(days[-1])}, najwięcej "
                        f"{whole(max(line.series))}:", style="dim")
        # Lines of their own, each cut to the width: the layout never moves with the cursor.
        text.no_wrap, text.overflow = True, "ellipsis"
        detail.update(text)
        chart.data = list(line.series)  # none: an empty chart

    # -- opening a line's list --------------------------------------------------------------
    @on(OptionList.OptionSelected, "#overview-lines")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        found = self.current()
        if found is None:
            return
        _, line = found
        if isinstance(line.opens, StudentSet):
            from mleg_tui.screens.student_list import StudentListScreen

            self.app.push_screen(StudentListScreen(line.opens))
        else:
            self.dismiss(line.opens)  # the order list under this screen shows that set

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.load()


def _order_set_words(q: OrderQuery) -> str:
    """What the order list will show, in words."""
    parts = []
    if q.statuses:
        parts.append(", ".join(s.label for s in sorted(q.statuses, key=lambda s: s.value)))
    if q.date_from or q.date_to:
        parts.append(f"złożone {pl_date(q.date_from)}–{pl_date(q.date_to)}")
    if q.set is not None:
        parts.append(q.set.label)
    return "; ".join(parts) or "wszystkie"
