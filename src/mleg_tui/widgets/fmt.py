"""Small Polish formatting helpers shared by screens and widgets."""
from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.highlighter import Highlighter
from rich.text import Text
from textual.content import Content

from mleg_tui.domain.names import plural as count  # 1 zamówienie, 2 zamówienia, 5 zamówień
from mleg_tui.domain.text import visible


def orders(n: int) -> str:
    return count(n, "zamówienie", "zamówienia", "zamówień")


def clip(text: str, width: int) -> str:
    """Cut to `width` cells with an ellipsis, never mid-way without a sign."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def fit(text: str, width: int) -> str:
    """Exactly `width` cells: clipped as above, or padded (wide letters count twice)."""
    text = clip(text, width)
    return text + " " * (width - cell_len(text))


# Text from data or from a user (names, MC's messages, what was typed, messages that quote
# them) goes on screen through these: never read as markup, no control character raw.
def literal(text: str, *, newlines: bool = True) -> Content:
    """`newlines=False` for a line (a title): a line break in a name is a mark then."""
    return Content(visible(text, newlines=newlines))


def rich_literal(text: str, style: str = "") -> Text:
    """The same, for a Rich renderable (a table cell, a Text being assembled)."""
    return Text(visible(text, newlines=True), style=style)


class _ControlMarks(Highlighter):
    """An Input's highlighter: what was typed or pasted is drawn with its control
    characters as marks (the value itself stays as it came)."""

    def highlight(self, text: Text) -> None:
        text.plain = visible(text.plain)  # one mark per character: the cursor stays put


CONTROL_MARKS = _ControlMarks()
