"""Order statuses on screen: coloured, but always with the words, so colour is never needed."""
from __future__ import annotations

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


# As the OrderTable's status component classes in app.tcss, for text drawn elsewhere
# (the student pane's current order). The words are always shown too.
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
