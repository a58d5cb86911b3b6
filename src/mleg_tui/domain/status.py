"""Order statuses in the manual's words, how they look on screen, which changes between
them are legal, and what has run out on an order whose status alone looks usable."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


class Lapse(str, Enum):
    """What has run out on an order while MC still reports it as it was: not a status
    (MC has no such state), a mark beside the manual's word."""

    CARD_EXPIRED = "WYGASLA"  # Odebrana, past its expiry date: the card is out
    CODES_EXPIRED = "KODY_WYGASLY"  # Do odbioru, the QR and activation codes are past use

    @property
    def label(self) -> str:
        return LAPSE_LABELS[self][0]

    @property
    def short_label(self) -> str:
        """Alone, in the 80-column table: each belongs to one status (a card that ran out
        was picked up; only an order ready for pickup has codes to lose)."""
        return LAPSE_LABELS[self][1]

    @property
    def meaning(self) -> str:
        return LAPSE_LABELS[self][2]


LAPSE_LABELS = {
    Lapse.CARD_EXPIRED: ("wygasła", "Wygasła", "mLegitymacja minęła datę ważności"),
    Lapse.CODES_EXPIRED: ("kody wygasły", "Kody wygasły",
                          "kodów QR i aktywacyjnego nie da się już użyć: student musi anulować "
                          "zamówienie i zamówić ponownie"),
}


def lapse_of(status: OrderStatus, expiry_date: dt.date | None, codes_valid_until: dt.datetime | None,
             today: dt.date, now: dt.datetime) -> Lapse | None:
    """A card is valid through its expiry date (store.queries.card_in_use says the same in
    SQL); codes until the instant MC gave."""
    if status is S.ODEBRANA and expiry_date is not None and expiry_date < today:
        return Lapse.CARD_EXPIRED
    if status is S.DO_ODBIORU and codes_valid_until is not None and codes_valid_until < now:
        return Lapse.CODES_EXPIRED
    return None


def in_force(status: OrderStatus, lapse: Lapse | None) -> bool:
    """Still matters now: live, and not a card that has run out (expired codes still
    need the student to cancel, so that order does)."""
    return status in LIVE and lapse is not Lapse.CARD_EXPIRED


def current_index(orders: Sequence[tuple[OrderStatus, Lapse | None]]) -> int | None:
    """Which order matters now, of orders newest first: the newest in force, else the newest."""
    return next((i for i, (status, lapse) in enumerate(orders) if in_force(status, lapse)),
                0 if orders else None)


def status_text(status: OrderStatus, lapse: Lapse | None = None, *, short: bool = False) -> str:
    """The status as shown: "Odebrana (wygasła)", "Do odbioru (kody wygasły)"; at 80
    columns "Wygasła", "Kody wygasły" (the column is as wide as the short labels)."""
    if lapse is None:
        return status.short_label if short else status.label
    return lapse.short_label if short else f"{status.label} ({lapse.label})"


def validity_label(status: OrderStatus, lapse: Lapse | None = None) -> str | None:
    """Which date an order shows (figures 7-17): a picked-up card its validity, an order
    not yet picked up (or failed, figure 15) the planned one; a cancelled or revoked one
    none (figures 9, 13, 14)."""
    if status is S.ODEBRANA:
        return "Data ważności (wygasła)" if lapse is Lapse.CARD_EXPIRED else "Data ważności"
    if status in (S.ANULOWANE_PRZEZ_UZYTKOWNIKA, S.UNIEWAZNIONE_PRZEZ_UCZELNIE):
        return None
    return "Planowana data ważności mLegitymacji"


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
    from mleg_tui.domain.names import parse_labelled

    return parse_labelled(OrderStatus, text, "Nieznany status")
