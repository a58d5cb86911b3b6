"""Sort the order list by a column chosen directly: its number, or arrows and Enter."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from mleg_tui.services.list_types import SORT_KEYS, SORT_NAMES, SortKey


class SortPicker(ModalScreen[SortKey | None]):
    BINDINGS = [
        Binding("escape", "close", "Anuluj", id="sort.close"),
        *(Binding(str(n), f"pick({n})", show=False, id=f"sort.column_{n}")
          for n in range(1, len(SORT_KEYS) + 1)),
    ]

    def __init__(self, current: SortKey, descending: bool) -> None:
        super().__init__(classes="dialog")
        self.current, self.descending = current, descending

    def compose(self) -> ComposeResult:
        way = "malejąco" if self.descending else "rosnąco"
        options = []
        for n, key in enumerate(SORT_KEYS, 1):
            now = f"  (teraz, {way}; wybierz, by odwrócić)" if key == self.current else ""
            options.append(Option(f"{n}  {SORT_NAMES[key]}{now}", id=key))
        with Vertical(classes="dialog-box"):
            yield Label("Sortuj według kolumny", classes="dialog-title")
            yield OptionList(*options, id="sort-columns")
            yield Static("Cyfra lub Enter: wybierz · Esc: bez zmian", classes="dialog-note")

    def on_mount(self) -> None:
        columns = self.query_one(OptionList)
        columns.highlighted = SORT_KEYS.index(self.current)
        columns.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(SORT_KEYS[event.option_index])

    def action_pick(self, n: int) -> None:
        self.dismiss(SORT_KEYS[n - 1])

    def action_close(self) -> None:
        self.dismiss(None)
