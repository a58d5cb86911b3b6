"""How soon the screen shows a change: Textual draws at most MAX_FPS frames a second (60 by
default), a change waiting for the next one. Keys that came among the frames after the store
opened (the count, the pane's student, rows) waited 20-35 ms for theirs; at 240 a second,
at most 4 ms (page-down p95 38 -> 17 ms at 1M orders, measured in a real terminal). A frame
is drawn only when something changed, so an idle screen costs nothing more.

Set before Textual is imported (it fixes the period then); TEXTUAL_FPS set by whoever runs
the program wins.
"""
from __future__ import annotations

import os

FRAMES_PER_SECOND = 240


def quick_frames() -> None:
    os.environ.setdefault("TEXTUAL_FPS", str(FRAMES_PER_SECOND))
