"""A student drawn into lines off the UI thread, for the pane beside the order list.

Beside the list the pane changes at every rest of the cursor. Laid out as widgets (the
student screen's StudentPane) it cost the UI thread 40-60 ms a student - mounting them,
measuring every text twice, a second layout for the QR code - and a key pressed
meanwhile waited that long (page-down 40-90 ms instead of 15, in a real terminal). Here
the worker that reads the student also draws it, at the pane's size, with StudentPane's
own parts in StudentPane's places; the UI thread only shows the lines.

Nothing here touches a widget or the app: what the drawing needs from them (the base
style, the theme's variables, NO_COLOR) is taken on the UI thread and passed in."""
from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.styled import Styled
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions

from mleg_tui.widgets.qr_view import half_block_lines, qr_strip
from mleg_tui.widgets.student_pane import HISTORY_START, pane_parts

if TYPE_CHECKING:  # in annotations only: the student's types load with the store
    from mleg_tui.services.types import StudentView

PAD = 1  # columns left and right of the text, as StudentPane's padding


class Look:
    """What drawing needs from the UI thread: the pane's base style, the theme's
    variables (for "$text-success" and the like) and whether colours are off."""

    def __init__(self, base: Style, variables: Mapping[str, str], *, no_color: bool) -> None:
        self.base = base
        self.rich_base = base.rich_style
        self.variables = dict(variables)
        self.no_color = no_color

    def style(self, style: Style | str) -> Style:
        return style if isinstance(style, Style) else Style.parse(style, self.variables)

    def content(self, content: Content, width: int) -> list[Strip]:
        options = RenderOptions(self.style, {})  # no rules: the defaults
        return content.render_strips(width, None, self.base, options)

    def rich(self, renderable: RenderableType, width: int) -> list[Strip]:
        console = Console(width=width, file=io.StringIO(), color_system="truecolor",
                          force_terminal=True, legacy_windows=False, highlight=False,
                          markup=False, emoji=False)
        segments = console.render(Styled(renderable, self.rich_base), console.options.update_width(width))
        return [Strip(line) for line in Segment.split_and_crop_lines(segments, width, include_new_lines=False,
                                                                     pad=False)]

    def blank(self, width: int) -> Strip:
        return Strip.blank(width, self.rich_base)

    def padded(self, lines: list[Strip], width: int) -> list[Strip]:
        """Each line PAD from the left, filled to `width`."""
        left = self.blank(PAD)
        return [Strip.join([left, line]).crop_extend(0, width, self.rich_base) for line in lines]


def draw_student(view: StudentView, qr: list[list[bool]] | None, width: int, room: int,
                 look: Look) -> list[Strip]:
    """The student's lines, `width` columns wide, for a pane `room` lines high.

    As StudentPane does: the QR code stands beside the current order's details only where,
    so drawn, the first screen still reaches the start of the history; otherwise the
    details take the whole width (the code's text form is among them)."""
    inner = width - 2 * PAD
    if inner <= 0:
        return []
    parts = pane_parts(view, qr, {}, None, None)
    lines = look.content(parts.head, inner)
    if parts.beside_qr is not None and qr:
        lines += _beside_qr(parts.beside_qr, qr, inner, room - len(lines), look)
    lines += look.rich(parts.history, inner)
    return look.padded(lines, width)


def draw_message(text: str, width: int, look: Look, *, error: bool = False) -> list[Strip]:
    """A message instead of a student (the text is data: never markup)."""
    content = Content.styled(text, "$text-error" if error else "$text-muted")
    return look.padded(look.content(content, max(1, width - 2 * PAD)), width)


def _beside_qr(details: Content, qr: list[list[bool]], width: int, room: int,
               look: Look) -> list[Strip]:
    code = [qr_strip(line, no_color=look.no_color) for line in half_block_lines(qr)]
    code_width = len(qr[0])
    left = width - code_width - 1  # the code's margin
    text = look.content(details, left) if left > 0 else []
    if left <= 0 or max(len(text), len(code)) + HISTORY_START > room:
        return look.content(details, width)
    gap = look.blank(1)
    return [Strip.join([(text[i] if i < len(text) else look.blank(left)).crop_extend(0, left, look.rich_base),
                        gap, code[i] if i < len(code) else look.blank(code_width)])
            for i in range(max(len(text), len(code)))]
