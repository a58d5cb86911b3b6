"""What every screen shares: role checks on actions, and service calls in thread workers."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from textual import events, getters
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, get_current_worker

from mleg_tui import give_way
from mleg_tui.app import MlegApp
from mleg_tui.errors import MlegError, unexpected
from mleg_tui.services.context import Context, Permission, forbidden
from mleg_tui.services.interrupt import Interrupted

T = TypeVar("T")
V = TypeVar("V")
R = TypeVar("R")


class BaseScreen(Screen[Any]):
    """Actions named in PERMISSIONS do not exist (no key, no footer entry, no palette
    command) for a role without that permission; `action_state` may grey one out."""

    app = getters.app(MlegApp)
    PERMISSIONS: ClassVar[dict[str, Permission]] = {}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        perm = self.PERMISSIONS.get(action)
        if perm is not None and not self.app.can(perm):
            return False
        return self.action_state(action)

    def action_state(self, action: str) -> bool | None:
        return True

    def why_not(self, action: str) -> str | None:
        """Why a greyed-out action cannot act now, in the clerk's words (None: say nothing)."""
        return None

    def on_key(self, event: events.Key) -> None:
        # A greyed-out key would do nothing in silence: say why instead; so would the key
        # of an action this role lacks (it is no key at all). (Keys that act never get here
        # as disabled; typing into a field never reaches the screen.)
        active = self.active_bindings.get(event.key)
        if active is None:
            why = self._not_allowed(event.key)
        elif active.enabled or active.node is not self:
            return
        else:
            why = self.why_not(active.binding.action)
        if why:
            event.stop()
            event.prevent_default()
            self.notify(why, title="Nie można teraz", severity="warning", timeout=6)


    def _not_allowed(self, key: str) -> str | None:
        """Why this role may not do what `key` does on this screen (None: it is not such a key)."""
        ctx = self.app.ctx
        if ctx is None:  # who this is is not known yet
            return None
        for binding in self._bindings.key_to_bindings.get(key, []):
            perm = self.PERMISSIONS.get(binding.action)
            if perm is not None and not ctx.can(perm):
                return str(forbidden(ctx.settings, ctx.login, ctx.role, perm))
        return None


class BaseModal(ModalScreen[R]):
    """A dialog over another screen, in this app."""

    app = getters.app(MlegApp)


def run_service(
    node: BaseScreen | BaseModal[Any],
    group: str,
    job: Callable[[Context], T],
    done: Callable[[T], None],
    failed: Callable[[str], None] | None = None,
    *,
    exclusive: bool = True,
    background: bool = False,
) -> Worker[None]:
    """Run `job(ctx)` in a thread (the store is opened by the first job that needs it); see
    run_in_thread for what comes back. A `background` job (nobody waits for it this instant)
    first gives way to a key just typed (give_way.rest), then to each key that comes while
    it runs (give_way.giving_way)."""
    app = node.app

    def work() -> T:
        ctx = app.context()
        worker = get_current_worker()
        if background:
            give_way.rest(unless=lambda: worker.is_cancelled)
        # Jobs queue up behind the store's opening (a key at a time, the count, the pane):
        # one replaced meanwhile would only hold the GIL for a result nobody takes.
        if worker.is_cancelled:
            raise Interrupted
        if not background:
            return job(ctx)
        with give_way.giving_way():  # and gives way again to each key that comes meanwhile
            return job(ctx)

    return run_in_thread(node, group, work, done, failed, exclusive=exclusive)


def run_in_thread(
    node: BaseScreen | BaseModal[Any],
    group: str,
    work: Callable[[], T],
    done: Callable[[T], None],
    failed: Callable[[str], None] | None = None,
    *,
    exclusive: bool = True,
) -> Worker[None]:
    """Run `work()` in a thread; hand its result (or its error, as one line) back to the
    UI thread. Only the newest job of a group counts: older ones are cancelled (unless
    not `exclusive`); a job whose read was interrupted (services.interrupt) ends silently."""
    app = node.app
    on_error = failed or (lambda text: app.notify(text, severity="error", timeout=8))

    def back(fn: Callable[[V], None], value: V) -> None:
        if not get_current_worker().is_cancelled:
            to_ui(node, fn)(value)

    def run() -> None:
        try:
            result = work()
        except Interrupted:  # a newer read made this one pointless: nobody waits for it
            return
        except MlegError as e:
            back(on_error, str(e))
            return
        except Exception as e:  # noqa: BLE001 - a clerk gets one line, the log the rest
            back(on_error, unexpected(e))
            return
        back(done, result)

    return node.run_worker(run, name=group, group=group, thread=True, exclusive=exclusive,
                           exit_on_error=False)


def to_ui(node: BaseScreen | BaseModal[Any], fn: Callable[[V], None], *,
          closing: Callable[[], None] | None = None) -> Callable[[V], None]:
    """`fn` for a service's thread to call (a result, or progress while it works): each
    call runs `fn` on the UI thread. Once the app is closing, `closing` runs instead (say,
    to stop the service)."""
    app = node.app

    def call(value: V) -> None:
        try:
            app.call_from_thread(fn, value)
        except RuntimeError:  # the app is closing
            if closing is not None:
                closing()

    return call
