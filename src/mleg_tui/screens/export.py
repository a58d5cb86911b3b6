"""Export a list (the order list as filtered now, or another list) to CSV or JSON: format,
separator, file name, whole PESELs only for a role that may; a progress bar, Esc stops; the
file's name in a notification at the end. The export itself is services.export (traced)."""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, RadioButton, RadioSet, Static

from mleg_tui.domain.names import plural
from mleg_tui.screens.base import BaseModal, BaseScreen, run_service, to_ui
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.report_types import AuditQuery
from mleg_tui.services.types import ExportFormat, ExportOptions, ExportProgress, ExportResult
from mleg_tui.widgets.fmt import CONTROL_MARKS, literal

# Runs the export: (store, target file, options, progress, stop) -> what was written.
Exporter = Callable[[Context, Path, ExportOptions, Callable[[ExportProgress], None], threading.Event],
                    ExportResult]


def default_folder() -> Path:
    """The user's documents folder when there is one (XDG's, e.g. ~/Dokumenty), else home:
    over SSH on a server there is usually no documents folder."""
    import platformdirs

    docs = Path(platformdirs.user_documents_dir())
    return docs if docs.is_dir() else Path.home()


def default_name(stem: str, fmt: ExportFormat, now: dt.datetime) -> str:
    return f"{stem}-{now:%Y-%m-%d-%H%M}.{fmt}"


class ExportScreen(BaseModal[ExportResult | None]):
    AUTO_FOCUS = "#export-path"
    BINDINGS = [Binding("escape", "stop", "Anuluj", id="export.stop",
                        tooltip="Zamknij bez eksportu; w trakcie: przerwij (nie zostaje żaden plik)")]
    DEFAULT_CSS = """
    #export-box { height: auto; }
    #export-box RadioSet { layout: horizontal; border: none; height: auto; width: auto; padding: 0; }
    #export-box RadioButton { margin-right: 2; width: auto; }
    #export-box Checkbox { border: none; padding: 0; height: 1; }
    #export-box .export-row { height: auto; margin-top: 1; }
    #export-box .export-row Label { width: 12; }
    #export-box ProgressBar { margin: 1 0 0 0; }
    """

    def __init__(self, what: str, filter_text: str, total: int | None, stem: str, exporter: Exporter,
                 now: dt.datetime) -> None:
        super().__init__(classes="dialog")
        self.what, self.filter_text, self.total, self.stem = what, filter_text, total, stem
        self.exporter = exporter
        self.now = now
        self.folder = default_folder()
        self.cancel = threading.Event()
        self.running = False

    def compose(self) -> ComposeResult:
        count = f" ({plural(self.total, 'wiersz', 'wiersze', 'wierszy')})" if self.total is not None else ""
        with Vertical(classes="dialog-box", id="export-box"):
            yield Label(literal(f"Eksport: {self.what}{count}", newlines=False), classes="dialog-title")
            yield Static(literal(f"Filtr: {self.filter_text}"), classes="dialog-note")
            with Horizontal(classes="export-row"):
                yield Label("Format:")
                with RadioSet(id="export-format"):
                    yield RadioButton("CSV (arkusz)", value=True, id="fmt-csv")
                    yield RadioButton("JSON (programy)", id="fmt-json")
            with Horizontal(classes="export-row", id="export-sep-row"):
                yield Label("Separator:")
                with RadioSet(id="export-sep"):
                    yield RadioButton("; (polski Excel)", value=True, id="sep-semicolon")
                    yield RadioButton(", (inne programy)", id="sep-comma")
            yield Label("Plik:", classes="export-row")
            yield Input(str(self.folder / default_name(self.stem, "csv", self.now)), id="export-path",
                        highlighter=CONTROL_MARKS)
            if self.app.can(Permission.EXPORT_PESEL):
                yield Checkbox("Pełne numery PESEL (bez maski; eksport zapisany w dzienniku)", id="export-pesel")
            yield Checkbox("Zastąp istniejący plik", id="export-overwrite")
            yield ProgressBar(total=None, show_eta=False, id="export-bar")
            yield Static("", id="export-problem", classes="dialog-problem")
            yield Static("Każdy eksport zapisuje się w dzienniku dostępu (kto, co, ile wierszy).",
                         id="export-hint", classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Anuluj", id="cancel")
                yield Button("Eksportuj", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False

    @property
    def bulk_job(self) -> str | None:
        """What is running, for the question before quitting (MlegApp.action_quit)."""
        return "eksport" if self.running else None

    def stop_job(self) -> None:
        self.cancel.set()

    # -- the form -----------------------------------------------------------------------------
    @property
    def format(self) -> ExportFormat:
        return "json" if self.query_one("#fmt-json", RadioButton).value else "csv"

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self) -> None:
        fmt = self.format
        self.query_one("#export-sep-row").display = fmt == "csv"
        field = self.query_one("#export-path", Input)
        path = Path(field.value)
        if path.suffix.lower() in (".csv", ".json"):  # the user's own name keeps its stem
            field.value = str(path.with_suffix(f".{fmt}"))

    def options(self) -> ExportOptions:
        pesel = self.query(Checkbox).filter("#export-pesel")
        return ExportOptions(
            format=self.format,
            separator="," if self.query_one("#sep-comma", RadioButton).value else ";",
            pesel=bool(pesel) and pesel.first().value,
            overwrite=self.query_one("#export-overwrite", Checkbox).value,
        )

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted, "#export-path")
    def _start(self) -> None:
        if self.running:
            return
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self._problem("Podaj nazwę pliku.")
            return
        target = Path(text).expanduser()
        if not target.is_absolute():
            target = self.folder / target
        options = self.options()
        self.running = True
        self.cancel.clear()
        self._problem("")
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=self.total or None, progress=0)
        self.query_one("#export-hint", Static).update("Esc: przerwij (nie zostanie żaden plik)")
        self.query_one("#ok", Button).disabled = True
        show = to_ui(self, self._progress, closing=self.cancel.set)
        cancel, exporter = self.cancel, self.exporter
        run_service(self, "export", lambda ctx: exporter(ctx, target, options, show, cancel),
                    self._done, self._failed)

    def _progress(self, p: ExportProgress) -> None:
        self.query_one(ProgressBar).update(total=max(p.total, 1), progress=p.done)

    def _done(self, result: ExportResult) -> None:
        self.running = False
        self.app.notify(result.text(), title="Eksport zapisany", timeout=15)
        self.dismiss(result)

    def _failed(self, text: str) -> None:
        self.running = False
        if self.cancel.is_set():  # stopped with Esc: nothing was written
            self.app.notify(text, title="Eksport przerwany", timeout=8)
            self.dismiss(None)
            return
        self.query_one(ProgressBar).display = False
        self.query_one("#ok", Button).disabled = False
        self.query_one("#export-hint", Static).update("Popraw i naciśnij Eksportuj albo Esc.")
        self._problem(text)

    def _problem(self, text: str) -> None:
        self.query_one("#export-problem", Static).update(literal(text))

    # -- keys -----------------------------------------------------------------------------------
    @on(Button.Pressed, "#cancel")
    def action_stop(self) -> None:
        if self.running:
            self.cancel.set()
            self.query_one("#export-hint", Static).update("Przerywanie…")
            return
        self.dismiss(None)


def open_export(screen: BaseScreen, q: OrderQuery, total: int | None) -> None:
    """The order list's export: exactly the query the table shows (filter, set and sort)."""

    def exporter(ctx: Context, target: Path, options: ExportOptions,
                 progress: Callable[[ExportProgress], None], cancel: threading.Event) -> ExportResult:
        from mleg_tui.services.export import export_orders

        return export_orders(ctx, q, target, options, via="TUI", progress=progress, cancel=cancel)

    _open(screen, "lista zamówień", q.describe(), total, "zamowienia", exporter)


def open_audit_export(screen: BaseScreen, q: AuditQuery,
                      done: Callable[[ExportResult | None], None] | None = None) -> None:
    """The audit list's export: the whole log its filter shows, not only the pages read;
    `done` with the result (None: nothing written), so the audit can show its own trace."""

    def exporter(ctx: Context, target: Path, options: ExportOptions,
                 progress: Callable[[ExportProgress], None], cancel: threading.Event) -> ExportResult:
        from mleg_tui.services.audit import export_audit

        return export_audit(ctx, q, target, options, via="TUI", progress=progress, cancel=cancel)

    _open(screen, "dziennik zdarzeń", q.describe(), None, "dziennik", exporter, done)


def _open(screen: BaseScreen, what: str, filter_text: str, total: int | None, stem: str,
          exporter: Exporter, done: Callable[[ExportResult | None], None] | None = None) -> None:
    now = dt.datetime.now().astimezone()  # the file's real time, whatever `today` says
    screen.app.push_screen(ExportScreen(what, filter_text, total, stem, exporter, now), done)
