"""The footer: every key of the current screen that the user may press, wrapped onto
two lines when 80 columns are too few (Textual's Footer cuts them off instead)."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

SEPARATOR = " "  # the keys are drawn reversed, so one space separates enough


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        max-height: 3;
        background: $footer-background;
        color: $footer-description-foreground;
        padding: 0 1;
    }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._last = ""
        self.plain = ""  # what it says, for tests and screen readers
        self._width = 0
        self._lines = 0

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.rebuild)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.rebuild)

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            self.rebuild()

    def items(self) -> list[tuple[str, str, bool]]:
        """(key, description, enabled) of the shown bindings, one per action."""
        seen: set[str] = set()
        out = []
        for active in self.screen.active_bindings.values():
            b = active.binding
            if not b.show or not b.description or b.action in seen:
                continue
            seen.add(b.action)
            out.append((self.app.get_key_display(b), b.description, active.enabled))
        return out

    def rebuild(self) -> None:
        """Also called by a screen at the end of its on_mount, so that the first frame
        has the keys (before the first layout, the bar will be as wide as the screen)."""
        if not self.is_attached:  # a late call after its screen closed
            return
        width = self.content_region.width or self.app.size.width - 2  # padding: 0 1
        width = max(width, 20)
        lines: list[Text] = [Text()]
        for key, desc, enabled in self.items():
            item = Text.assemble((key, "bold reverse" if enabled else "dim"), " ",
                                 (desc, "" if enabled else "dim"))
            line = lines[-1]
            if line.cell_len and line.cell_len + len(SEPARATOR) + item.cell_len > width:
                lines.append(Text())
                line = lines[-1]
            if line.cell_len:
                line.append(SEPARATOR)
            line.append_text(item)
        text = Text("\n").join(lines)
        if text.markup != self._last:  # update only what changed: no redraw on focus moves
            self._last = text.markup
            self.plain = text.plain
            # A new layout of the screen only when the bar's height changes: a key dimmed
            # or lit as the cursor moves (x on a revoked card) laid out the whole screen.
            self.update(text, layout=len(lines) != self._lines)
            self._lines = len(lines)
