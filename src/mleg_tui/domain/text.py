"""Text from data (the register, MC, what staff type) made safe to put on a terminal or
into a spreadsheet, by the TUI and the CLI alike.

A terminal obeys control characters: ESC starts sequences that clear the screen or (OSC
52) write the clipboard, CR and backspace move the cursor, C1 codes are 8-bit ESCs, and
bidi overrides reorder what is shown. So none of them is ever printed: each is replaced
by a visible mark of one character (the string keeps its length), C0 ones by their
Unicode control picture (ESC shows as ␛, LF as ␊), the rest by U+FFFD (�).
"""
from __future__ import annotations

import re

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_MARKS: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20)}  # ␀ .. ␟
_MARKS[0x7F] = "\u2421"  # ␡
_MARKS.update({c: "\ufffd" for c in (*range(0x80, 0xA0), *_BIDI, 0x2028, 0x2029)})
_UNSAFE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_MARKS)) + "]")
_UNSAFE_IN_LINES = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_MARKS) if c != 0x0A) + "]")


def visible(text: str, *, newlines: bool = False) -> str:
    """`text` with every control, C1 and bidi-control character shown as a mark.
    With `newlines`, line feeds stay (a message of several lines, not one field)."""
    return (_UNSAFE_IN_LINES if newlines else _UNSAFE).sub(_mark, text)


def _mark(m: re.Match[str]) -> str:
    return _MARKS[ord(m.group())]


def json_safe(dumped: str) -> str:
    """JSON text (from json.dumps) with no raw control character left: the ones JSON
    lets through unescaped (DEL, C1, bidi) become \\u escapes. The data read back is the
    same; only what a terminal would obey is gone."""
    return _UNSAFE_IN_LINES.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


# OWASP's advice on CSV injection: a cell starting with one of these is a formula to a
# spreadsheet, so it is prefixed with a single quote (and every cell is quoted).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A cell of an export: never a formula, never a control character."""
    return visible("'" + value if value.startswith(FORMULA_START) else value)
