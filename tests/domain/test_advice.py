"""What to do ("Co zrobić"): one test per row of domain.advice's table, each from the facts a
help desk sees (the person, the programmes, the orders, today), through the same rules as
the student view: the verdict, the current order and the programmes' standing."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from mleg_tui.domain.advice import GENERAL_STEPS, ROWS, Case, CurrentOrder, Step, advise
from mleg_tui.domain.eligibility import REASON_TEXTS, OrderFacts, PersonFacts, assess
from mleg_tui.domain.events import PendingAction
from mleg_tui.domain.mc_errors import MC_ERROR_CODES, UNKNOWN, Who, mc_error
from mleg_tui.domain.rules import Level, Programme, ProgrammeStatus, ValidityRules, standing
from mleg_tui.domain.status import (
    Lapse,
    OrderStatus,
    current_index,
    in_force,
    lapse_of,
    status_text,
    validity_label,
)

D = dt.date
S = OrderStatus
TZ = dt.timezone(dt.timedelta(hours=1))
TODAY = D(2025, 11, 20)  # a winter-semester day: a card ordered now is valid to 31.03.2026
NOW = dt.datetime(2025, 11, 20, 10, 0, tzinfo=TZ)
RULES = ValidityRules()
ACTIVE, GRADUATED, STRUCK_OFF = ProgrammeStatus.ACTIVE, ProgrammeStatus.GRADUATED, ProgrammeStatus.STRUCK_OFF
STUDENT = PersonFacts(pesel="44051401359", album="100009", has_photo=True)


def prog(level: str = "I", status: ProgrammeStatus = ACTIVE, when: D | None = None) -> Programme:
    return Programme(f"P-{level}", Level(level), status, when, D(2027, 9, 30))


@dataclass(frozen=True)
class Ord:
    """An order as the store holds it."""

    status: OrderStatus
    ordered: D = D(2025, 10, 1)
    expiry: D = D(2026, 3, 31)
    codes_until: dt.datetime | None = None
    error_code: str | None = None
    pending: PendingAction | None = None


def steps(*orders: Ord, programmes: list[Programme] | None = None, person: PersonFacts = STUDENT,
          today: D = TODAY, now: dt.datetime = NOW) -> tuple[Step, ...]:
    """The advice for this student, orders newest first, as the student view builds it."""
    programmes = [prog()] if programmes is None else programmes
    facts = [OrderFacts(o.status, dt.datetime.combine(o.ordered, dt.time(12)), o.expiry, o.codes_until)
             for o in orders]
    verdict = assess(person, programmes, facts, today, RULES)
    lapses = [lapse_of(o.status, o.expiry, o.codes_until, today, now) for o in orders]
    i = current_index([(o.status, lapse) for o, lapse in zip(orders, lapses)])
    current = None
    if i is not None:
        o = orders[i]
        current = CurrentOrder(o.status, lapses[i], o.expiry, o.codes_until, o.error_code, o.pending)
    return advise(Case(verdict, current, standing(programmes, today, RULES), RULES.renewal_days))


def now_step(found: tuple[Step, ...]) -> Step:
    (step,) = [s for s in found if s.reason is None and s.code != "GRADUATE_UNTIL"]
    return step


def flat(found: tuple[Step, ...]) -> str:
    return " ".join(s.text for s in found)


COVERED: set[str] = set()  # the rows a test below is about, gathered as the file is read


def covers(*codes: str):  # type: ignore[no-untyped-def]
    def mark(test):  # type: ignore[no-untyped-def]
        COVERED.update(codes)
        return test
    return mark


def row(code: str, found: tuple[Step, ...]) -> Step:
    """The step the row `code` gave."""
    matching = [s for s in found if s.code == code]
    assert matching, f"no step of row {code}: {[s.code for s in found]}"
    return matching[0]


# --- the reasons about the person: why there is no right, and the register's gaps ------------

@covers("NO_RIGHT_STRUCK_OFF")
def test_struck_off_says_the_strike_off_and_how_the_right_comes_back():
    s = row("NO_RIGHT_STRUCK_OFF", steps(programmes=[prog("I", STRUCK_OFF, D(2025, 11, 15))]))
    assert s.reason == "NO_ENTITLING_PROGRAMME"
    assert "skreślenie z listy studentów 15.11.2025" in s.text and "wznowieniu studiów" in s.text


@covers("NO_RIGHT_GRADUATE_ENDED")
def test_graduate_past_31_october_has_lost_the_right():
    s = row("NO_RIGHT_GRADUATE_ENDED", steps(programmes=[prog("I", GRADUATED, D(2025, 7, 10))]))
    assert "absolwent studiów I stopnia" in s.text and "wygasło 31.10.2025" in s.text
    assert "studia II stopnia" in s.text


@covers("NO_RIGHT_GRADUATED")
def test_second_cycle_graduate_has_no_right_at_all():
    s = row("NO_RIGHT_GRADUATED", steps(programmes=[prog("II", GRADUATED, D(2025, 6, 30))]))
    assert "studia ukończone 30.06.2025" in s.text and "nie przysługuje" in s.text


@covers("NO_RIGHT_NOT_ENTITLING")
def test_doctoral_studies_do_not_entitle():
    s = row("NO_RIGHT_NOT_ENTITLING", steps(programmes=[prog("DR")]))
    assert "doktoranckie i podyplomowe nie dają prawa" in s.text


@covers("NO_RIGHT_NO_PROGRAMME")
def test_no_programme_at_all_points_at_the_register():
    s = row("NO_RIGHT_NO_PROGRAMME", steps(programmes=[]))
    assert "nie ma żadnego programu studiów" in s.text and "zaimportuj" in s.text


@covers("NO_PESEL", "BAD_PESEL", "NO_PHOTO", "NO_ALBUM")
@pytest.mark.parametrize(("code", "person"), [
    ("NO_PESEL", PersonFacts(None, "100001", True)),
    ("BAD_PESEL", PersonFacts("44051401358", "100001", True)),  # checksum off by one
    ("NO_PHOTO", PersonFacts("44051401359", "100001", False)),
    ("NO_ALBUM", PersonFacts("44051401359", None, True)),
])
def test_each_gap_in_the_register_has_its_step_beside_its_reason(code: str, person: PersonFacts):
    found = steps(person=person)
    s = row(code, found)
    assert s.reason is not None and s.reason in REASON_TEXTS
    assert s.text == GENERAL_STEPS[s.reason]
    assert now_step(found).code == "MAY_NOT_ORDER"


@covers("MAY_NOT_ORDER")
def test_every_reason_at_once_each_with_its_step():
    """The demo's student without anything: doctoral, no PESEL, no photo, no album."""
    found = steps(person=PersonFacts(None, None, False), programmes=[prog("DR")])
    assert [s.reason for s in found if s.reason] == ["NO_ENTITLING_PROGRAMME", "NO_PESEL", "NO_PHOTO", "NO_ALBUM"]
    assert row("MAY_NOT_ORDER", found).text.startswith("Nowe zamówienie nie jest teraz możliwe")


# --- the current order ----------------------------------------------------------------------------

@covers("WAITING")
def test_waiting_order_is_sent_with_a_refresh():
    s = row("WAITING", steps(Ord(S.OCZEKUJE, ordered=TODAY)))
    assert "czeka na przekazanie do systemu MC" in s.text and "aktualizacją statusów" in s.text


@covers("IN_PROGRESS")
def test_order_at_mc_is_checked_with_a_refresh():
    s = row("IN_PROGRESS", steps(Ord(S.W_TRAKCIE, ordered=TODAY)))
    assert "System MC realizuje zamówienie" in s.text and "aktualizacją statusów" in s.text


@covers("READY")
def test_ready_for_pickup_tells_how_to_add_it_and_until_when():
    s = row("READY", steps(Ord(S.DO_ODBIORU, codes_until=dt.datetime(2025, 12, 18, 12, 33, tzinfo=TZ))))
    assert "skanuje lub kopiuje kod QR" in s.text and "kodem aktywacyjnym, do 18.12.2025, 12:33" in s.text


@covers("CODES_EXPIRED")
def test_expired_codes_say_cancel_and_never_wait():
    """100009: the codes ran out; the old advice said 'poczekaj na realizację albo anuluj'
    beside 'KODY WYGASŁY - student musi anulować zamówienie'."""
    found = steps(Ord(S.DO_ODBIORU, ordered=D(2025, 10, 11), codes_until=dt.datetime(2025, 11, 10, 12, 31, tzinfo=TZ)))
    s = row("CODES_EXPIRED", found)
    assert "Kody wygasły (10.11.2025, 12:31)" in s.text
    assert "musi anulować zamówienie" in s.text and "zamówić ponownie" in s.text
    assert "poczekaj" not in flat(found)


@covers("CODES_EXPIRED")
def test_expired_codes_and_a_gap_in_the_register_say_both():
    found = steps(Ord(S.DO_ODBIORU, codes_until=NOW - dt.timedelta(days=1)),
                  person=PersonFacts("44051401359", "100009", False))
    assert row("CODES_EXPIRED", found).text.endswith("gdy znikną powody powyżej.")
    assert [s.code for s in found] == ["NO_PHOTO", "CODES_EXPIRED"]


@covers("CARD_HELD")
def test_valid_card_tells_from_when_a_new_one_can_be_ordered():
    s = row("CARD_HELD", steps(Ord(S.ODEBRANA, expiry=D(2026, 3, 31))))
    assert "ważną mLegitymację (do 31.03.2026)" in s.text
    assert "od 1.03.2026" in s.text and "po jej anulowaniu" in s.text


@covers("RENEWAL")
def test_card_within_30_days_may_be_renewed_without_cancelling():
    s = row("RENEWAL", steps(Ord(S.ODEBRANA, expiry=D(2025, 12, 10))))
    assert "traci ważność 10.12.2025" in s.text and "może już zamówić nową" in s.text
    assert "bez anulowania obecnej" in s.text


@covers("RENEWAL")
def test_renewal_waits_for_the_gaps_in_the_register():
    found = steps(Ord(S.ODEBRANA, expiry=D(2025, 12, 10)), person=PersonFacts(None, "100006", True))
    assert "gdy znikną powody powyżej" in row("RENEWAL", found).text


@covers("REVOKE_LOST_RIGHT")
def test_struck_off_with_a_valid_card_must_have_it_revoked():
    """100007: the old advice said a new card could be ordered 30 days before expiry."""
    found = steps(Ord(S.ODEBRANA, ordered=D(2025, 9, 21), expiry=D(2026, 3, 31)),
                  programmes=[prog("I", STRUCK_OFF, D(2025, 11, 15))])
    s = row("REVOKE_LOST_RIGHT", found)
    assert s.text.startswith("Trzeba unieważnić mLegitymację, wciąż ważną do 31.03.2026: student stracił")
    assert "skrypt unieważniający" in s.text and "pracownik" in s.text
    text = flat(found)
    assert "30 dni" not in text and "może zamówić" not in text
    assert [s.code for s in found] == ["NO_RIGHT_STRUCK_OFF", "REVOKE_LOST_RIGHT"]


@covers("REVOKE_LOST_RIGHT")
def test_struck_off_with_an_order_at_mc_must_have_it_revoked():
    s = row("REVOKE_LOST_RIGHT", steps(Ord(S.W_TRAKCIE), programmes=[prog("I", STRUCK_OFF, D(2025, 11, 15))]))
    assert s.text.startswith("Trzeba unieważnić zamówienie (W trakcie): student stracił uprawnienia.")


@covers("PENDING_MC")
def test_revocation_waiting_for_mc_is_confirmed_by_a_refresh():
    found = steps(Ord(S.ODEBRANA, pending=PendingAction.REVOKE), programmes=[prog("I", STRUCK_OFF, D(2025, 11, 15))])
    s = row("PENDING_MC", found)
    assert s.text.startswith("Unieważnienie zapisano; czeka na potwierdzenie systemu MC")
    assert "„Unieważnione przez uczelnię”" in s.text
    assert "REVOKE_LOST_RIGHT" not in [x.code for x in found]  # asked already: not asked again


@pytest.mark.parametrize("code", sorted(MC_ERROR_CODES))
@covers("ERROR")
def test_an_order_in_error_says_what_the_code_means_and_who_acts(code: str):
    s = row("ERROR", steps(Ord(S.BLAD, error_code=code)))
    known = MC_ERROR_CODES[code]
    assert f"błędem {code}: {known.meaning}." in s.text
    assert f"Kto działa: {known.who.label}: {known.fix}." in s.text
    assert s.text.endswith("student składa nowe zamówienie (w USOSweb albo w aplikacji Mobilny USOS).")


def test_who_acts_on_the_codes_the_office_meets():
    assert mc_error("PESEL_MISMATCH").who is Who.OFFICE  # the office corrects the register's data
    assert mc_error("PHOTO_REJECTED").who is Who.STUDENT  # a new photo
    assert mc_error("pesel_mismatch") is MC_ERROR_CODES["PESEL_MISMATCH"]


@covers("ERROR")
def test_an_unknown_error_code_gets_the_generic_line():
    s = row("ERROR", steps(Ord(S.BLAD, error_code="XYZ_NEW")))
    assert f"błędem XYZ_NEW: {UNKNOWN.meaning}." in s.text and "obsłudze systemu MC" in s.text


@covers("ERROR")
def test_an_error_beside_a_gap_in_the_register_says_both_fixes():
    found = steps(Ord(S.BLAD, error_code="PHOTO_REJECTED"), person=PersonFacts("44051401359", "1", False))
    s = row("ERROR", found)
    assert "Kto działa: student: dostarcza nowe zdjęcie" in s.text and "gdy znikną też powody powyżej" in s.text
    assert [x.code for x in found] == ["NO_PHOTO", "ERROR"]


@covers("ERROR")
def test_fig15_an_error_beside_a_student_who_may_not_order_again():
    found = steps(Ord(S.BLAD, ordered=D(2025, 5, 4), expiry=D(2025, 8, 12), error_code="PHOTO_REJECTED"),
                  programmes=[prog("II", GRADUATED, D(2025, 8, 12))])
    s = row("ERROR", found)
    assert "błędem PHOTO_REJECTED: zdjęcie nie spełnia wymagań dokumentu." in s.text
    assert "Poprawiać nic nie trzeba" in s.text and "Kto działa" not in s.text


@covers("CARD_EXPIRED")
def test_expired_card_is_past_and_a_new_one_may_be_ordered():
    s = row("CARD_EXPIRED", steps(Ord(S.ODEBRANA, ordered=D(2025, 4, 1), expiry=D(2025, 10, 31))))
    assert s.text.startswith("mLegitymacja wygasła 31.10.2025: student może zamówić nową")


@covers("CARD_EXPIRED")
def test_expired_card_of_a_student_who_may_not_order():
    found = steps(Ord(S.ODEBRANA, expiry=D(2025, 10, 31)), person=PersonFacts("44051401359", "1", False))
    assert row("CARD_EXPIRED", found).text.endswith("gdy znikną powody powyżej.")


@covers("MAY_ORDER")
def test_may_order_after_a_cancelled_order():
    s = row("MAY_ORDER", steps(Ord(S.ANULOWANE_PRZEZ_UZYTKOWNIKA)))
    assert s.text == "Student może zamówić mLegitymację (w USOSweb albo w aplikacji Mobilny USOS)."


@covers("GRADUATE_UNTIL")
def test_graduate_may_order_until_31_october():
    found = steps(programmes=[prog("I", GRADUATED, D(2025, 7, 10))], today=D(2025, 9, 3),
                  now=dt.datetime(2025, 9, 3, 10, tzinfo=TZ))
    assert [s.code for s in found] == ["MAY_ORDER", "GRADUATE_UNTIL"]
    s = row("GRADUATE_UNTIL", found)
    assert "Absolwent studiów I stopnia (ukończenie 10.07.2025)" in s.text
    assert "prawo do mLegitymacji trwa do 31.10.2025" in s.text


def test_every_row_of_the_table_has_its_test():
    assert {r.code for r in ROWS} == COVERED
    assert len({r.code for r in ROWS}) == len(ROWS)


# --- the current order and the marks of what ran out --------------------------------------------

def test_the_current_order_is_the_newest_in_force_else_the_newest():
    expired_card = (S.ODEBRANA, Lapse.CARD_EXPIRED)
    cancelled = (S.ANULOWANE_PRZEZ_UZYTKOWNIKA, None)
    # A card past its expiry is not current when a newer order exists, even an ended one.
    assert current_index([cancelled, expired_card]) == 0
    assert current_index([expired_card, cancelled]) == 0
    # A live order wins over newer ended ones; expired codes still need the student to act.
    assert current_index([cancelled, (S.ODEBRANA, None)]) == 1
    assert current_index([cancelled, (S.DO_ODBIORU, Lapse.CODES_EXPIRED)]) == 1
    assert current_index([]) is None
    assert not in_force(*expired_card) and in_force(S.DO_ODBIORU, Lapse.CODES_EXPIRED)


def test_a_card_is_valid_through_its_expiry_day_and_codes_until_their_instant():
    assert lapse_of(S.ODEBRANA, TODAY, None, TODAY, NOW) is None
    assert lapse_of(S.ODEBRANA, TODAY - dt.timedelta(days=1), None, TODAY, NOW) is Lapse.CARD_EXPIRED
    assert lapse_of(S.DO_ODBIORU, TODAY, NOW, TODAY, NOW) is None
    assert lapse_of(S.DO_ODBIORU, TODAY, NOW - dt.timedelta(seconds=1), TODAY, NOW) is Lapse.CODES_EXPIRED
    # Only a picked-up card expires, only codes of an order ready for pickup run out.
    assert lapse_of(S.UNIEWAZNIONE_PRZEZ_UCZELNIE, D(2020, 1, 1), None, TODAY, NOW) is None
    assert lapse_of(S.ANULOWANE_PRZEZ_UZYTKOWNIKA, TODAY, NOW - dt.timedelta(days=9), TODAY, NOW) is None


def test_the_status_column_marks_what_ran_out_and_fits_80_columns():
    assert status_text(S.ODEBRANA, Lapse.CARD_EXPIRED) == "Odebrana (wygasła)"
    assert status_text(S.DO_ODBIORU, Lapse.CODES_EXPIRED) == "Do odbioru (kody wygasły)"
    assert status_text(S.ODEBRANA) == "Odebrana"
    full = max(len(s.label) for s in OrderStatus)
    short = max(len(s.short_label) for s in OrderStatus)
    for lapse in Lapse:
        assert len(status_text(S.DO_ODBIORU, lapse)) <= full
        assert len(status_text(S.DO_ODBIORU, lapse, short=True)) <= short


def test_which_date_an_order_shows():
    assert validity_label(S.ODEBRANA) == "Data ważności"
    assert validity_label(S.ODEBRANA, Lapse.CARD_EXPIRED) == "Data ważności (wygasła)"
    assert validity_label(S.OCZEKUJE) == validity_label(S.BLAD) == "Planowana data ważności mLegitymacji"
    assert validity_label(S.UNIEWAZNIONE_PRZEZ_UCZELNIE) is None  # figures 13-14: no date
    assert validity_label(S.ANULOWANE_PRZEZ_UZYTKOWNIKA) is None  # figure 9


def test_every_error_code_mc_and_the_gateway_send_is_known():
    from mleg_tui.demo.names import MC_ERRORS
    from mleg_tui.simulator.state import BLAD_REASONS

    sent = {code for code, _ in BLAD_REASONS} | {code for code, _ in MC_ERRORS}
    # MC-API.md's 400 codes, upper-cased, and what is stored when MC gives none.
    sent |= {"PARAM_INVALID", "PARAM_MISSING", "REJECTED", "BLAD"}
    assert sent <= set(MC_ERROR_CODES)
