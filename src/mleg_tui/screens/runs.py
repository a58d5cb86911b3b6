"""Reports of refresh and sweep runs (r on the order list): the runs newest first, and the
report of the one under the cursor in full below: who, when, how long, the counts, each
revoked order with the student and the reason, each failure with why."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from mleg_tui.domain.dates import pl_datetime
from mleg_tui.domain.text import visible
from mleg_tui.screens.base import BaseScreen, run_service
from mleg_tui.services.context import Context
from mleg_tui.services.report_types import RunReport, RunView
from mleg_tui.widgets.fmt import literal
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.textual_pl import Header

SHOWN = 500  # runs listed: more than a year of a daily cron; older ones: mleg-tui runs --limit 0


class RunsScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "Wróć", id="runs.back", tooltip="Wróć do listy zamówień"),
        Binding("q", "back", "Wróć", id="runs.back_q", show=False, tooltip="Wróć do listy zamówień"),
        Binding("tab", "switch", "Raport/lista", id="runs.switch",
                tooltip="Przejdź między listą uruchomień a raportem (przewijanie strzałkami)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunView] = []
        self.report: RunReport | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Wczytywanie raportów…", id="runs-intro")
        yield DataTable(id="runs-list", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="runs-report"):
            yield Static("", id="runs-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = "Raporty aktualizacji i skryptu unieważniającego"
        table = self.query_one(DataTable)
        table.add_columns("Nr", "Początek", "Rodzaj", "Kto", "Stan", "Wynik")
        table.focus()

        def job(ctx: Context) -> list[RunView]:
            from mleg_tui.services.runs import list_runs

            return list_runs(ctx, limit=SHOWN)

        run_service(self, "runs", job, self._listed, self._intro)

    def _intro(self, text: str) -> None:
        self.query_one("#runs-intro", Static).update(literal(text))

    def _listed(self, runs: list[RunView]) -> None:
        self.runs = runs
        table = self.query_one(DataTable)
        table.clear()
        for r in runs:
            # Cells as Text: a string cell would be read as markup (a login is data).
            table.add_row(str(r.id), pl_datetime(r.started_at), r.kind.label, Text(visible(r.actor)),
                          r.state.short_label, r.counts(), key=str(r.id))
        if not runs:
            self._intro("Brak raportów: żadna aktualizacja statusów (u, U) ani skrypt unieważniający (w) "
                        "nie działały jeszcze na tej bazie.")
        else:
            more = f" (pokazano {SHOWN} najnowszych; wszystkie: mleg-tui runs --limit 0)" if len(runs) >= SHOWN else ""
            self._intro(f"Uruchomienia, najnowsze pierwsze: {len(runs)}{more}. Raport bieżącego poniżej.")
            self._show(runs[0].id)  # the newest at once, not waiting for the cursor's event

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.runs):
            self._show(self.runs[event.cursor_row].id)

    def _show(self, run_id: int) -> None:
        if self.report is not None and self.report.run.id == run_id:
            return

        def job(ctx: Context) -> RunReport:
            from mleg_tui.services.runs import run_report

            return run_report(ctx, run_id)

        run_service(self, "report", job, self._reported, self._report_failed)

    def _reported(self, report: RunReport) -> None:
        self.report = report
        head, *rest = report.text().splitlines()
        text = Text(visible(head), style="bold")
        for line in rest:
            text.append("\n" + visible(line))  # names, reasons and MC's words are data
        self.query_one("#runs-text", Static).update(text)
        self.query_one("#runs-report", VerticalScroll).scroll_home(animate=False)

    def _report_failed(self, text: str) -> None:
        self.query_one("#runs-text", Static).update(literal(text))

    def action_switch(self) -> None:
        table, report = self.query_one(DataTable), self.query_one("#runs-report", VerticalScroll)
        (report if table.has_focus else table).focus()

    def action_back(self) -> None:
        self.dismiss(None)
