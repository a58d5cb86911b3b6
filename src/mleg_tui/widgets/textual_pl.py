"""Textual's own widgets with the texts they show in Polish: the ones this app's users
meet (Textual is pinned; its 8.2.8 sources say where each English text is).

- the status dropdown's open list: "Esc Dismiss menu" in the footer;
- the command palette: "No matches found";
- the header's icon: the tooltip "Open the command palette".
(Ctrl+C's "Do you want to quit?" is the app's own action: MlegApp.action_help_quit.)
"""
from __future__ import annotations

from typing import Any

from rich.align import Align
from rich.text import Text
from textual import widgets
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.widgets._header import HeaderClock, HeaderClockSpace, HeaderIcon, HeaderTitle
from textual.widgets._select import SelectCurrent, SelectOverlay
from textual.widgets.option_list import Option

NO_MATCHES = "Nic nie pasuje"
PALETTE_TOOLTIP = "Lista poleceń (: albo Ctrl+P)"


class _SelectList(SelectOverlay):
    BINDINGS = [Binding("escape", "dismiss", "Zamknij listę")]


class Select(widgets.Select[Any]):
    """Textual's Select whose open list is named in Polish in the footer."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("prompt", "Wybierz")
        super().__init__(*args, **kw)

    def compose(self) -> ComposeResult:  # Textual's, with the list above
        yield SelectCurrent(self.prompt)
        yield _SelectList(type_to_search=self._type_to_search).data_bind(compact=widgets.Select.compact)

    # Mounted as the app closes (the filter's fields come a frame after the first rows, and
    # the app may end at once: a store that cannot be opened), its parts were never
    # composed: Textual's own mount handler would fail looking for them.
    def _composed(self) -> bool:
        return bool(self.query(SelectOverlay)) and bool(self.query("SelectCurrent #label"))

    def _setup_options_renderables(self) -> None:
        if self._composed():
            super()._setup_options_renderables()

    def _init_selected_option(self, hint: Any = widgets.Select.NULL) -> None:
        if self._composed():
            super()._init_selected_option(hint)


class _HeaderIcon(HeaderIcon):
    def on_mount(self) -> None:
        # After Textual's own handler of this Mount, which sets its English tooltip.
        self.call_later(self._polish)

    def _polish(self) -> None:
        if self.tooltip:
            self.tooltip = PALETTE_TOOLTIP


class _HeaderTitle(HeaderTitle):
    def update(self, content: Any = "", *, layout: bool = True) -> None:
        # Its size is the header's whatever the title says: a new title (the role, once the
        # store is open) needs no layout of the whole screen (12 ms, in the middle of a key).
        super().update(content, layout=False)


class Header(widgets.Header):
    def compose(self) -> ComposeResult:  # Textual's, with the icon above
        yield _HeaderIcon().data_bind(widgets.Header.icon)
        yield _HeaderTitle()
        yield HeaderClock().data_bind(widgets.Header.time_format) if self._show_clock else HeaderClockSpace()


class Palette(CommandPalette):
    """Textual's palette: what is typed or pasted into its search shows control characters
    as marks, and a search that finds nothing says so in Polish."""

    def on_mount(self) -> None:
        from mleg_tui.widgets.fmt import CONTROL_MARKS

        self.query_one(widgets.Input).highlighter = CONTROL_MARKS

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own (command.py), with the text in Polish: it is built inside.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(NO_MATCHES, style="not bold")), disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
