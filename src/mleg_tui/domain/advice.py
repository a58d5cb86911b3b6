"""What to do next ("Co zrobić"), from the verdict, the current order and the programmes.

One table, read by every front end. Three kinds of rows:
- a reason's row answers one of the verdict's reasons about the person (no PESEL, no
  photo, no entitling programme - the last in words of why: struck off, graduated, ...);
- of the rows about now (the current order, else ordering), the first that applies is said;
- a programme row is said whenever it applies (a 1st-cycle graduate's right until 31 October).
The reasons about orders (an order in progress, a valid card) have no row of their own:
the row about the current order says what to do about it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from mleg_tui.domain.dates import pl_date, pl_datetime
from mleg_tui.domain.eligibility import (
    BAD_PESEL,
    CARD_VALID,
    NO_ALBUM,
    NO_PESEL,
    NO_PHOTO,
    NO_PROGRAMME,
    ORDER_IN_PROGRESS,
    Verdict,
)
from mleg_tui.domain.events import PendingAction
from mleg_tui.domain.mc_errors import mc_error
from mleg_tui.domain.rules import Right, Standing
from mleg_tui.domain.status import Lapse, OrderStatus, in_force

S = OrderStatus
ORDER_REASONS = frozenset({ORDER_IN_PROGRESS, CARD_VALID})


@dataclass(frozen=True)
class CurrentOrder:
    """What the table needs of the current order (the newest in force, else the newest)."""

    status: OrderStatus
    lapse: Lapse | None = None
    expiry_date: dt.date | None = None
    codes_valid_until: dt.datetime | None = None  # office time
    error_code: str | None = None
    pending: PendingAction | None = None

    @property
    def in_force(self) -> bool:
        return in_force(self.status, self.lapse)


@dataclass(frozen=True)
class Case:
    verdict: Verdict
    current: CurrentOrder | None
    standing: Standing
    renewal_days: int = 30

    @property
    def lost_right(self) -> bool:
        return any(r.code == NO_PROGRAMME for r in self.verdict.reasons)

    @property
    def person_reasons(self) -> bool:
        """Something about the person blocks a new order (not an order of theirs)."""
        return any(r.code not in ORDER_REASONS for r in self.verdict.reasons)

    def status(self, *statuses: OrderStatus, lapse: Lapse | None = None) -> bool:
        c = self.current
        return c is not None and c.status in statuses and c.lapse is lapse


@dataclass(frozen=True)
class Step:
    code: str  # the row that said it
    text: str
    reason: str | None = None  # the verdict's reason it answers; None: about now

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "text": self.text, "reason": self.reason}


@dataclass(frozen=True)
class Row:
    code: str
    when: Callable[[Case], bool]
    say: Callable[[Case], str]
    reason: str | None = None  # a reason's row: said beside that reason


def _date(d: dt.date | None, before: str = " ") -> str:
    return f"{before}{pl_date(d)}" if d else ""


def _c(case: Case) -> CurrentOrder:
    assert case.current is not None
    return case.current


_THEN = " Nowe zamówienie będzie możliwe, gdy znikną powody powyżej."
_ORDER_HOW = "w USOSweb albo w aplikacji Mobilny USOS"


def _revoke(case: Case) -> str:
    c = _c(case)
    if c.status is S.ODEBRANA:
        what = f"mLegitymację, wciąż ważną{_date(c.expiry_date, ' do ')}"
    else:
        what = f"zamówienie ({c.status.label})"
    return (f"Trzeba unieważnić {what}: student stracił uprawnienia. Zrobi to skrypt unieważniający przy "
            "najbliższym uruchomieniu albo pracownik od razu (Unieważnij).")


def _pending(case: Case) -> str:
    p = _c(case).pending
    assert p is not None
    return (f"{p.label.capitalize()} zapisano; czeka na potwierdzenie systemu MC: zaktualizuj statusy "
            f"zamówień, a status zmieni się na „{p.target.label}”.")


def _codes_expired(case: Case) -> str:
    until = _c(case).codes_valid_until
    when = f" ({pl_datetime(until)})" if until else ""
    return (f"Kody wygasły{when}: tej mLegitymacji nie da się już dodać do mObywatela. Student musi anulować "
            "zamówienie (sam albo przez dziekanat na jego prośbę) i zamówić ponownie."
            + (_THEN if case.person_reasons else ""))


def _ready(case: Case) -> str:
    until = _c(case).codes_valid_until
    when = f", do {pl_datetime(until)}" if until else ""
    return ("Student dodaje mLegitymację w mObywatelu: skanuje lub kopiuje kod QR i potwierdza go kodem "
            f"aktywacyjnym{when}. Może też anulować zamówienie.")


def _renewal(case: Case) -> str:
    head = f"mLegitymacja traci ważność{_date(_c(case).expiry_date)}, w ciągu {case.renewal_days} dni: "
    if case.person_reasons:
        return head + "nową, bez anulowania obecnej, student zamówi, gdy znikną powody powyżej."
    return head + f"student może już zamówić nową ({_ORDER_HOW}) bez anulowania obecnej."


def _card_held(case: Case) -> str:
    end = _c(case).expiry_date
    if end is None:
        return ("Student ma ważną mLegitymację. Nową może zamówić dopiero po jej anulowaniu "
                "(np. po zmianie danych osobowych, ponownej instalacji mObywatela, zmianie telefonu).")
    start = end - dt.timedelta(days=case.renewal_days)
    return (f"Student ma ważną mLegitymację (do {pl_date(end)}). Nową może zamówić od {pl_date(start)} bez "
            "anulowania tej; wcześniej tylko po jej anulowaniu (np. po zmianie danych osobowych, ponownej "
            "instalacji mObywatela, zmianie telefonu).")


def _error(case: Case) -> str:
    code = _c(case).error_code
    known = mc_error(code)
    head = f"Zamówienie zakończyło się błędem{f' {code}' if code else ''}: {known.meaning}."
    if case.lost_right:  # figure 15: nothing to correct for an order that cannot be placed again
        return head + " Poprawiać nic nie trzeba: nowego zamówienia student i tak nie złoży, bo nie ma uprawnień."
    head += f" Kto działa: {known.who.label}: {known.fix}."
    if case.person_reasons:
        return head + " Potem, gdy znikną też powody powyżej, student składa nowe zamówienie."
    return head + f" Potem student składa nowe zamówienie ({_ORDER_HOW})."


def _expired_card(case: Case) -> str:
    head = f"mLegitymacja wygasła{_date(_c(case).expiry_date)}: "
    if case.verdict.eligible:
        return head + f"student może zamówić nową ({_ORDER_HOW})."
    return head + "nową student zamówi, gdy znikną powody powyżej."


def _graduate(case: Case) -> str:
    s = case.standing
    return (f"Absolwent studiów I stopnia{_date(s.since, ' (ukończenie ')}{')' if s.since else ''}: prawo do "
            f"mLegitymacji trwa do{_date(s.until)}; dłużej żadna mLegitymacja nie będzie ważna, a kolejną da "
            "dopiero przyjęcie na studia II stopnia.")


def _standing(*rights: Right) -> Callable[[Case], bool]:
    return lambda case: case.standing.right in rights


# What to do about each reason in general, whatever the case: the help screen's list, and
# the rows below where the case adds nothing.
GENERAL_STEPS: dict[str, str] = {
    NO_PROGRAMME: "sprawdź programy studenta: tylko aktywne studia I, II stopnia lub jednolite magisterskie "
    "(absolwent I stopnia do 31 października) dają prawo",
    NO_PESEL: "student bez numeru PESEL nie może otrzymać mLegitymacji; jeśli numer został nadany, "
    "dziekanat wpisuje go w danych osobowych",
    BAD_PESEL: "dziekanat poprawia numer PESEL w danych osobowych zgodnie z dowodem tożsamości",
    NO_PHOTO: "student dostarcza zdjęcie do legitymacji, a dziekanat dodaje je w systemie",
    NO_ALBUM: "dziekanat nadaje studentowi numer albumu",
    ORDER_IN_PROGRESS: "zależy od statusu: Oczekuje: wyślij je aktualizacją statusów; W trakcie: poczekaj "
    "na system MC; Do odbioru: student dodaje je w mObywatelu, a gdy kody wygasły, anuluje je i zamawia ponownie",
    CARD_VALID: "nową można zamówić na 30 dni przed końcem ważności albo po anulowaniu obecnej; student, "
    "który stracił uprawnienia, ma mLegitymację unieważnioną (skrypt albo pracownik)",
}


def _always(case: Case) -> bool:
    return True


def _general(reason: str) -> Callable[[Case], str]:
    return lambda case: GENERAL_STEPS[reason]


# -- the table -------------------------------------------------------------------------------

REASON_ROWS: tuple[Row, ...] = (
    Row("NO_RIGHT_STRUCK_OFF", _standing(Right.STRUCK_OFF),
        lambda c: f"skreślenie z listy studentów{_date(c.standing.since)}: prawo wróci po wznowieniu studiów "
        "lub przyjęciu na inne studia, które je dają",
        NO_PROGRAMME),
    Row("NO_RIGHT_GRADUATE_ENDED", _standing(Right.GRADUATE_ENDED),
        lambda c: f"absolwent studiów I stopnia: prawo do mLegitymacji wygasło{_date(c.standing.until)}; "
        "da je znowu dopiero przyjęcie na studia II stopnia", NO_PROGRAMME),
    Row("NO_RIGHT_GRADUATED", _standing(Right.GRADUATED),
        lambda c: f"studia ukończone{_date(c.standing.since)}: mLegitymacja już nie przysługuje; da ją dopiero "
        "przyjęcie na kolejne studia I, II stopnia lub jednolite magisterskie", NO_PROGRAMME),
    Row("NO_RIGHT_NOT_ENTITLING", _standing(Right.NOT_ENTITLING),
        lambda c: "studia doktoranckie i podyplomowe nie dają prawa do mLegitymacji (tylko studia I, II stopnia "
        "i jednolite magisterskie); sprawdź, czy w danych nie brakuje programu, który je daje", NO_PROGRAMME),
    Row("NO_RIGHT_NO_PROGRAMME", _standing(Right.NO_PROGRAMME),
        lambda c: "w danych nie ma żadnego programu studiów tej osoby: sprawdź je w systemie źródłowym "
        "i zaimportuj ponownie", NO_PROGRAMME),
    Row("NO_PESEL", _always, _general(NO_PESEL), NO_PESEL),
    Row("BAD_PESEL", _always, _general(BAD_PESEL), BAD_PESEL),
    Row("NO_PHOTO", _always, _general(NO_PHOTO), NO_PHOTO),
    Row("NO_ALBUM", _always, _general(NO_ALBUM), NO_ALBUM),
)

NOW_ROWS: tuple[Row, ...] = (
    Row("PENDING_MC", lambda c: c.current is not None and c.current.pending is not None, _pending),
    Row("REVOKE_LOST_RIGHT", lambda c: c.current is not None and c.current.in_force and c.lost_right, _revoke),
    Row("CODES_EXPIRED", lambda c: c.status(S.DO_ODBIORU, lapse=Lapse.CODES_EXPIRED), _codes_expired),
    Row("READY", lambda c: c.status(S.DO_ODBIORU), _ready),
    Row("WAITING", lambda c: c.status(S.OCZEKUJE),
        lambda c: "Zamówienie czeka na przekazanie do systemu MC: wyślij je aktualizacją statusów zamówień. "
        "Nowego nie trzeba składać."),
    Row("IN_PROGRESS", lambda c: c.status(S.W_TRAKCIE),
        lambda c: "System MC realizuje zamówienie (zwykle trwa to kilka minut): sprawdź jego status "
        "aktualizacją statusów zamówień; potem będzie „Do odbioru” albo „Błąd”."),
    Row("RENEWAL", lambda c: c.status(S.ODEBRANA) and c.verdict.renewal, _renewal),
    Row("CARD_HELD", lambda c: c.status(S.ODEBRANA), _card_held),
    Row("ERROR", lambda c: c.status(S.BLAD), _error),
    Row("CARD_EXPIRED", lambda c: c.status(S.ODEBRANA, lapse=Lapse.CARD_EXPIRED), _expired_card),
    Row("MAY_ORDER", lambda c: c.verdict.eligible,
        lambda c: f"Student może zamówić mLegitymację ({_ORDER_HOW})."),
    Row("MAY_NOT_ORDER", _always,
        lambda c: "Nowe zamówienie nie jest teraz możliwe; przy każdym powodzie powyżej napisano, co zrobić."),
)

PROGRAMME_ROWS: tuple[Row, ...] = (
    Row("GRADUATE_UNTIL", _standing(Right.GRADUATE), _graduate),
)

ROWS = REASON_ROWS + NOW_ROWS + PROGRAMME_ROWS


def advise(case: Case) -> tuple[Step, ...]:
    """Each person reason's step (in the verdict's order), then the one about now, then
    the programme's."""
    steps: list[Step] = []
    for reason in case.verdict.reasons:
        row = next((r for r in REASON_ROWS if r.reason == reason.code and r.when(case)), None)
        if row is not None:
            steps.append(Step(row.code, row.say(case), reason.code))
    now = next(r for r in NOW_ROWS if r.when(case))
    steps.append(Step(now.code, now.say(case)))
    steps.extend(Step(r.code, r.say(case)) for r in PROGRAMME_ROWS if r.when(case))
    return tuple(steps)
