"""Help (? or F1): the keys of the screen it was opened from, what every status and every
reason means, and what to do about each reason - so a new clerk needs no manual."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from mleg_tui.domain.advice import GENERAL_STEPS
from mleg_tui.domain.eligibility import REASON_TEXTS
from mleg_tui.domain.status import Lapse, OrderStatus, status_text
from mleg_tui.domain.text import visible
from mleg_tui.screens.base import BaseScreen
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.textual_pl import Header

ROLES = (
    "Role (sekcja [roles] konfiguracji; login spoza niej to podgląd, chyba że jest właścicielem "
    "bazy i konfiguracji; --read-only wymusza podgląd):\n"
    "  podgląd — ogląda listę, studentów i historię; nie zmienia niczego;\n"
    "  operator — także aktualizuje statusy, unieważnia pojedyncze zamówienia, pokazuje kody;\n"
    "  administrator — także unieważnia wiele zaznaczonych naraz, uruchamia skrypt unieważniający, "
    "importuje rejestr i zarządza pracownikami."
)


def _grid() -> Table:
    t = Table.grid(padding=(0, 2))
    t.add_column(no_wrap=True, style="bold")
    t.add_column()
    return t


class HelpScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "close", "Zamknij", id="help.close", tooltip="Zamknij pomoc"),
        Binding("q", "close", "Zamknij", id="help.close_q", show=False, tooltip="Zamknij pomoc"),
    ]

    def __init__(self, keys: list[tuple[str, str, str]], where: str) -> None:
        super().__init__()
        self.keys, self.where = keys, where

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="help-scroll"):
            # Every text here as Text: a string would be read as markup ("[roles]" vanished),
            # and the screen's title may name a student.
            yield Static(Text(f"Klawisze — {visible(self.where)}", style="bold"), classes="help-head")
            keys = _grid()
            for key, text, ids in self.keys:
                # The binding ids are what the config's [keymap] section remaps.
                keys.add_row(Text(key), Text.assemble(text, (f"  [{ids}]", "dim")))
            yield Static(keys)
            yield Static(Text("Statusy zamówień", style="bold"), classes="help-head")
            statuses = _grid()
            for s in OrderStatus:
                statuses.add_row(Text(s.label), Text(s.meaning))
            for lapse, status in ((Lapse.CARD_EXPIRED, OrderStatus.ODEBRANA),
                                  (Lapse.CODES_EXPIRED, OrderStatus.DO_ODBIORU)):
                statuses.add_row(Text(status_text(status, lapse)), Text(lapse.meaning))
            yield Static(statuses, id="help-statuses")
            yield Static(Text("Dlaczego student nie może zamówić — i co zrobić", style="bold"),
                         classes="help-head")
            reasons = _grid()
            for code, text in REASON_TEXTS.items():
                reasons.add_row(Text(text), Text(GENERAL_STEPS.get(code, "")))
            yield Static(reasons)
            yield Static(Text("W tabeli: * po statusie — unieważnienie lub anulowanie czeka na "
                              "potwierdzenie MC; ● przed Lp. — wiersz zaznaczony."), classes="help-head")
            yield Static(Text(ROLES), classes="help-head")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = "Pomoc"
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
