"""'Aktualizuj statusy zamówień' with a progress bar: the list behind it keeps updating,
Esc stops cleanly (services.mc_sync never leaves an order half-written)."""
from __future__ import annotations

import threading

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, ProgressBar, Static

from mleg_tui.domain.text import visible
from mleg_tui.screens.base import BaseModal, run_service, to_ui
from mleg_tui.services.types import RefreshProgress, RefreshSelection, RefreshSummary
from mleg_tui.widgets.fmt import literal, rich_literal

FAILURES_SHOWN = 20


class RefreshScreen(BaseModal[RefreshSummary | None]):
    BINDINGS = [
        Binding("escape", "stop", "Przerwij", id="refresh.stop",
                tooltip="Przerwij aktualizację (to, co już zapisano, zostaje)"),
        Binding("enter", "close", "Zamknij", id="refresh.close", tooltip="Zamknij podsumowanie"),
    ]

    def __init__(self, selection: RefreshSelection, what: str) -> None:
        super().__init__(classes="dialog bottom")
        self.selection = selection
        self.what = what
        self.cancel = threading.Event()
        self.running = True
        self.summary: RefreshSummary | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="refresh-box"):
            yield Label(literal(f"Aktualizacja statusów zamówień — {self.what}", newlines=False),
                        classes="dialog-title")
            yield ProgressBar(total=None, show_eta=False, id="refresh-bar")
            yield Static("Łączenie z systemem MC…", id="refresh-line")
            with VerticalScroll(id="refresh-summary"):
                yield Static("", id="refresh-text")
            yield Static("Esc: przerwij", id="refresh-hint", classes="dialog-note")

    def on_mount(self) -> None:
        self.query_one("#refresh-summary").display = False
        self._start()

    @property
    def bulk_job(self) -> str | None:
        """What is running, for the question before quitting (MlegApp.action_quit)."""
        return "aktualizacja statusów w MC" if self.running else None

    def stop_job(self) -> None:
        self.cancel.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return not self.running
        return True

    # -- the worker thread: the service call only; the UI is touched via call_from_thread --
    def _start(self) -> None:
        from mleg_tui.services.mc_sync import refresh

        show = to_ui(self, self._progress, closing=self.cancel.set)

        def report(p: RefreshProgress) -> None:
            show((p.done, p.total, p.line(), list(p.changed_ids)))  # a copy: the service goes on

        run_service(self, "refresh",
                    lambda ctx: refresh(ctx, self.selection, on_progress=report, cancel=self.cancel),
                    self._finished, self._failed)

    # -- the UI thread ----------------------------------------------------------------------
    def _progress(self, snapshot: tuple[int, int, str, list[int]]) -> None:
        done, total, line, changed = snapshot
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
        if not self.cancel.is_set():
            self.query_one("#refresh-line", Static).update(line)
        if changed:
            self.app.orders_changed.publish(changed)

    def _finished(self, summary: RefreshSummary) -> None:
        self.summary = summary
        bar = self.query_one(ProgressBar)
        bar.update(total=max(summary.total, 1), progress=summary.done)
        t = Text(summary.text())
        if summary.failures:
            t.append(f"\nNie udało się ({len(summary.failures)}):", "bold")
            for f in summary.failures[:FAILURES_SHOWN]:
                t.append(f"\n  {visible(str(f))}")  # MC's words
            if len(summary.failures) > FAILURES_SHOWN:
                t.append(f"\n  … i {len(summary.failures) - FAILURES_SHOWN} więcej "
                         "(pełna lista: mleg-tui refresh)")
        self._end("Przerwano." if summary.cancelled else "Zakończono.", t,
                  hint="Enter lub Esc: zamknij · raport zapisano (r na liście zamówień)")
        if summary.changed:
            self.app.orders_changed.publish([])

    def _failed(self, text: str) -> None:
        self._end("Nie wykonano.", rich_literal(text, "bold"))

    def _end(self, line: str, text: Text, hint: str = "Enter lub Esc: zamknij") -> None:
        self.running = False
        self.query_one("#refresh-line", Static).update(line)
        self.query_one("#refresh-text", Static).update(text)
        self.query_one("#refresh-summary").display = True
        self.query_one("#refresh-hint", Static).update(hint)
        self.refresh_bindings()

    # -- keys -------------------------------------------------------------------------------
    def action_stop(self) -> None:
        if self.running:
            self.cancel.set()
            self.query_one("#refresh-line", Static).update(
                "Przerywanie… (kończę zapis tego, co już przyszło z MC)")
        else:
            self.dismiss(self.summary)

    def action_close(self) -> None:
        if not self.running:
            self.dismiss(self.summary)
