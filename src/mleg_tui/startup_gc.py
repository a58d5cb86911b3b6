"""The garbage collector while the app starts: paused, then what starting made is frozen.

Starting allocates a few hundred thousand objects that live as long as the program
(Textual, the screens, then SQLAlchemy and SQLModel). The collector would walk them over
and over (60-70 ms before the first screen; full collections of 100 ms and more later,
while the clerk types). So it is off until the store is open and the first lookup's modules
are loaded (warm_up), and what exists then is frozen: later collections look only at what
came after.
"""
from __future__ import annotations

import gc
import importlib

PAUSE_AT_MOST = 10.0  # seconds, should the store not open
WARM_UP = ("mleg_tui.services.students", "mleg_tui.screens.lookup", "qrcode")


class StartupCollector:
    def __init__(self) -> None:
        self._paused = False

    def pause(self) -> bool:
        """As the app loads. True if it paused the collector: then `resume` it, at the
        latest after PAUSE_AT_MOST seconds."""
        if gc.isenabled():
            gc.disable()
            self._paused = True
        return self._paused

    def resume(self) -> None:
        """Freeze what exists now, and collect again (once)."""
        if self._paused:
            self._paused = False
            gc.freeze()
            gc.enable()

    def end(self) -> None:
        """As the app ends: another app in this process (tests) must not keep this one's objects."""
        if self._paused:
            self._paused = False
            gc.enable()
        gc.unfreeze()


def warm_up() -> None:
    """While the clerk reads the first screen (a worker thread): load what the first album
    lookup needs, so that it is as quick as the ones after it."""
    for name in WARM_UP:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part: it will say so when used
            pass
