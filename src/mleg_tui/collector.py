"""The garbage collector of the TUI: paused while the app starts, and its full collections
kept for the moments the clerk rests.

Starting allocates a few hundred thousand objects that live as long as the program
(Textual, the screens, then SQLAlchemy and SQLModel). The collector would walk them over
and over (60-70 ms before the first screen), so it is off until the store is open and the
first lookup's modules are loaded (warm_up), and what exists then is frozen.

After that, what Textual keeps on screen grows into the oldest generation (each drawn line
holds seven small caches of its own): 100-150 thousand objects within minutes of use, and a
full collection over them took 60-130 ms, in the middle of a keystroke's frame (the filter,
the lookup: their slowest cases were these). So the oldest generation is never collected
on its own: `tick` collects it once nothing has been typed for REST seconds, and, should
someone type without a rest for long, at the latest after FULL_AT_MOST younger collections.
The young generations are collected as usual (under 3 ms each).
"""
from __future__ import annotations

import gc
import importlib
import time

PAUSE_AT_MOST = 10.0  # seconds, should the store not open
WARM_UP = ("mleg_tui.services.students", "mleg_tui.screens.lookup", "qrcode")
TICK = 0.5  # seconds between looks at whether the clerk rests
REST = 1.0  # seconds without a key: a full collection may run now
FULL_AFTER = 10  # younger collections since the last full one (the interpreter's own default)
FULL_AT_MOST = 200  # ... and without a rest: collected even while typing
NEVER_ON_ITS_OWN = 1 << 30  # the oldest generation's threshold: it is collected only by tick


class Collector:
    def __init__(self) -> None:
        self._paused = False
        self._thresholds: tuple[int, int, int] | None = None  # as found: restored at the end
        self._last_key = time.monotonic()

    def pause(self) -> bool:
        """As the app loads. True if it paused the collector: then `resume` it, at the
        latest after PAUSE_AT_MOST seconds."""
        if gc.isenabled():
            gc.disable()
            self._paused = True
        return self._paused

    def resume(self) -> None:
        """Freeze what exists now, and collect again, the oldest generation only in `tick`."""
        if self._paused:
            self._paused = False
            gc.freeze()
            t0, t1, _ = self._thresholds = gc.get_threshold()
            gc.set_threshold(t0, t1, NEVER_ON_ITS_OWN)
            gc.enable()

    def typed(self) -> None:
        """A key (or a paste) came: no full collection until the clerk rests."""
        self._last_key = time.monotonic()

    def tick(self) -> bool:
        """Every TICK seconds: a full collection if it is due and the clerk rests (or it is
        long overdue). True if it ran."""
        if self._thresholds is None or not gc.isenabled():
            return False
        young = gc.get_count()[2]  # younger collections since the last full one
        rests = time.monotonic() - self._last_key >= REST
        if young >= FULL_AT_MOST or (young >= FULL_AFTER and rests):
            gc.collect()
            return True
        return False

    def end(self) -> None:
        """As the app ends: another app in this process (tests) must not keep this one's
        objects, nor its thresholds."""
        if self._paused:
            self._paused = False
            gc.enable()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        gc.unfreeze()


def warm_up() -> None:
    """While the clerk reads the first screen (a worker thread): load what the first album
    lookup needs, so that it is as quick as the ones after it."""
    for name in WARM_UP:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part: it will say so when used
            pass
