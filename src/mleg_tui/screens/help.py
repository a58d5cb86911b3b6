"""Help (? or F1): the keys of the screen it was opened from, what every status and every
reason means, and what to do about each reason - so a new clerk needs no manual."""
from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
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

ROLES_HEAD = ("Role (sekcja [roles] konfiguracji; login spoza niej to podgląd, chyba że jest właścicielem "
              "bazy i konfiguracji; --read-only wymusza podgląd):")
ROLES = (
    ("podgląd", "ogląda listę, studentów, historię i raporty uruchomień; nie zmienia niczego"),
    ("operator", "także aktualizuje statusy, unieważnia pojedyncze zamówienia, pokazuje kody"),
    ("administrator", "także unieważnia wiele zaznaczonych naraz, uruchamia skrypt unieważniający, "
     "importuje rejestr, zarządza pracownikami i przegląda dziennik zdarzeń (kto co zrobił)"),
)


KEYMAP = ("Klawisze można zmienić w sekcji [keymap] konfiguracji: identyfikator = \"klawisz\", np. "
          "\"orders.refresh_all\" = \"ctrl+u\". Identyfikatory klawiszy tego ekranu:")


def _grid(*, padding: int = 2) -> Table:
    t = Table.grid(padding=(0, padding))
    t.add_column(no_wrap=True, style="bold")
    t.add_column()
    return t


def _head(text: str) -> Static:
    return Static(Text(text, style="bold"), classes="help-head")


def _entry(name: str, text: str) -> Text:
    """A paragraph that wraps at the screen's width: the name in bold, then what it means."""
    return Text.assemble((name, "bold"), " — ", text)


def _steps(reason: str, steps: str) -> RenderableType:
    """The reason on a line of its own, what to do as a paragraph under it."""
    if not steps:
        return Text(reason, style="bold")
    return Group(Text(reason, style="bold"), Padding(Text.assemble(("Co zrobić: ", "italic"), steps), (0, 0, 0, 2)))


class HelpScreen(BaseScreen):
    """For a clerk first: every text a paragraph that wraps at the screen's width (at 80
    columns too), the binding ids only in the last section, for those who remap keys."""

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
            yield _head(f"Klawisze — {visible(self.where)}")
            keys = _grid()
            for key, text, _ in self.keys:
                keys.add_row(Text(key), Text(text))
            yield Static(keys, id="help-keys")
            yield _head("Statusy zamówień")
            statuses = [_entry(s.label, s.meaning) for s in OrderStatus]
            statuses += [_entry(status_text(status, lapse), lapse.meaning)
                         for lapse, status in ((Lapse.CARD_EXPIRED, OrderStatus.ODEBRANA),
                                               (Lapse.CODES_EXPIRED, OrderStatus.DO_ODBIORU))]
            yield Static(Group(*statuses), id="help-statuses")
            yield _head("Dlaczego student nie może zamówić — i co zrobić")
            yield Static(Group(*(_steps(text, GENERAL_STEPS.get(code, "")) for code, text in REASON_TEXTS.items())),
                         id="help-reasons")
            yield Static(Text("W tabeli: * po statusie — unieważnienie lub anulowanie czeka na "
                              "potwierdzenie MC; ● przed Lp. — wiersz zaznaczony."), classes="help-head")
            yield Static(Group(Text(ROLES_HEAD), *(Padding(_entry(name, text), (0, 0, 0, 2)) for name, text in ROLES)),
                         classes="help-head", id="help-roles")
            yield _head("Dla zmieniających klawisze ([keymap])")
            ids = _grid(padding=1)
            ids.add_column(style="dim")
            for key, text, binding_ids in self.keys:
                ids.add_row(Text(binding_ids), Text(key), Text(text))
            yield Static(Group(Text(KEYMAP), ids), id="help-keymap")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = "Pomoc"
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
