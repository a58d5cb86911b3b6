"""A QR code drawn with half blocks: two modules per cell, so it fits a terminal.

Scanners need dark modules on a light ground and a quiet zone around: the colours
are fixed black and white, whatever the theme, and the quiet zone is drawn light as part
of the block (a dark terminal around it is no quiet zone). It is 2 modules, not the 4
the standard asks of print: phone scanners commonly read a code on a screen with 2, and
so a version-2 code (up to 32 characters: MC's example, the demo's) is 29 cells by 15
rows. Under NO_COLOR there are no colours at all, so the modules become glyphs (▀ ▄ █)
in reverse video: the terminal's own light foreground is the paper and its dark
background the ink.
"""
from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

QUIET_ZONE = 2  # modules (see above)
BLACK, WHITE = "#000000", "#ffffff"
_STYLES = {
    (True, True): Style(color=BLACK, bgcolor=BLACK),
    (True, False): Style(color=BLACK, bgcolor=WHITE),
    (False, True): Style(color=WHITE, bgcolor=BLACK),
    (False, False): Style(color=WHITE, bgcolor=WHITE),
}
_GLYPHS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
_REVERSE = Style(reverse=True)


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of `data`'s QR code, quiet zone included (True = dark).

    qrcode is imported here, on first use; callers run this in a worker thread.
    """
    import qrcode
    from qrcode.constants import ERROR_CORRECT_L

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_L, box_size=1, border=QUIET_ZONE)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def half_block_lines(matrix: list[list[bool]]) -> list[list[tuple[bool, bool]]]:
    """Pairs of (top, bottom) modules per cell; an odd last row gets a light bottom."""
    rows = matrix + ([[False] * len(matrix[0])] if len(matrix) % 2 else [])
    return [list(zip(rows[i], rows[i + 1])) for i in range(0, len(rows), 2)]


class QRView(Widget):
    DEFAULT_CSS = """
    QRView { width: auto; height: auto; }
    """

    def __init__(self, matrix: list[list[bool]], **kw: Any) -> None:
        super().__init__(**kw)
        self._lines = half_block_lines(matrix) if matrix else []

    def get_content_width(self, container: object, viewport: object) -> int:
        return len(self._lines[0]) if self._lines else 0

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        if y >= len(self._lines):
            return Strip.blank(self.size.width)
        return qr_strip(self._lines[y], no_color=self.app.no_color)


def qr_strip(line: list[tuple[bool, bool]], *, no_color: bool) -> Strip:
    """One row of cells of the code (see half_block_lines)."""
    if no_color:
        return Strip([Segment("".join(_GLYPHS[p] for p in line), _REVERSE)])
    return Strip([Segment("▀", _STYLES[pair]) for pair in line]).simplify()
