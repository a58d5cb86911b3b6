"""Who may order an mLegitymacja and until when: the manual's figures 4-17, rule by rule."""
from __future__ import annotations

import datetime as dt

import pytest

from mleg_tui.config import Settings
from mleg_tui.domain.eligibility import (
    BAD_PESEL,
    CARD_VALID,
    NO_ALBUM,
    NO_PESEL,
    NO_PHOTO,
    NO_PROGRAMME,
    ORDER_IN_PROGRESS,
    OrderFacts,
    PersonFacts,
    assess,
)
from mleg_tui.domain.rules import Level, Programme, ProgrammeStatus, ValidityRules, parse_month_day
from mleg_tui.domain.status import OrderStatus as S

D = dt.date
ACTIVE, GRADUATED, STRUCK_OFF = ProgrammeStatus.ACTIVE, ProgrammeStatus.GRADUATED, ProgrammeStatus.STRUCK_OFF
STUDENT = PersonFacts(pesel="44051401359", album="1234336607", has_photo=True)
RULES = ValidityRules()

NO_RIGHTS_TEXT = "nie masz uprawnień do mLegitymacji na żadnym z Twoich programów"


PLANNED_END = D(2027, 9, 30)


def prog(level: str = "I", status: ProgrammeStatus = ACTIVE, status_date: D | None = None,
         planned_end: D | None = PLANNED_END, code: str | None = None) -> Programme:
    return Programme(code or f"P-{level}", Level(level), status, status_date, planned_end)


def order(status: S, ordered: D, expiry: D | None = None) -> OrderFacts:
    return OrderFacts(status, dt.datetime.combine(ordered, dt.time(14, 12)), expiry)


def codes(verdict) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.code for r in verdict.reasons}


def expiry(programmes: list[Programme], today: D, rules: ValidityRules = RULES) -> D | None:
    return assess(STUDENT, programmes, [], today, rules).planned_expiry


# --- the manual's figures ------------------------------------------------------------------

def test_fig4_eligible_student_ordering_on_3_09_2025_gets_planned_expiry_31_10_2025():
    v = assess(STUDENT, [prog()], [], D(2025, 9, 3))
    assert v.eligible and v.reasons == ()
    assert v.planned_expiry == D(2025, 10, 31)
    assert v.sentence == "Spełniasz warunki uprawniające Cię do zamówienia mLegitymacji."


def test_fig6_no_photo_is_the_one_reason():
    person = PersonFacts("44051401359", "1234336607", has_photo=False)
    v = assess(person, [prog()], [], D(2025, 9, 3))
    assert not v.eligible
    assert [r.as_dict() for r in v.reasons] == [{"code": NO_PHOTO, "text": "brak zdjęcia"}]
    assert v.sentence == "Nie możesz zamówić mLegitymacji z następującego powodu: brak zdjęcia."


def test_fig13_struck_off_and_revoked_no_entitling_programme():
    struck = prog(status=STRUCK_OFF, status_date=D(2025, 9, 2))  # figure 12: SKR-102 on 2.09.2025
    revoked = order(S.UNIEWAZNIONE_PRZEZ_UCZELNIE, D(2025, 9, 3), D(2025, 10, 31))
    v = assess(STUDENT, [struck], [revoked], D(2025, 9, 10))
    assert not v.eligible
    assert [(r.code, r.text) for r in v.reasons] == [(NO_PROGRAMME, NO_RIGHTS_TEXT)]
    assert v.sentence == f"Nie możesz zamówić mLegitymacji z następującego powodu: {NO_RIGHTS_TEXT}."
    assert v.planned_expiry is None


def test_fig14_revoked_order_then_the_missing_pesel_is_the_reason():
    person = PersonFacts(pesel=None, album="100004", has_photo=True)
    revoked = order(S.UNIEWAZNIONE_PRZEZ_UCZELNIE, D(2025, 8, 29), D(2025, 10, 31))
    v = assess(person, [prog("II")], [revoked], D(2025, 9, 3))
    assert [(r.code, r.text) for r in v.reasons] == [(NO_PESEL, "brak numeru PESEL")]
    assert v.sentence == "Nie możesz zamówić mLegitymacji z następującego powodu: brak numeru PESEL."


def test_fig15_failed_order_beside_a_student_without_rights():
    # Ordered 26.06.2024 with planned expiry 23.08.2024; MC failed; later the right ended.
    failed = order(S.BLAD, D(2024, 6, 26), D(2024, 8, 23))
    graduated_2nd_cycle = prog("II", GRADUATED, D(2024, 7, 10), D(2024, 8, 23))
    v = assess(STUDENT, [graduated_2nd_cycle], [failed], D(2024, 9, 1))
    assert codes(v) == {NO_PROGRAMME}  # the failed order itself blocks nothing


def test_fig15_planned_expiry_23_08_2024_is_the_programme_end_capping_the_period():
    assert expiry([prog("II", planned_end=D(2024, 8, 23))], D(2024, 6, 26)) == D(2024, 8, 23)


def test_fig16_17_picked_up_card_expiring_within_30_days_allows_a_new_order():
    card = order(S.ODEBRANA, D(2020, 10, 7), D(2021, 7, 24))
    v = assess(STUDENT, [prog()], [card], D(2021, 7, 1))  # 23 days left
    assert v.eligible and v.renewal
    assert v.notes == (
        "Twoja mLegitymacja straci ważność w ciągu najbliższych 30 dni. "
        "Możesz zamówić nową i dodać ją do mObywatela.",
    )


def test_fig16_17_picked_up_card_valid_for_more_than_30_days_blocks_a_new_order():
    card = order(S.ODEBRANA, D(2020, 10, 7), D(2021, 7, 24))
    v = assess(STUDENT, [prog()], [card], D(2021, 6, 20))  # 34 days left
    assert not v.eligible and not v.renewal
    assert codes(v) == {CARD_VALID}
    assert "24.07.2021" in v.reasons[0].text
    assert v.notes == ()


@pytest.mark.parametrize(("today", "blocked"), [
    (D(2021, 6, 23), True),  # 31 days left
    (D(2021, 6, 24), False),  # 30 days left: "w ciągu najbliższych 30 dni"
    (D(2021, 7, 24), False),  # the last day of validity
])
def test_fig16_17_the_30_day_window_boundary(today: D, blocked: bool):
    card = order(S.ODEBRANA, D(2020, 10, 7), D(2021, 7, 24))
    v = assess(STUDENT, [prog()], [card], today)
    assert (CARD_VALID in codes(v)) is blocked
    assert v.renewal is not blocked


def test_fig16_17_expired_card_neither_blocks_nor_shows_the_renewal_note():
    card = order(S.ODEBRANA, D(2020, 10, 7), D(2021, 7, 24))
    v = assess(STUDENT, [prog()], [card], D(2021, 7, 25))
    assert v.eligible and not v.renewal and v.notes == ()


def test_fig16_17_renewal_window_is_configurable():
    card = order(S.ODEBRANA, D(2020, 10, 7), D(2021, 7, 24))
    v = assess(STUDENT, [prog()], [card], D(2021, 7, 1), ValidityRules(renewal_days=14))
    assert codes(v) == {CARD_VALID}


def test_fig16_17_a_new_order_already_placed_during_renewal_blocks_a_third():
    card = order(S.ODEBRANA, D(2020, 10, 7), D(2021, 7, 24))
    new = order(S.OCZEKUJE, D(2021, 7, 1))
    v = assess(STUDENT, [prog()], [card, new], D(2021, 7, 2))
    assert codes(v) == {ORDER_IN_PROGRESS}


@pytest.mark.parametrize("status", [S.OCZEKUJE, S.W_TRAKCIE, S.DO_ODBIORU])
def test_fig7_8_an_order_in_progress_blocks_a_new_one_and_says_which(status: S):
    v = assess(STUDENT, [prog()], [order(status, D(2025, 9, 3))], D(2025, 9, 4))
    assert codes(v) == {ORDER_IN_PROGRESS}
    assert status.label in v.reasons[0].text and "3.09.2025" in v.reasons[0].text


@pytest.mark.parametrize("status", [S.BLAD, S.ANULOWANE_PRZEZ_UZYTKOWNIKA, S.UNIEWAZNIONE_PRZEZ_UCZELNIE])
def test_fig9_ended_orders_do_not_block(status: S):
    # Figure 9: after cancelling, the page offers "Zamów mLegitymację" again.
    v = assess(STUDENT, [prog()], [order(status, D(2025, 9, 3), D(2025, 10, 31))], D(2025, 9, 4))
    assert v.eligible


def test_every_failing_reason_at_once():
    person = PersonFacts(pesel=None, album=None, has_photo=False)
    orders = [order(S.W_TRAKCIE, D(2025, 9, 1)), order(S.ODEBRANA, D(2025, 3, 2), D(2025, 10, 31))]
    v = assess(person, [prog("DR"), prog("PD")], orders, D(2025, 9, 3))
    assert codes(v) == {NO_PROGRAMME, NO_PESEL, NO_PHOTO, NO_ALBUM, ORDER_IN_PROGRESS, CARD_VALID}
    texts = {r.text for r in v.reasons}
    assert {NO_RIGHTS_TEXT, "brak numeru PESEL", "brak zdjęcia", "brak numeru albumu"} <= texts
    assert v.sentence.startswith("Nie możesz zamówić mLegitymacji z następujących powodów: ")
    for text in texts:
        assert text in v.sentence


def test_blank_album_and_pesel_count_as_missing():
    v = assess(PersonFacts(pesel="  ", album=" ", has_photo=True), [prog()], [], D(2025, 9, 3))
    assert codes(v) == {NO_PESEL, NO_ALBUM}


@pytest.mark.parametrize(("pesel", "born", "why"), [
    ("44051401358", None, "błędna cyfra kontrolna"),
    ("4405140135", None, "ma 10 znaków zamiast 11"),
    ("03222900123", None, "błędna data urodzenia w numerze"),
    ("44051401359", D(1944, 5, 15), "niezgodny z datą urodzenia"),
])
def test_a_bad_pesel_is_a_reason_of_its_own(pesel: str, born: D | None, why: str):
    v = assess(PersonFacts(pesel, "100001", True, born), [prog()], [], D(2025, 9, 3))
    assert codes(v) == {BAD_PESEL}
    assert v.reasons[0].text == f"nieprawidłowy numer PESEL ({why})"


# --- who is entitled -------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["I", "II", "JM"])
def test_fig5_active_first_second_and_long_cycle_students_are_entitled(level: str):
    assert assess(STUDENT, [prog(level)], [], D(2025, 9, 3)).eligible


@pytest.mark.parametrize("level", ["DR", "PD"])
def test_fig5_doctoral_and_postgraduate_programmes_do_not_count(level: str):
    v = assess(STUDENT, [prog(level)], [], D(2025, 9, 3))
    assert codes(v) == {NO_PROGRAMME}


def test_no_programme_at_all_means_no_rights():
    assert codes(assess(STUDENT, [], [], D(2025, 9, 3))) == {NO_PROGRAMME}


def test_fig5_first_cycle_graduate_keeps_the_right_until_31_october_of_that_year():
    graduate = prog("I", GRADUATED, D(2025, 7, 10), planned_end=D(2025, 7, 31))
    v = assess(STUDENT, [graduate], [], D(2025, 9, 3))
    assert v.eligible and v.planned_expiry == D(2025, 10, 31)
    assert assess(STUDENT, [graduate], [], D(2025, 10, 31)).eligible
    assert codes(assess(STUDENT, [graduate], [], D(2025, 11, 1))) == {NO_PROGRAMME}


def test_fig5_first_cycle_graduate_of_last_year_has_no_right():
    graduate = prog("I", GRADUATED, D(2024, 7, 10))
    assert codes(assess(STUDENT, [graduate], [], D(2025, 9, 3))) == {NO_PROGRAMME}


@pytest.mark.parametrize("level", ["II", "JM"])
def test_fig5_second_cycle_and_long_cycle_graduates_lose_the_right(level: str):
    graduate = prog(level, GRADUATED, D(2025, 7, 10))
    assert codes(assess(STUDENT, [graduate], [], D(2025, 9, 3))) == {NO_PROGRAMME}


@pytest.mark.parametrize("level", ["I", "II", "JM"])
def test_fig12_13_struck_off_student_has_no_right(level: str):
    struck = prog(level, STRUCK_OFF, D(2025, 9, 2))
    assert codes(assess(STUDENT, [struck], [], D(2025, 9, 3))) == {NO_PROGRAMME}


def test_fig12_strike_off_dated_in_the_future_has_not_happened_yet():
    struck = prog("I", STRUCK_OFF, D(2025, 9, 30))
    v = assess(STUDENT, [struck], [], D(2025, 9, 3))
    assert v.eligible and v.planned_expiry == D(2025, 10, 31)
    assert codes(assess(STUDENT, [struck], [], D(2025, 9, 30))) == {NO_PROGRAMME}


# --- the planned expiry date ---------------------------------------------------------------------

@pytest.mark.parametrize(("ordered", "expected"), [
    (D(2025, 3, 1), D(2025, 10, 31)),  # summer: 1 March ...
    (D(2025, 9, 3), D(2025, 10, 31)),  # (figure 4)
    (D(2025, 9, 30), D(2025, 10, 31)),  # ... to 30 September
    (D(2025, 10, 1), D(2026, 3, 31)),  # winter: 1 October ...
    (D(2025, 12, 31), D(2026, 3, 31)),
    (D(2026, 1, 15), D(2026, 3, 31)),
    (D(2026, 2, 28), D(2026, 3, 31)),  # ... to the end of February
    (D(2028, 2, 29), D(2028, 3, 31)),  # a leap day
    (D(2026, 3, 1), D(2026, 10, 31)),
])
def test_planned_expiry_is_the_end_of_the_winter_or_summer_period(ordered: D, expected: D):
    assert expiry([prog()], ordered) == expected


def test_planned_expiry_is_capped_by_the_programmes_planned_end():
    assert expiry([prog(planned_end=D(2026, 2, 28))], D(2025, 10, 15)) == D(2026, 2, 28)
    assert expiry([prog(planned_end=D(2025, 9, 30))], D(2025, 9, 3)) == D(2025, 9, 30)
    # A planned end after the period's end is no cap.
    assert expiry([prog(planned_end=D(2026, 9, 30))], D(2025, 10, 15)) == D(2026, 3, 31)


def test_planned_end_already_past_for_an_active_student_is_no_cap():
    # The register has not caught up with an extension: the student is still active.
    assert expiry([prog(planned_end=D(2025, 6, 30))], D(2025, 9, 3)) == D(2025, 10, 31)


def test_graduates_31_october_replaces_the_cap_and_the_period_end():
    # Graduated in February: the period would end 31 March, the programme ended already;
    # the right itself lasts until 31 October, and that is the expiry.
    graduate = prog("I", GRADUATED, D(2025, 2, 20), planned_end=D(2025, 2, 28))
    assert expiry([graduate], D(2025, 2, 25)) == D(2025, 10, 31)


def test_with_several_entitling_programmes_the_latest_date_wins():
    ending_soon = prog("I", planned_end=D(2025, 9, 20), code="MAT-S1")
    running = prog("II", planned_end=D(2027, 9, 30), code="INF-S2")
    doctoral = prog("DR", planned_end=D(2029, 9, 30), code="DR-INF")
    assert expiry([ending_soon, running, doctoral], D(2025, 9, 3)) == D(2025, 10, 31)
    assert expiry([ending_soon, doctoral], D(2025, 9, 3)) == D(2025, 9, 20)
    # Winter: a 1st-cycle graduate's 31 October beats an active programme's 31 March.
    graduate = prog("I", GRADUATED, D(2025, 2, 10), code="MAT-S1")
    assert expiry([graduate, running], D(2025, 2, 15)) == D(2025, 10, 31)
    struck = prog("JM", STRUCK_OFF, D(2025, 5, 1), code="PRAWO")
    assert expiry([struck, ending_soon], D(2025, 9, 3)) == D(2025, 9, 20)


def test_configurable_validity_period_ends():
    # A university whose periods end on 28 February and 30 September.
    rules = ValidityRules(periods=(((10, 1), (2, 28)), ((3, 1), (9, 30))))
    assert expiry([prog()], D(2025, 9, 3), rules) == D(2025, 9, 30)
    assert expiry([prog()], D(2025, 10, 1), rules) == D(2026, 2, 28)
    assert expiry([prog()], D(2028, 1, 5), rules) == D(2028, 2, 28)
    one_period = ValidityRules(periods=(((10, 1), (9, 30)),))
    assert expiry([prog(planned_end=None)], D(2025, 9, 3), one_period) == D(2025, 9, 30)
    assert expiry([prog(planned_end=None)], D(2025, 10, 1), one_period) == D(2026, 9, 30)


def test_configurable_graduate_day():
    rules = ValidityRules(graduate_until=(9, 30))
    graduate = prog("I", GRADUATED, D(2025, 7, 10))
    assert expiry([graduate], D(2025, 9, 3), rules) == D(2025, 9, 30)
    assert expiry([graduate], D(2025, 10, 1), rules) is None


def test_settings_give_the_rules(tmp_path):  # type: ignore[no-untyped-def]
    s = Settings(db=str(tmp_path / "x.db"), validity_periods=[("10-01", "02-28"), ("01.03", "30.09")],
                 graduate_until="09-30", renewal_days=14)
    assert s.rules == ValidityRules(periods=(((10, 1), (2, 28)), ((3, 1), (9, 30))),
                                    graduate_until=(9, 30), renewal_days=14)
    assert Settings(db=str(tmp_path / "x.db")).rules == ValidityRules()


@pytest.mark.parametrize("text", ["13-01", "02-30", "31", "x", "10/31"])
def test_a_bad_day_of_the_year_is_refused_clearly(text: str):
    with pytest.raises(ValueError, match="nie jest dniem roku"):
        parse_month_day(text)
