"""Order statuses on screen: coloured, but always with the words, so colour is never needed."""
from __future__ import annotations

from textual.widgets import Static

from mleg_tui.domain.status import OrderStatus

S = OrderStatus

# At 80 columns the two long labels lose their "by whom": only the user cancels and
# only the university revokes, so the first word alone is unambiguous.
SHORT = {
    S.ANULOWANE_PRZEZ_UZYTKOWNIKA: "Anulowane",
    S.UNIEWAZNIONE_PRZEZ_UCZELNIE: "Unieważnione",
}
SHORT_WIDTH = max(len(SHORT.get(s, s.label)) for s in S)
FULL_WIDTH = max(len(s.label) for s in S)


def label(status: OrderStatus, short: bool = False) -> str:
    return SHORT.get(status, status.label) if short else status.label


# As the .status-* classes of app.tcss, for text that is not a widget of its own.
STYLES = {
    S.OCZEKUJE: "$text-warning",
    S.W_TRAKCIE: "$text-primary",
    S.DO_ODBIORU: "$text-success bold",
    S.ODEBRANA: "$text-success",
    S.BLAD: "$text-error bold",
    S.ANULOWANE_PRZEZ_UZYTKOWNIKA: "$text-muted",
    S.UNIEWAZNIONE_PRZEZ_UCZELNIE: "$text-secondary",
}


def status_style(status: OrderStatus) -> str:
    """The status's colour (Textual style markup, theme variables), as in the list."""
    return STYLES[status]


def css_class(status: OrderStatus) -> str:
    """The CSS class (and component-class suffix) of a status: status-do-odbioru."""
    return "status-" + status.value.lower().replace("_", "-")


class StatusBadge(Static):
    """A status as a coloured label, e.g. in the student pane."""

    DEFAULT_CSS = """
    StatusBadge { width: auto; padding: 0 1; text-style: bold; }
    """

    def __init__(self, status: OrderStatus, *, pending: str | None = None, **kw: object) -> None:
        text = status.label.upper()
        if pending:
            text += f" · {pending} czeka na MC"
        super().__init__(text, **kw)  # type: ignore[arg-type]
        self.add_class(css_class(status))
