"""The register as the import reads it: rows of a CSV file (a person with one programme)
and the file's text, on the day of the manual's figures."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from mleg_tui.domain.dates import parse_date
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.services.importer import COLUMNS

# The day of the manual's figures 4-11: an order on 3.09.2025 expires on 31.10.2025.
TODAY = "2025-09-03"
TODAY_DATE = dt.date.fromisoformat(TODAY)


def pesel_for(born: dt.date, serial: int = 123, female: bool = True) -> str:
    return make_pesel(born, serial, female)


def enrolment(
    person_id: str = "P1",
    album: str | None = "100001",
    first_name: str = "Karolina",
    last_name: str = "Bachta",
    *,
    pesel: str | None = "",
    birth_date: str = "2003-05-17",
    has_photo: str = "true",
    programme_code: str = "INF-S1",
    programme_name: str = "Informatyka",
    level: str = "I",
    programme_status: str = "ACTIVE",
    status_date: str = "",
    planned_end_date: str = "2027-09-30",
) -> dict[str, str]:
    """One import row. `pesel=""` (default) means: a valid PESEL matching the birth date
    (when that is a real date); `pesel=None` means: no PESEL (empty column)."""
    if pesel == "":
        try:
            born = parse_date(birth_date)
        except ValueError:  # a row made to be refused for its date
            born = dt.date(2003, 5, 17)
        pesel = pesel_for(born)
    return {
        "person_id": person_id,
        "album": album or "",
        "first_name": first_name,
        "last_name": last_name,
        "pesel": pesel or "",
        "birth_date": birth_date,
        "has_photo": has_photo,
        "programme_code": programme_code,
        "programme_name": programme_name,
        "level": level,
        "programme_status": programme_status,
        "status_date": status_date,
        "planned_end_date": planned_end_date,
    }


def _quote(value: str) -> str:
    if any(c in value for c in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_text(rows: Iterable[Mapping[str, str]], columns: Iterable[str] = COLUMNS) -> str:
    cols = list(columns)
    lines = [",".join(cols)]
    lines += [",".join(_quote(str(r.get(c, ""))) for c in cols) for r in rows]
    return "\n".join(lines) + "\n"

