"""PESEL validation: length, digits, checksum, the encoded birth date."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from mleg_tui.domain.pesel import birth_date_of, check_pesel, checksum_ok, make_pesel

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def independent_checksum_ok(pesel: str) -> bool:
    """The checksum written out again here, so make_pesel is not checked against itself."""
    total = sum(int(c) * w for c, w in zip(pesel[:10], WEIGHTS))
    return (10 - total % 10) % 10 == int(pesel[10])


@pytest.mark.parametrize(
    ("pesel", "born"),
    [
        ("44051401359", dt.date(1944, 5, 14)),  # the textbook example
        ("02271409867", dt.date(2002, 7, 14)),  # born in the 2000s: month + 20
        ("00222901239", dt.date(2000, 2, 29)),  # 2000 was a leap year
        ("05323101230", dt.date(2005, 12, 31)),
        ("84810101232", dt.date(1884, 1, 1)),  # the 1800s: month + 80
    ],
)
def test_valid_pesel_and_its_birth_date(pesel: str, born: dt.date):
    check = check_pesel(pesel)
    assert check.ok and check.problem is None
    assert check.birth_date == born == birth_date_of(pesel)
    assert check_pesel(pesel, born).ok  # agrees with the register's birth date


@pytest.mark.parametrize(
    ("pesel", "problem"),
    [
        ("4405140135", "ma 10 znaków zamiast 11"),
        ("440514013599", "ma 12 znaków zamiast 11"),
        ("", "ma 0 znaków zamiast 11"),
        ("4405140135X", "zawiera znaki inne niż cyfry"),
        ("44 51401359", "zawiera znaki inne niż cyfry"),
        ("44051401358", "błędna cyfra kontrolna"),
        ("03222900123", "błędna data urodzenia"),  # 29.02.2003 does not exist
        ("00022901233", "błędna data urodzenia"),  # 1900 was not a leap year
        ("25130101236", "błędna data urodzenia"),  # month 13
        ("99010001235", "błędna data urodzenia"),  # day 0
    ],
)
def test_bad_pesel_says_what_is_wrong(pesel: str, problem: str):
    check = check_pesel(pesel)
    assert not check.ok
    assert check.problem is not None and problem in check.problem


@pytest.mark.parametrize("pesel", ["４４０５１４０１３５９", "44051401³59", "4405140135\u0669"])
def test_unicode_digits_are_not_digits_of_a_pesel(pesel: str):
    # Full-width, superscript and Arabic-Indic digits pass str.isdigit(); a PESEL is ASCII.
    check = check_pesel(pesel)
    assert not check.ok
    assert "cyfr" in (check.problem or "")
    assert birth_date_of(pesel) is None
    assert not checksum_ok(pesel)


def test_pesel_that_disagrees_with_the_registers_birth_date():
    check = check_pesel("44051401359", dt.date(1944, 5, 15))
    assert not check.ok
    assert check.problem == "niezgodny z datą urodzenia"


def test_checksum_alone():
    assert checksum_ok("44051401359")
    assert not checksum_ok("44051401350")
    assert not checksum_ok("4405140135")


def test_made_pesels_are_valid_for_every_century_and_sex():
    rng = random.Random(11)
    for _ in range(300):
        born = dt.date(1850, 1, 1) + dt.timedelta(days=rng.randrange(365 * 300))
        serial, female = rng.randrange(1000), rng.random() < 0.5
        pesel = make_pesel(born, serial, female)
        assert len(pesel) == 11 and pesel.isascii() and pesel.isdigit()
        assert independent_checksum_ok(pesel)
        assert check_pesel(pesel, born).ok
        assert (int(pesel[9]) % 2 == 0) is female  # the sex digit: even for women
