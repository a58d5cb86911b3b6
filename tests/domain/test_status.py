"""The seven statuses of the manual (figure 5) and the transitions the rules allow."""
from __future__ import annotations

import itertools

import pytest

from mleg_tui.domain.status import (
    IllegalTransition,
    OrderStatus,
    can_transition,
    check_transition,
    parse_status,
    reachable,
)
from mleg_tui.errors import MlegError, UserError

S = OrderStatus

# The manual's labels and the legal changes, written out here on their own so the code is checked
# against the text.
EXPECTED_LABELS = {
    "OCZEKUJE": "Oczekuje",
    "W_TRAKCIE": "W trakcie",
    "DO_ODBIORU": "Do odbioru",
    "ODEBRANA": "Odebrana",
    "BLAD": "Błąd",
    "ANULOWANE_PRZEZ_UZYTKOWNIKA": "Anulowane przez użytkownika",
    "UNIEWAZNIONE_PRZEZ_UCZELNIE": "Unieważnione przez uczelnię",
}
LIVE = ["OCZEKUJE", "W_TRAKCIE", "DO_ODBIORU", "ODEBRANA"]
ENDED_BY_PEOPLE = ["ANULOWANE_PRZEZ_UZYTKOWNIKA", "UNIEWAZNIONE_PRZEZ_UCZELNIE"]
LEGAL = {
    ("OCZEKUJE", "W_TRAKCIE"),
    ("W_TRAKCIE", "DO_ODBIORU"),
    ("DO_ODBIORU", "ODEBRANA"),
    ("OCZEKUJE", "BLAD"),
    ("W_TRAKCIE", "BLAD"),
    *((live, end) for live in LIVE for end in ENDED_BY_PEOPLE),
}
ALL_PAIRS = list(itertools.product(EXPECTED_LABELS, EXPECTED_LABELS))


def test_fig5_seven_statuses_with_codes_and_polish_labels():
    assert {s.value: s.label for s in OrderStatus} == EXPECTED_LABELS


def test_fig5_every_status_has_the_manuals_explanation():
    assert S.OCZEKUJE.meaning.startswith("użytkownik złożył zamówienie, uczelnia nie przekazała")
    assert "błędem" in S.BLAD.meaning
    assert "utraty uprawnień" in S.UNIEWAZNIONE_PRZEZ_UCZELNIE.meaning
    assert all(s.meaning for s in OrderStatus)


def test_final_and_live_statuses():
    assert {s.value for s in OrderStatus if s.is_final} == {"BLAD", *ENDED_BY_PEOPLE}
    assert {s.value for s in OrderStatus if s.is_live} == set(LIVE)


@pytest.mark.parametrize(("old", "new"), sorted(LEGAL))
def test_legal_transition(old: str, new: str):
    assert can_transition(S(old), S(new))
    check_transition(S(old), S(new))  # does not raise


@pytest.mark.parametrize(("old", "new"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_transition_raises_a_clear_error(old: str, new: str):
    assert not can_transition(S(old), S(new))
    with pytest.raises(IllegalTransition) as info:
        check_transition(S(old), S(new))
    message = str(info.value)
    assert EXPECTED_LABELS[old] in message and EXPECTED_LABELS[new] in message
    if S(old).is_final:
        assert "końcowy" in message


def test_illegal_transition_is_a_user_error_front_ends_show_in_one_line():
    err = IllegalTransition(S.BLAD, S.W_TRAKCIE)
    assert isinstance(err, MlegError)  # what the CLI and the TUI catch and show
    assert "\n" not in str(err)


def test_mc_may_be_several_steps_ahead_but_never_backwards():
    # Between two refreshes the codes may be issued and used: W trakcie -> Odebrana.
    assert reachable(S.W_TRAKCIE, S.ODEBRANA)
    assert reachable(S.OCZEKUJE, S.ODEBRANA)
    assert reachable(S.OCZEKUJE, S.BLAD)
    assert not reachable(S.ODEBRANA, S.W_TRAKCIE)
    assert not reachable(S.DO_ODBIORU, S.BLAD)
    for final in ("BLAD", *ENDED_BY_PEOPLE):
        assert not any(reachable(S(final), s) for s in OrderStatus)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OCZEKUJE", S.OCZEKUJE),
        ("oczekuje", S.OCZEKUJE),
        ("w trakcie", S.W_TRAKCIE),
        ("W_TRAKCIE", S.W_TRAKCIE),
        ("Do odbioru", S.DO_ODBIORU),
        ("Błąd", S.BLAD),
        ("blad", S.BLAD),
        ("Anulowane przez użytkownika", S.ANULOWANE_PRZEZ_UZYTKOWNIKA),
        ("unieważnione przez uczelnię", S.UNIEWAZNIONE_PRZEZ_UCZELNIE),
    ],
)
def test_status_typed_by_staff_as_code_or_label(text: str, expected: OrderStatus):
    assert parse_status(text) is expected


@pytest.mark.parametrize("text", ["", "ODEBRANE", "done", "W-TRAKCIE-X"])
def test_unknown_status_lists_the_allowed_codes(text: str):
    with pytest.raises(UserError) as info:
        parse_status(text)
    assert "Dozwolone" in str(info.value)
    assert "UNIEWAZNIONE_PRZEZ_UCZELNIE" in str(info.value)
