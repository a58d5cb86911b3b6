"""Order statuses in the manual's words, how they look on screen, and which changes
between them are legal."""
from __future__ import annotations

from enum import Enum

from mleg_tui.errors import MlegError


class OrderStatus(str, Enum):
    OCZEKUJE = "OCZEKUJE"
    W_TRAKCIE = "W_TRAKCIE"
    DO_ODBIORU = "DO_ODBIORU"
    ODEBRANA = "ODEBRANA"
    BLAD = "BLAD"
    ANULOWANE_PRZEZ_UZYTKOWNIKA = "ANULOWANE_PRZEZ_UZYTKOWNIKA"
    UNIEWAZNIONE_PRZEZ_UCZELNIE = "UNIEWAZNIONE_PRZEZ_UCZELNIE"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def short_label(self) -> str:
        return SHORT_LABELS.get(self, LABELS[self])

    @property
    def colour(self) -> str:
        """The theme colour it is drawn in: `$text-<colour>` in Textual's themes."""
        return COLOURS[self]

    @property
    def bold(self) -> bool:
        return self in BOLD

    @property
    def meaning(self) -> str:
        return MEANINGS[self]

    @property
    def is_live(self) -> bool:
        return self in LIVE

    @property
    def is_final(self) -> bool:
        return self in FINAL

    def __str__(self) -> str:
        return self.value


S = OrderStatus

LABELS = {
    S.OCZEKUJE: "Oczekuje",
    S.W_TRAKCIE: "W trakcie",
    S.DO_ODBIORU: "Do odbioru",
    S.ODEBRANA: "Odebrana",
    S.BLAD: "Błąd",
    S.ANULOWANE_PRZEZ_UZYTKOWNIKA: "Anulowane przez użytkownika",
    S.UNIEWAZNIONE_PRZEZ_UCZELNIE: "Unieważnione przez uczelnię",
}

# At 80 columns the two long labels lose their "by whom": only the user cancels and
# only the university revokes, so the first word alone is unambiguous.
SHORT_LABELS = {
    S.ANULOWANE_PRZEZ_UZYTKOWNIKA: "Anulowane",
    S.UNIEWAZNIONE_PRZEZ_UCZELNIE: "Unieważnione",
}

# On screen the words are always shown too, so colour is never needed to tell them apart.
COLOURS = {
    S.OCZEKUJE: "warning",
    S.W_TRAKCIE: "primary",
    S.DO_ODBIORU: "success",
    S.ODEBRANA: "success",
    S.BLAD: "error",
    S.ANULOWANE_PRZEZ_UZYTKOWNIKA: "muted",
    S.UNIEWAZNIONE_PRZEZ_UCZELNIE: "secondary",
}
BOLD = frozenset({S.DO_ODBIORU, S.BLAD})

# The manual's help text (figure 5), for the help screen.
MEANINGS = {
    S.OCZEKUJE: "użytkownik złożył zamówienie, uczelnia nie przekazała go jeszcze do systemu MC",
    S.W_TRAKCIE: "zamówienie zostało przekazane i jest przetwarzane przez system MC",
    S.DO_ODBIORU: "użytkownik może dodać mLegitymację do aplikacji mObywatel",
    S.ODEBRANA: "użytkownik dodał mLegitymację do aplikacji mObywatel",
    S.BLAD: "przetwarzanie zamówienia przez system MC zakończyło się błędem",
    S.ANULOWANE_PRZEZ_UZYTKOWNIKA: "użytkownik anulował zamówienie lub mLegitymację",
    S.UNIEWAZNIONE_PRZEZ_UCZELNIE: (
        "uczelnia unieważniła zamówienie lub mLegitymację z powodu utraty uprawnień "
        "przez użytkownika"
    ),
}

LIVE = frozenset({S.OCZEKUJE, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA})
FINAL = frozenset({S.BLAD, S.ANULOWANE_PRZEZ_UZYTKOWNIKA, S.UNIEWAZNIONE_PRZEZ_UCZELNIE})
# Statuses in which an order still blocks a new one unless it is a card about to expire.
IN_PROGRESS = frozenset({S.OCZEKUJE, S.W_TRAKCIE, S.DO_ODBIORU})

_ENDED_BY_PEOPLE = (S.ANULOWANE_PRZEZ_UZYTKOWNIKA, S.UNIEWAZNIONE_PRZEZ_UCZELNIE)
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.OCZEKUJE: frozenset({S.W_TRAKCIE, S.BLAD, *_ENDED_BY_PEOPLE}),
    S.W_TRAKCIE: frozenset({S.DO_ODBIORU, S.BLAD, *_ENDED_BY_PEOPLE}),
    S.DO_ODBIORU: frozenset({S.ODEBRANA, *_ENDED_BY_PEOPLE}),
    S.ODEBRANA: frozenset(_ENDED_BY_PEOPLE),
    S.BLAD: frozenset(),
    S.ANULOWANE_PRZEZ_UZYTKOWNIKA: frozenset(),
    S.UNIEWAZNIONE_PRZEZ_UCZELNIE: frozenset(),
}


class IllegalTransition(MlegError):
    def __init__(self, old: OrderStatus, new: OrderStatus):
        self.old, self.new = old, new
        if old.is_final:
            why = f"status „{old.label}” jest końcowy"
        else:
            why = "takiej zmiany nie przewidują reguły"
        super().__init__(
            f"Niedozwolona zmiana statusu: {old.label} → {new.label} ({why})."
        )


def can_transition(old: OrderStatus, new: OrderStatus) -> bool:
    return new in TRANSITIONS[old]


def check_transition(old: OrderStatus, new: OrderStatus) -> None:
    if not can_transition(old, new):
        raise IllegalTransition(old, new)


def reachable(old: OrderStatus, new: OrderStatus) -> bool:
    """Whether `new` follows `old` by one or more legal steps.

    MC is read only now and then, so it may report a status several steps ahead
    (W trakcie -> Odebrana when codes were issued and used between two refreshes).
    """
    seen: set[OrderStatus] = set()
    todo = list(TRANSITIONS[old])
    while todo:
        s = todo.pop()
        if s == new:
            return True
        if s not in seen:
            seen.add(s)
            todo.extend(TRANSITIONS[s])
    return False


def parse_status(text: str) -> OrderStatus:
    """A status from its code or its label, in any case; a clear error otherwise."""
    from mleg_tui.domain.names import fold
    from mleg_tui.errors import UserError

    key = fold(text).replace(" ", "_").upper()
    for s in OrderStatus:
        if key in (s.value, fold(s.label).replace(" ", "_").upper()):
            return s
    codes = ", ".join(s.value for s in OrderStatus)
    raise UserError(f"Nieznany status „{text}”. Dozwolone: {codes}.")
