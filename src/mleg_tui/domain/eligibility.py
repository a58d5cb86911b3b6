"""May this student order an mLegitymacja now? Every failing reason at once.

The reasons' texts are the manual's words (figures 6, 13-15); the order-related ones
follow figures 16-17: a picked-up card blocks a new order until 30 days before it expires.
What to do about each is domain.advice's table.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mleg_tui.domain.dates import pl_date
from mleg_tui.domain.pesel import check_pesel
from mleg_tui.domain.rules import Programme, ValidityRules, planned_expiry
from mleg_tui.domain.status import IN_PROGRESS, OrderStatus


@dataclass(frozen=True)
class Reason:
    code: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


# The manual's own words; codes are ours.
NO_PROGRAMME = "NO_ENTITLING_PROGRAMME"
NO_PESEL = "NO_PESEL"
BAD_PESEL = "INVALID_PESEL"
NO_PHOTO = "NO_PHOTO"
NO_ALBUM = "NO_ALBUM"
ORDER_IN_PROGRESS = "ORDER_IN_PROGRESS"
CARD_VALID = "VALID_CARD_HELD"

REASON_TEXTS = {
    NO_PROGRAMME: "nie masz uprawnień do mLegitymacji na żadnym z Twoich programów",
    NO_PESEL: "brak numeru PESEL",
    BAD_PESEL: "nieprawidłowy numer PESEL",
    NO_PHOTO: "brak zdjęcia",
    NO_ALBUM: "brak numeru albumu",
    ORDER_IN_PROGRESS: "masz zamówienie w realizacji",
    CARD_VALID: "masz ważną mLegitymację",
}

RENEWAL_NOTE = (
    "Twoja mLegitymacja straci ważność w ciągu najbliższych 30 dni. "
    "Możesz zamówić nową i dodać ją do mObywatela."
)


DEFAULT_RULES = ValidityRules()


@dataclass(frozen=True)
class PersonFacts:
    pesel: str | None
    album: str | None
    has_photo: bool
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class OrderFacts:
    status: OrderStatus
    ordered_at: dt.datetime
    expiry_date: dt.date | None
    codes_valid_until: dt.datetime | None = None


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reasons: tuple[Reason, ...]
    planned_expiry: dt.date | None
    renewal: bool = False  # a picked-up card expires within the renewal window
    notes: tuple[str, ...] = field(default=())

    @property
    def offered_expiry(self) -> dt.date | None:
        """The planned expiry to tell the student: only when they may order (figure 4);
        figure 6, a student who may not, shows none."""
        return self.planned_expiry if self.eligible else None

    @property
    def sentence(self) -> str:
        """The manual's sentence (figure 6), with every reason."""
        if self.eligible:
            return "Spełniasz warunki uprawniające Cię do zamówienia mLegitymacji."
        texts = ", ".join(r.text for r in self.reasons)
        noun = "następującego powodu" if len(self.reasons) == 1 else "następujących powodów"
        return f"Nie możesz zamówić mLegitymacji z {noun}: {texts}."


def assess(
    person: PersonFacts,
    programmes: list[Programme],
    orders: list[OrderFacts],
    today: dt.date,
    rules: ValidityRules = DEFAULT_RULES,
) -> Verdict:
    reasons: list[Reason] = []
    expiry = planned_expiry(programmes, today, rules)
    if expiry is None:
        reasons.append(Reason(NO_PROGRAMME, REASON_TEXTS[NO_PROGRAMME]))
    reasons += person_reasons(person)

    notes: list[str] = []
    renewal = False
    busy = [o for o in orders if o.status in IN_PROGRESS]
    if busy:
        latest = max(busy, key=lambda o: o.ordered_at)
        text = (
            f"{REASON_TEXTS[ORDER_IN_PROGRESS]} (status: {latest.status.label}, "
            f"z dnia {pl_date(latest.ordered_at.date())})"
        )
        reasons.append(Reason(ORDER_IN_PROGRESS, text))
    cards = [
        o
        for o in orders
        if o.status is OrderStatus.ODEBRANA and (o.expiry_date is None or o.expiry_date >= today)
    ]
    if cards:
        ends = [o.expiry_date for o in cards]
        last = None if None in ends else max(ends)  # type: ignore[type-var]
        if last is None or (last - today).days > rules.renewal_days:
            until = f" (ważna do {pl_date(last)})" if last else ""
            reasons.append(Reason(CARD_VALID, f"{REASON_TEXTS[CARD_VALID]}{until}"))
        else:
            renewal = True
            notes.append(RENEWAL_NOTE)
    return Verdict(not reasons, tuple(reasons), expiry, renewal, tuple(notes))


def person_reasons(person: PersonFacts) -> list[Reason]:
    """The reasons about the person alone (not their programmes or orders), in assess's
    order: they change only when the person's row does (the store keeps them, rules_sql)."""
    reasons: list[Reason] = []
    pesel = (person.pesel or "").strip()
    if not pesel:
        reasons.append(Reason(NO_PESEL, REASON_TEXTS[NO_PESEL]))
    else:
        check = check_pesel(pesel, person.birth_date)
        if not check.ok:
            reasons.append(Reason(BAD_PESEL, f"{REASON_TEXTS[BAD_PESEL]} ({check.problem})"))
    if not person.has_photo:
        reasons.append(Reason(NO_PHOTO, REASON_TEXTS[NO_PHOTO]))
    if not (person.album or "").strip():
        reasons.append(Reason(NO_ALBUM, REASON_TEXTS[NO_ALBUM]))
    return reasons
