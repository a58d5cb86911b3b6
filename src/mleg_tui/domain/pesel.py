"""PESEL validation (length, digits, checksum, the encoded birth date) and masking."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
# Month offset -> century of birth.
_CENTURY = {0: 1900, 20: 2000, 40: 2100, 60: 2200, 80: 1800}


@dataclass(frozen=True)
class PeselCheck:
    ok: bool
    problem: str | None = None  # Polish text of what is wrong
    birth_date: dt.date | None = None


def _digits(text: str) -> bool:
    # str.isdigit() also accepts full-width, superscript and other scripts' digits.
    return text.isascii() and text.isdigit()


def birth_date_of(pesel: str) -> dt.date | None:
    """The birth date encoded in a PESEL, or None when it is not a real date."""
    if len(pesel) != 11 or not _digits(pesel):
        return None
    yy, mm, dd = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    offset = (mm // 20) * 20
    century = _CENTURY.get(offset)
    if century is None:
        return None
    try:
        return dt.date(century + yy, mm - offset, dd)
    except ValueError:
        return None


def checksum_ok(pesel: str) -> bool:
    if len(pesel) != 11 or not _digits(pesel):
        return False
    total = sum(int(c) * w for c, w in zip(pesel[:10], _WEIGHTS))
    return (10 - total % 10) % 10 == int(pesel[10])


def check_pesel(pesel: str, birth_date: dt.date | None = None) -> PeselCheck:
    """Validate a PESEL; when the birth date is known, it must agree with the PESEL."""
    if len(pesel) != 11:
        return PeselCheck(False, f"ma {len(pesel)} znaków zamiast 11")
    if not _digits(pesel):
        return PeselCheck(False, "zawiera znaki inne niż cyfry")
    born = birth_date_of(pesel)
    if born is None:
        return PeselCheck(False, "błędna data urodzenia w numerze")
    if not checksum_ok(pesel):
        return PeselCheck(False, "błędna cyfra kontrolna", born)
    if birth_date is not None and birth_date != born:
        return PeselCheck(False, "niezgodny z datą urodzenia", born)
    return PeselCheck(True, None, born)


def make_pesel(born: dt.date, serial: int, female: bool) -> str:
    """A valid PESEL for a birth date (for demo data and tests). serial: 0..999."""
    offset = {v: k for k, v in _CENTURY.items()}[born.year // 100 * 100]
    sex_digit = (serial % 5) * 2 + (0 if female else 1)
    body = f"{born.year % 100:02d}{born.month + offset:02d}{born.day:02d}{serial % 1000:03d}{sex_digit}"
    total = sum(int(c) * w for c, w in zip(body, _WEIGHTS))
    return body + str((10 - total % 10) % 10)


def pesel_shaped(text: str) -> bool:
    """Eleven digits: what a clerk typing a PESEL types (the checksum is not asked: a
    PESEL stored with a typo must be found as it is stored)."""
    return len(text) == 11 and _digits(text)


def mask(pesel: str | None) -> str | None:
    """Only the last four digits: enough to compare with the student's document."""
    if not pesel:
        return None
    return "*" * max(len(pesel) - 4, 0) + pesel[-4:]


_ELEVEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])")


def mask_in(text: str) -> str:
    """`text` with every run of eleven digits (a PESEL, maybe) masked: for messages that
    quote what was typed."""
    return _ELEVEN_DIGITS.sub(lambda m: mask(m.group()) or "", text)
