"""Every typed key, in the order typed, goes where the keys before it sent the user.

Textual hands a key to the focused widget through message queues: the binding it sets off
runs only once the key has travelled up from that widget to the app, and a screen that
binding opens is composed, mounted and focused later still. Keys that come in a burst (a
barcode scanner, a paste, `tmux send-keys`, a fast typist) overtook all that: the digits
after `l` reached the order table before the lookup dialog existed and were lost, and in
`/wojcik` the `w` reached the table before the filter had the focus, and opened the sweep.

So the app lets one typed key (or paste) through at a time. The next one waits until the
one before has gone its whole way: through the focused widget and its parents up to the
app's bindings and what they queued (a change of focus), and, if it opened, closed or
switched a screen, until that screen is mounted and focused. A screen may also hold the
keys while it finishes what a key started (the lookup, until the student is shown).
Waiting is bounded: keys are never stuck behind something that does not finish.
"""
from __future__ import annotations

from collections import deque
from typing import Any

from textual import events
from textual.app import App, ReturnType
from textual.message import Message
from textual.timer import Timer

KEY_AT_MOST = 1.0  # seconds a key's way may take before the next key goes anyway
SCREEN_AT_MOST = 3.0  # ... and a screen being opened, or a screen's own hold


class KeyPassed(Message):
    """Sent along a typed key's way, right behind it: once here, the key has gone by."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


class Hold:
    """Keys wait while one of these is held (see TypeAhead.hold_keys)."""

    def __init__(self, why: str) -> None:
        self.why = why
        self.timer: Timer | None = None


class TypeAhead(App[ReturnType]):
    """Mixed into the app: typed keys are handed on one at a time (see above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._typed: deque[events.Key | events.Paste] = deque()
        self._serial = 0
        self._in_flight: int | None = None  # the key on its way now
        self._in_flight_timer: Timer | None = None
        self._holds: set[Hold] = set()

    def key_typed(self) -> None:
        """A key (or a paste) came from the terminal (for the app to know the clerk is busy)."""

    # -- holding --------------------------------------------------------------------------
    def hold_keys(self, why: str, *, at_most: float = SCREEN_AT_MOST) -> Hold:
        """Keys typed from now on wait (in order) until `release_keys` or `at_most` seconds."""
        hold = Hold(why)
        self._holds.add(hold)
        hold.timer = self.set_timer(at_most, lambda: self.release_keys(hold))
        return hold

    async def release_keys(self, hold: Hold) -> None:
        if hold not in self._holds:
            return
        self._holds.discard(hold)
        if hold.timer is not None:
            hold.timer.stop()
        await self._pass_keys()

    def _until_shown(self, why: str) -> None:
        """Hold the keys until the screen now on top is mounted, has processed its resume
        (the auto-focus) and the focus its mounting asked for (queued on the app) is set."""
        hold = self.hold_keys(why)
        self._key_done()  # this key's way ends here: the keys after it go to the new screen
        screen = self.screen
        if not screen.call_later(self.call_later, self.release_keys, hold):
            self.call_later(self.release_keys, hold)  # not running: nothing to wait for

    # -- the screens change -----------------------------------------------------------------
    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        result = super().push_screen(screen, *args, **kwargs)
        self._until_shown(f"open {screen!r}")
        return result

    def switch_screen(self, screen: Any) -> Any:
        result = super().switch_screen(screen)
        self._until_shown(f"switch to {screen!r}")
        return result

    def pop_screen(self) -> Any:
        result = super().pop_screen()
        self._until_shown("close")
        return result

    # -- the keys -----------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self.key_typed()
            self._typed.append(event)
            await self._pass_keys()
            return
        await super().on_event(event)

    async def _pass_keys(self) -> None:
        while self._typed and self._in_flight is None and not self._holds:
            event = self._typed.popleft()
            target = self.focused or self.screen  # where Textual sends it, unless a priority binding takes it
            self._serial += 1
            serial = self._in_flight = self._serial
            await super().on_event(event)
            if self._in_flight != serial:  # it changed the screen: that hold is in charge now
                continue
            if target.post_message(KeyPassed(serial)):
                self._in_flight_timer = self.set_timer(KEY_AT_MOST, lambda s=serial: self._key_passed(s))
            else:  # the widget is gone: nothing to wait for
                self._key_done()

    def on_key_passed(self, message: KeyPassed) -> None:
        message.stop()
        # One more turn of the app's queue: what the key's binding queued there (a change
        # of focus) comes first.
        self.call_later(self._key_passed, message.serial)

    async def _key_passed(self, serial: int) -> None:
        if self._in_flight == serial:
            self._key_done()
            await self._pass_keys()

    def _key_done(self) -> None:
        self._in_flight = None
        if self._in_flight_timer is not None:
            self._in_flight_timer.stop()
            self._in_flight_timer = None
