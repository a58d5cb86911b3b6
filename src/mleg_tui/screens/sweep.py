"""The revocation sweep from the keyboard: first a dry run listing who would lose the card
and why (nothing changes), then, confirmed, the run itself with progress and a summary."""
from __future__ import annotations

import threading

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, ProgressBar, Static

from mleg_tui.domain.rules import LOSS
from mleg_tui.domain.text import visible
from mleg_tui.screens.base import BaseScreen, run_service, to_ui
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.types import SweepItem, SweepSummary
from mleg_tui.widgets.fmt import literal, orders, rich_literal
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.textual_pl import Header

SHOWN = 2000  # a preview longer than this is a sign to use `mleg-tui sweep --dry-run`


class SweepScreen(BaseScreen):
    PERMISSIONS = {"run": Permission.SWEEP}
    BINDINGS = [
        Binding("escape", "back", "Wróć", id="sweep.back",
                tooltip="Wróć do listy (albo przerwij działający skrypt)"),
        Binding("q", "back", "Wróć", id="sweep.back_q", show=False,
                tooltip="Wróć do listy (albo przerwij działający skrypt)"),
        Binding("t", "run", "Uruchom", id="sweep.run",
                tooltip="Uruchom skrypt unieważniający dla osób z listy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[SweepItem] | None = None
        self.done: SweepSummary | None = None  # the run's outcome, once it has run
        self._done_items: list[SweepItem] = []
        self.running = False
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Podgląd: nic jeszcze nie zmieniono. Wczytywanie…", id="sweep-intro")
        yield DataTable(id="sweep-items", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sweep-detail")
        yield ProgressBar(total=None, show_eta=False, id="sweep-bar")
        yield Static("", id="sweep-result")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = "Skrypt unieważniający"
        self.query_one("#sweep-bar").display = False
        table = self.query_one(DataTable)
        table.add_columns("Zamówienie", "Osoba", "Nr albumu", "Status", "Powód")
        table.focus()
        self.load()

    def load(self) -> None:
        def job(ctx: Context) -> list[SweepItem]:
            from mleg_tui.services.sweep import preview

            return preview(ctx)

        run_service(self, "preview", job, self._previewed, self._intro)

    def _intro(self, text: str) -> None:
        self.query_one("#sweep-intro", Static).update(literal(text))  # an error may quote data

    def _previewed(self, items: list[SweepItem]) -> None:
        self.items = items
        table = self.query_one(DataTable)
        table.clear()
        for i in items[:SHOWN]:
            # "utrata uprawnień" is every row's: the column shows what differs.
            # Cells as Text: a string cell would be read as markup.
            table.add_row(i.order_ref, Text(visible(i.person)), Text(visible(i.album)), i.status.label,
                          Text(visible(i.reason.removeprefix(LOSS))))
        if not items:
            self._intro("Podgląd: nikt nie stracił uprawnień — skrypt nie ma czego unieważnić.")
        else:
            more = f" (pokazano {SHOWN})" if len(items) > SHOWN else ""
            self._intro(f"Podgląd (nic jeszcze nie zmieniono): skrypt unieważniłby "
                        f"{orders(len(items))}{more}. Powód trafi do historii każdego.")
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The reason is the point of the preview and too long for 80 columns: in full here.
        items = self._done_items if self.done else self.items or []
        if 0 <= event.cursor_row < len(items):
            i = items[event.cursor_row]
            self.query_one("#sweep-detail", Static).update(
                Text.assemble((visible(f"{i.person} ({i.album or 'bez albumu'}): "), "bold"), visible(i.reason)))

    @property
    def bulk_job(self) -> str | None:
        """What is running, for the question before quitting (MlegApp.action_quit)."""
        return "skrypt unieważniający" if self.running else None

    def stop_job(self) -> None:
        self.cancel.set()

    def action_state(self, action: str) -> bool | None:
        if action == "run":
            if self.done is not None:
                return False  # it has run: its outcome is on screen (w again for a new preview)
            return (bool(self.items) and not self.running) or None
        return True

    def action_back(self) -> None:
        if self.running:
            self.cancel.set()
            self._result("Przerywanie…")
        else:
            self.dismiss(None)

    def action_run(self) -> None:
        from mleg_tui.screens.confirm import ConfirmDialog

        n = len(self.items or [])
        dialog = ConfirmDialog("Uruchomić skrypt unieważniający?",
                               f"Unieważni {orders(n)} osób, które straciły uprawnienia, "
                               "każde z powodem z listy. Zamówienia przekazane do MC "
                               "poczekają na jego potwierdzenie.", "Uruchom")
        self.app.push_screen(dialog, callback=self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        self.running = True
        self.cancel.clear()
        bar = self.query_one("#sweep-bar", ProgressBar)
        bar.display = True
        bar.update(total=len(self.items or []) or None, progress=0)
        self._result("Skrypt działa… (Esc: przerwij)")
        self.refresh_bindings()
        from mleg_tui.services.sweep import run_sweep

        show = to_ui(self, self._progress, closing=self.cancel.set)
        run_service(self, "sweep",
                    lambda ctx: run_sweep(ctx, cancel=self.cancel,
                                          on_progress=lambda n, total: show((n, total))),
                    self._done, self._done)

    def _progress(self, step: tuple[int, int]) -> None:
        n, total = step
        self.query_one("#sweep-bar", ProgressBar).update(total=max(total, 1), progress=n)

    def _result(self, text: str | Text) -> None:
        result = self.query_one("#sweep-result", Static)
        result.update(text)
        result.add_class("-shown")

    def _done(self, outcome: SweepSummary | str) -> None:
        self.running = False
        self.query_one("#sweep-bar").display = False
        if isinstance(outcome, str):
            self._result(rich_literal(outcome, "bold"))
            self.load()  # what is left to revoke, if anything
            return
        head = outcome.text().splitlines()[0]
        extra = "\n".join(f"  {f}" for f in outcome.failures[:10])
        self._result(rich_literal(head + ("\nBłędy:\n" + extra if extra else "")))
        self._show_outcomes(outcome)

    def _show_outcomes(self, summary: SweepSummary) -> None:
        """What the run did stays on screen, order by order (and in its report: r on the
        order list, `mleg-tui runs`); a new preview only when the sweep is opened again."""
        self.done = summary
        self.items = []  # nothing to run again from here
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns("Zamówienie", "Osoba", "Nr albumu", "Wynik", "Powód")
        for i in summary.items[:SHOWN]:
            table.add_row(i.order_ref, Text(visible(i.person)), Text(visible(i.album)),
                          summary.outcome_text(i.order_id) or "nie wykonano: przerwano wcześniej",
                          Text(visible(i.reason.removeprefix(LOSS))))
        self._done_items = summary.items
        self._intro("Wynik uruchomienia (raport zapisano: r na liście zamówień, mleg-tui runs). "
                    "Esc: wróć do listy.")
        self.refresh_bindings()
