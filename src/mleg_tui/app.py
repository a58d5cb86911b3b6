"""The Textual app: the orders screen first, global keys, the command palette, roles.

The first frame comes before any store work, and the first rows before SQLAlchemy and
SQLModel are imported (services.order_rows reads them with the database driver alone): the
store is opened by the first worker that needs it, and screens import services inside workers.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.content import Content
from textual.driver import Driver
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal

from mleg_tui import give_way
from mleg_tui.collector import PAUSE_AT_MOST, TICK, Collector, warm_up
from mleg_tui.domain.text import visible
from mleg_tui.typeahead import TypeAhead

if TYPE_CHECKING:
    from mleg_tui.config import Settings
    from mleg_tui.screens.student import Found
    from mleg_tui.services.context import Context, Permission
    from mleg_tui.services.order_rows import ReadAside

KEY_NAMES = {"space": "spacja", "escape": "Esc", "enter": "Enter", "pageup": "PgUp",
             "pagedown": "PgDn", "home": "Home", "end": "End", "tab": "Tab"}


class MlegApp(TypeAhead[int]):
    CSS_PATH = "app.tcss"
    TITLE = "Zamówienia mLegitymacji"
    BINDINGS = [
        Binding("l", "lookup", "Znajdź", id="lookup",
                tooltip="Znajdź studenta: album, nazwisko, PESEL, nr zamówienia, kod QR"),
        Binding("ctrl+f", "lookup", "Znajdź", id="lookup_anywhere", show=False, priority=True,
                tooltip="Znajdź studenta (także z pola tekstowego)"),
        Binding("question_mark", "help", "Pomoc", id="help",
                tooltip="Pomoc: klawisze, statusy i powody"),
        Binding("f1", "help", "Pomoc", id="help_f1", show=False,
                tooltip="Pomoc: klawisze, statusy i powody"),
        Binding("colon", "command_palette", "Polecenia", id="palette", show=False,
                tooltip="Lista poleceń"),
        Binding("ctrl+p", "command_palette", "Polecenia", id="palette_anywhere", show=False,
                priority=True, tooltip="Lista poleceń"),
        Binding("q", "quit", "Wyjście", id="quit", tooltip="Zakończ program"),
        Binding("ctrl+q", "quit", "Wyjście", id="quit_anywhere", show=False, priority=True,
                tooltip="Zakończ program"),
    ]

    def __init__(self, settings: Settings, *, first_aside: ReadAside | None = None, **kw: Any) -> None:
        from mleg_tui.services.context import login_of

        super().__init__(**kw)
        self.settings = settings
        self.login = login_of(settings)
        self.first_aside = first_aside  # the start list's first rows, on their way (order_rows)
        self._ctx: Context | None = None
        self._ctx_lock = threading.Lock()
        self._gc = Collector()
        self.sub_title = self.login
        # Orders changed in the store (a refresh running): their ids, or [] for "some".
        self.orders_changed: Signal[list[int]] = Signal(self, "orders-changed")

    # -- the garbage collector (collector.py) ------------------------------------------------
    def on_load(self) -> None:
        if self._gc.pause():
            self.set_timer(PAUSE_AT_MOST, self._gc.resume)
        self.set_interval(TICK, self._gc.tick)

    def key_typed(self) -> None:
        self._gc.typed()
        give_way.busy()

    def get_driver_class(self) -> type[Driver]:
        base = super().get_driver_class()

        class KeysFirst(base):  # type: ignore[valid-type, misc]
            """Textual's driver for this terminal. Its input thread tells background work
            to give way as a key comes in, not once the event loop gets to it: a key that
            came during a frame waited behind it 25 ms with the store's import running."""

            def process_message(self, message: Message) -> None:
                if isinstance(message, (events.Key, events.Paste)):
                    give_way.busy()
                super().process_message(message)

        return cast("type[Driver]", KeysFirst)

    def __rich_repr__(self) -> Any:
        # Textual's own asks every theme for its pseudo-classes, and every timer set on the
        # app takes a repr of it: 1-2 ms for each key typed.
        yield "title", self.title

    def _warm_up(self) -> None:
        """A worker, once the store is open: then the collector resumes."""
        with give_way.giving_way():  # as the store's own imports (see give_way)
            warm_up()
        try:
            self.call_from_thread(self._gc.resume)
        except RuntimeError:  # the app is closing
            pass

    def on_unmount(self) -> None:
        self._gc.end()
        if self.first_aside is not None:
            self.first_aside.drop()

    # -- the store and who is acting ----------------------------------------------------
    def context(self) -> Context:
        """The service context, opened on first use. Called from worker threads only."""
        with self._ctx_lock:
            if self._ctx is None:
                from mleg_tui.services.context import open_context

                # The TUI only reads until someone acts: it never makes a store (it says
                # there is none, and how to make one).
                if threading.get_ident() == self._thread_id:
                    self._ctx = open_context(self.settings, create=False)
                    self._context_ready()
                else:
                    with give_way.giving_way():  # its 300 ms of imports wait for the keys
                        self._ctx = open_context(self.settings, create=False)
                    # Its title, keys and the jobs that waited for it (the count, rows,
                    # the pane's student) land in a rest, not in the middle of a key.
                    give_way.rest()
                    self.call_from_thread(self._context_ready)
            return self._ctx

    @property
    def ctx(self) -> Context | None:
        return self._ctx

    def can(self, permission: Permission) -> bool:
        ctx = self._ctx
        if ctx is None:  # until we know who this is, nothing that changes data exists
            return False
        return ctx.can(permission)

    def _context_ready(self) -> None:
        from mleg_tui.keymap import unknown_ids
        from mleg_tui.services.context import ROLE_LABELS

        if not self.screen_stack:  # it opened as the app was closing
            return
        self.run_worker(self._warm_up, thread=True, group="warm-up", exit_on_error=False)
        ctx = self._ctx
        assert ctx is not None
        role = ROLE_LABELS[ctx.role]
        self.sub_title = f"{ctx.login} · {role}" + (" (tylko podgląd)" if self.settings.read_only else "")
        self.refresh_bindings()
        for screen in self.screen_stack:
            screen.refresh_bindings()
        for warning in ctx.warnings:  # told, never in the way: the work goes on
            self.notify(warning, title="Uwaga", severity="warning", timeout=30)
        unknown = unknown_ids(self.settings.keymap) if self.settings.keymap else []
        if unknown:
            self.notify("Nieznane polecenia w sekcji [keymap]: " + ", ".join(unknown),
                        severity="warning", timeout=10)

    # -- text on screen -------------------------------------------------------------------
    # Notifications and titles quote data (names, MC's messages, what was typed, the
    # login): always as text, never markup, no control character raw.
    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        super().notify(visible(message, newlines=True), title=visible(title), severity=severity,
                       timeout=timeout, markup=False)

    def format_title(self, title: str, sub_title: str) -> Content:
        return super().format_title(visible(title), visible(sub_title))

    # -- screens ------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        from mleg_tui.screens.orders import OrdersScreen

        return OrdersScreen()

    def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        # The store is opened by the first worker that needs it: the orders screen's count,
        # once its first rows (read without SQLAlchemy) are on screen, or any earlier action.

    def action_lookup(self) -> None:
        from mleg_tui.screens.lookup import LookupScreen

        self.push_screen(LookupScreen(), callback=self.show_student)

    def show_student(self, found: Found | None) -> None:
        if not found:
            return
        from mleg_tui.screens.lookup import LookupScreen
        from mleg_tui.screens.student import StudentScreen

        view, qr = found
        screen = StudentScreen(view=view, qr=qr)
        if isinstance(self.screen, (StudentScreen, LookupScreen)):
            self.switch_screen(screen)  # one student at a time; the prompt gives way to it
        else:
            self.push_screen(screen)

    def action_help(self) -> None:
        from mleg_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.key_rows(self.screen), self.screen.title or self.title))

    def key_rows(self, screen: Screen[Any]) -> list[tuple[str, str, str]]:
        """(keys, what it does, binding ids for [keymap]) for every action the user may
        use on `screen`."""
        rows: dict[str, tuple[list[str], str, list[str]]] = {}
        for active in screen.active_bindings.values():
            b = active.binding
            text = b.tooltip or b.description
            if not text or not b.id:  # Textual's own (English) bindings stay out
                continue
            keys, _, ids = rows.setdefault(b.action, ([], text, []))
            key = self.get_key_display(b)
            if key not in keys:
                keys.append(key)
            if b.id not in ids:
                ids.append(b.id)
        return [(", ".join(keys), text, ", ".join(ids)) for keys, text, ids in rows.values()]

    # -- keys and the command palette ---------------------------------------------------
    def get_key_display(self, binding: Binding) -> str:
        """As the README and a keyboard write keys: Ctrl+Q, F1, Esc, spacja (Textual: ^q, f1)."""
        if binding.key_display:
            return binding.key_display
        key = binding.key
        if key in KEY_NAMES:
            return KEY_NAMES[key]
        if key.startswith("ctrl+") and len(key) == 6:
            return f"Ctrl+{key[5].upper()}"
        if len(key) in (2, 3) and key[0] == "f" and key[1:].isdigit():
            return key.upper()
        return super().get_key_display(binding)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(cast("App[object]", self)):
            from mleg_tui.widgets.textual_pl import Palette

            self.push_screen(Palette(placeholder="Szukaj polecenia…", id="--command-palette"))

    def action_help_quit(self) -> None:
        """Ctrl+C (Textual's binding, instead of its English notice): how to quit."""
        keys = {self.get_key_display(a.binding) for a in self.active_bindings.values()
                if a.binding.action in ("quit", "app.quit")}
        if keys:
            self.notify(f"Aby zakończyć program, naciśnij {' albo '.join(sorted(keys, key=len))}.",
                        title="Zakończyć?")

    # -- quitting -------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quit; while a bulk job runs (a refresh, the sweep), ask first. Asked again
        (q or Ctrl+Q in the question): quit."""
        from mleg_tui.screens.confirm import ConfirmDialog

        # RefreshScreen, SweepScreen: `bulk_job` says what runs, `stop_job` stops it.
        jobs: list[Any] = [s for s in self.screen_stack if getattr(s, "bulk_job", None)]
        if not jobs or getattr(self.screen, "quit_question", False):
            for screen in jobs:
                screen.stop_job()
            self.exit()
            return
        running = ", ".join(s.bulk_job for s in jobs)

        def answered(yes: bool | None) -> None:
            if yes:
                for screen in jobs:
                    screen.stop_job()
                self.exit()

        dialog = ConfirmDialog("Zakończyć program?",
                               f"Trwa: {running}. Zakończenie przerwie ją; to, co już zapisano, "
                               "zostaje.", "Przerwij i zakończ", back="Wróć")
        dialog.quit_question = True
        self.push_screen(dialog, callback=answered)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette offers exactly the actions this user may use on this screen."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            b = active.binding
            if not active.enabled or b.action in seen or b.action == "command_palette":
                continue
            if not (b.tooltip or b.description) or not b.id:
                continue
            seen.add(b.action)
            yield SystemCommand(b.tooltip or b.description, f"klawisz: {self.get_key_display(b)}",
                                partial(self._run_from_palette, b.action, active.node))

    async def _run_from_palette(self, action: str, node: Any) -> None:
        await self.run_action(action, node)


def run_app(settings: Settings, *, first_aside: ReadAside | None = None) -> int:
    app = MlegApp(settings, first_aside=first_aside)
    result = app.run()
    return int(result or app.return_code or 0)
