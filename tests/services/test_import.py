"""Import of persons and enrolments from the register's CSV: all or nothing, every bad line named."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
from pathlib import Path

import pytest

from mleg_tui.errors import UserError
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.importer import COLUMNS, ImportRejected, import_csv
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import find_orders
from mleg_tui.services.students import student_view
from support.cli import cli_environment, mleg_command
from support.register import csv_text, enrolment
from support.stores import store_dump, store_sql

D = dt.date
HEADER = ",".join(COLUMNS)


def dump(store: str) -> list[object]:
    """Everything in the store (on either database), read from outside the program."""
    return store_dump(store)


def persons(store: str) -> list[tuple]:
    return store_sql(store, "SELECT external_id, album, first_name, last_name, has_photo FROM person "
                            "ORDER BY external_id")


GOOD = [
    enrolment("P1", "100001", "Karolina", "Bachta"),
    enrolment("P2", "100002", "Łukasz", "Żółkiewski", birth_date="2001-07-21",
              programme_code="INF-S1"),
    enrolment("P2", "100002", "Łukasz", "Żółkiewski", birth_date="2001-07-21",
              programme_code="MAT-S1", programme_name="Matematyka"),
    enrolment("P3", None, "Grzegorz", "Szymański", pesel=None, has_photo="false", level="DR"),
]


@pytest.fixture
def good_store(ctx: Context, write_csv, store_url: str) -> Context:  # type: ignore[no-untyped-def]
    report = import_csv(ctx, write_csv(GOOD))
    assert (report.persons_added, report.enrolments_added, report.bad) == (3, 4, [])
    return ctx


def test_good_file_adds_persons_and_enrolments(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    report = import_csv(ctx, write_csv(GOOD))
    assert (report.persons_added, report.persons_updated, report.enrolments_added) == (3, 0, 4)
    assert report.summary() == (
        "Osoby: dodano 3, zaktualizowano 0, bez zmian 0. "
        "Programy: dodano 4, zaktualizowano 0, usunięto 0, bez zmian 0."
    )
    v = student_view(ctx, album="100002")
    assert v.name == "Łukasz Żółkiewski" and v.birth_date == D(2001, 7, 21)
    assert [p.code for p in v.programmes] == ["INF-S1", "MAT-S1"]
    assert v.verdict.eligible and v.verdict.planned_expiry == D(2025, 10, 31)


def test_importing_the_same_file_again_changes_nothing(good_store: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    before = dump(store_url)
    report = import_csv(good_store, write_csv(GOOD, name="again.csv"))
    assert (report.persons_added, report.persons_updated, report.persons_unchanged) == (0, 0, 3)
    assert (report.enrolments_added, report.enrolments_updated, report.enrolments_unchanged) == (0, 0, 4)
    assert dump(store_url) == before


def test_fig12_13_reimport_after_strike_off_updates_the_student(good_store: Context, write_csv):  # type: ignore[no-untyped-def]
    actions.place_order(good_store, "100001")
    struck = enrolment("P1", "100001", "Karolina", "Bachta", programme_status="STRUCK_OFF",
                       status_date="02.09.2025")
    report = import_csv(good_store, write_csv([struck], name="after-strike-off.csv"))
    assert (report.persons_unchanged, report.enrolments_updated) == (1, 1)
    v = student_view(good_store, album="100001")
    (p,) = v.programmes
    assert (p.status.value, p.status_date) == ("STRUCK_OFF", D(2025, 9, 2))
    assert [r.code for r in v.verdict.reasons] == ["NO_ENTITLING_PROGRAMME", "ORDER_IN_PROGRESS"]
    assert len(v.orders) == 1  # the order stays, for the sweep to revoke


def test_a_persons_rows_replace_their_enrolments_and_absent_persons_are_untouched(
    good_store: Context, write_csv, store_url: str  # type: ignore[no-untyped-def]
):
    others = persons(store_url)
    only_inf = enrolment("P2", "100002", "Łukasz", "Żółkiewski", birth_date="2001-07-21")
    report = import_csv(good_store, write_csv([only_inf], name="p2.csv"))
    assert (report.enrolments_removed, report.enrolments_unchanged) == (1, 1)
    assert [p.code for p in student_view(good_store, album="100002").programmes] == ["INF-S1"]
    assert persons(store_url) == others
    assert [p.code for p in student_view(good_store, album="100001").programmes] == ["INF-S1"]
    assert student_view(good_store, album="100001").name == "Karolina Bachta"


def test_a_changed_name_and_album_reach_the_order_list(good_store: Context, write_csv):  # type: ignore[no-untyped-def]
    actions.place_order(good_store, "100001")
    married = enrolment("P1", "100901", "Karolina", "Nowak-Bachta")
    report = import_csv(good_store, write_csv([married], name="married.csv"))
    assert report.persons_updated == 1
    (row,) = find_orders(good_store, OrderQuery(text="nowak"))
    assert (row.person, row.album) == ("Karolina Nowak-Bachta", "100901")
    assert find_orders(good_store, OrderQuery(text="100001")) == []


def test_an_album_number_may_pass_from_one_person_to_another_in_one_file(good_store: Context, write_csv):  # type: ignore[no-untyped-def]
    rows = [enrolment("P1", "100777", "Karolina", "Bachta"),
            enrolment("P4", "100001", "Maria", "Mazur")]
    report = import_csv(good_store, write_csv(rows, name="swap.csv"))
    assert (report.persons_added, report.persons_updated) == (1, 1)
    assert student_view(good_store, album="100001").name == "Maria Mazur"
    assert student_view(good_store, album="100777").name == "Karolina Bachta"


def test_an_album_number_another_person_keeps_is_refused(good_store: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    before = dump(store_url)
    with pytest.raises(ImportRejected) as info:
        import_csv(good_store, write_csv([enrolment("P9", "100001", "Maria", "Mazur")], name="x.csv"))
    assert [(b.line, b.reason) for b in info.value.bad] == [(2, "numer albumu 100001 ma w bazie osoba P1")]
    assert dump(store_url) == before


BAD_FILE_LINES = [
    (enrolment("P1", "100001"), None),  # line 2: good
    (enrolment("P2", "100002", level="III"), "nieznany poziom „III”"),  # 3
    (enrolment("P3", "100003", birth_date="31.02.2003"), "birth_date: „31.02.2003”: nie ma takiego dnia"),  # 4
    (enrolment("P4", "100004", planned_end_date="2027/09/30"), "planned_end_date: „2027/09/30” nie jest datą"),  # 5
    (enrolment("P5", "100005"), None),  # 6: good on its own...
    (enrolment("P5", "100005", first_name="Katarzyna", programme_code="MAT-S1"),
     "osoba P5: first_name inne niż w wierszu 6"),  # 7: ...but disagrees with this one
    (enrolment("P6", "100001", "Maria", "Mazur"), "numer albumu 100001 ma też osoba P1"),  # 8
    (enrolment("P7", "100007", has_photo="może"), "has_photo „może”"),  # 9
    (enrolment("P8", "100008", programme_status="EXPELLED"), "nieznany status programu „EXPELLED”"),  # 10
    (enrolment("P9", "100009", programme_status="GRADUATED"), "status GRADUATED wymaga daty status_date"),  # 11
    (enrolment("", "100010"), "brak wartości w kolumnie person_id"),  # 12
    (enrolment("P11", "100011"), None),  # 13
    (enrolment("P11", "100011"), "osoba P11: program INF-S1 powtórzony (wiersz 13)"),  # 14
]


def test_bad_file_imports_nothing_and_names_every_bad_line(ctx: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    text = csv_text(r for r, _ in BAD_FILE_LINES)
    # A line with a wrong field count, and a blank line that still counts as a line.
    text += "P12,100012,Jan,Kowalski,true\n\n" + csv_text([enrolment("P13", "100013")]).split("\n", 1)[1]
    path = write_csv(text)
    before = dump(store_url)
    with pytest.raises(ImportRejected) as info:
        import_csv(ctx, path)
    expected = [(n, why) for n, (_, why) in enumerate(BAD_FILE_LINES, start=2) if why]
    expected.append((15, "5 pól zamiast 13"))
    got = [(b.line, b.reason) for b in info.value.bad]
    assert [n for n, _ in got] == [n for n, _ in expected]
    for (_, reason), (_, why) in zip(got, expected):
        assert why in reason
    message = str(info.value)
    assert "nic nie zmieniono" in message and "--skip-invalid" in message
    assert "wiersz 3: nieznany poziom „III” (dozwolone: I, II, JM, DR, PD)" in message
    assert dump(store_url) == before


def test_skip_invalid_imports_the_good_persons_and_lists_the_bad(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    report = import_csv(ctx, write_csv(r for r, _ in BAD_FILE_LINES), skip_invalid=True)
    assert [b.line for b in report.bad] == [n for n, (_, why) in enumerate(BAD_FILE_LINES, start=2) if why]
    # P1 only: every other person has a bad row (P5 and P11 on one of two), and a person
    # is taken whole or not at all. The row without a person id is nobody's.
    assert report.persons_added == 1 and report.enrolments_added == 1
    assert report.persons_skipped == 9
    assert "Pominięto 9 osób z błędnymi wierszami." in report.summary()
    assert student_view(ctx, album="100001").name == "Karolina Bachta"
    for album in ("100005", "100011", "100002"):
        with pytest.raises(UserError):
            student_view(ctx, album=album)


def test_skip_invalid_never_half_replaces_a_persons_programmes(good_store: Context, write_csv):  # type: ignore[no-untyped-def]
    # Łukasz studies INF-S1 and MAT-S1. The new file has his INF-S1 row right and his
    # MAT-S1 row wrong: taking the good row alone would silently drop MAT-S1.
    rows = [enrolment("P2", "100002", "Łukasz", "Żółkiewski", birth_date="2001-07-21"),
            enrolment("P2", "100002", "Łukasz", "Żółkiewski", birth_date="2001-07-21",
                      programme_code="MAT-S1", level="magisterskie")]
    report = import_csv(good_store, write_csv(rows, name="half.csv"), skip_invalid=True)
    assert [b.line for b in report.bad] == [3] and report.persons_skipped == 1
    assert [p.code for p in student_view(good_store, album="100002").programmes] == ["INF-S1", "MAT-S1"]


def test_skip_invalid_leaves_an_album_with_a_person_left_out(good_store: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    # Karolina would give album 100001 up (to Maria) but her row is bad, so she keeps it:
    # Maria cannot take it, and the import must say so instead of failing in the database.
    rows = [enrolment("P1", "100901", "Karolina", "Bachta", birth_date="17.17.2003"),
            enrolment("P1", "100901", "Karolina", "Bachta", programme_code="MAT-S1"),
            enrolment("P9", "100001", "Maria", "Mazur")]
    report = import_csv(good_store, write_csv(rows, name="handover.csv"), skip_invalid=True)
    assert [(b.line, b.reason) for b in report.bad] == [
        (2, "birth_date: „17.17.2003”: nie ma takiego dnia"),
        (4, "numer albumu 100001 ma w bazie osoba P1"),
    ]
    assert student_view(good_store, album="100001").name == "Karolina Bachta"
    assert report.persons_added == 0 and report.persons_skipped == 2


def test_missing_column_is_refused_before_reading_rows(ctx: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    cols = [c for c in COLUMNS if c != "has_photo"]
    with pytest.raises(UserError, match=r"w nagłówku \(wiersz 1\) brak kolumn: has_photo"):
        import_csv(ctx, write_csv(csv_text([enrolment()], columns=cols)))
    assert persons(store_url) == []


def test_non_utf8_file_is_refused_with_the_line(ctx: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    text = csv_text([enrolment("P1", "100001"), enrolment("P2", "100002", "Łukasz", "Żółkiewski")])
    with pytest.raises(UserError, match=r"nie jest zapisany w UTF-8 \(wiersz 3\)"):
        import_csv(ctx, write_csv(text, encoding="cp1250"))
    assert persons(store_url) == []


def test_empty_file_is_refused(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match="jest pusty"):
        import_csv(ctx, write_csv(""))


def test_unclosed_quote_is_reported_where_the_record_starts(ctx: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    text = (HEADER + "\n"
            + 'P1,100001,Anna,"Nowak,44051401359,1944-05-14,true,INF-S1,Informatyka,I,ACTIVE,,2027-09-30\n'
            + csv_text([enrolment("P2", "100002")]).split("\n", 1)[1]
            + csv_text([enrolment("P3", "100003")]).split("\n", 1)[1])
    with pytest.raises(ImportRejected) as info:
        import_csv(ctx, write_csv(text))
    ((line, reason),) = [(b.line, b.reason) for b in info.value.bad]
    assert line == 2 and "niezamknięty cudzysłów" in reason
    assert persons(store_url) == []


def test_office_dates_and_every_spelling_of_has_photo(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    spellings = {"true": True, "false": False, "1": True, "0": False, "tak": True, "nie": False,
                 "TAK": True, "False": False}
    rows = [
        enrolment(f"P{i}", f"10000{i}", f"Imię{i}", "Nowak", has_photo=text, birth_date="17.05.2003",
                  programme_status="GRADUATED", status_date="10.07.2025", planned_end_date="30.09.2025")
        for i, text in enumerate(spellings)
    ]
    import_csv(ctx, write_csv(rows))
    for i, expected in enumerate(spellings.values()):
        v = student_view(ctx, album=f"10000{i}")
        assert v.has_photo is expected
        assert v.birth_date == D(2003, 5, 17)
        (p,) = v.programmes
        assert (p.status_date, p.planned_end) == (D(2025, 7, 10), D(2025, 9, 30))
        assert p.entitles_until == D(2025, 10, 31)  # a 1st-cycle graduate until 31 October


def test_semicolon_file_from_a_spreadsheet_with_bom(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    text = csv_text([enrolment("P1", "100001", "Zofia", "Wójcik")]).replace(",", ";")
    import_csv(ctx, write_csv("\ufeff" + text))
    assert student_view(ctx, album="100001").name == "Zofia Wójcik"


def test_empty_album_and_pesel_are_stored_as_missing(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    import_csv(ctx, write_csv([enrolment("P1", "100001", pesel=None), enrolment("P2", None, "Jan", "Nowak")]))
    v = student_view(ctx, album="100001")
    assert v.pesel_masked is None
    assert [r.code for r in v.verdict.reasons] == ["NO_PESEL"]


def test_a_bad_pesel_is_stored_as_it_came_and_shown_as_a_reason(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    import_csv(ctx, write_csv([enrolment("P1", "100001", pesel="44051401358", birth_date="1944-05-14")]))
    v = student_view(ctx, album="100001")
    assert v.pesel_masked == "*******1358"
    assert [r.text for r in v.verdict.reasons] == ["nieprawidłowy numer PESEL (błędna cyfra kontrolna)"]


# --- a file that cannot be read to the end: nothing imported, nobody half-replaced ---------

def _data_line(row: dict[str, str]) -> str:
    return csv_text([row]).split("\n", 1)[1]


# Each breaks one line so that the csv module cannot tell where the rows after it start.
BROKEN_LINES = {
    "unclosed quote": ('P1,100001,Karolina,"Bachta,44051401359,1944-05-14,true,INF-S1,'
                       'Informatyka,I,ACTIVE,,2027-09-30\n', "niezamknięty cudzysłów"),
    "field over the csv limit": ('P1,100001,Karolina,"' + "B" * 140_000 + '",44051401359,1944-05-14,'
                                 'true,INF-S1,Informatyka,I,ACTIVE,,2027-09-30\n', "pole dłuższe niż"),
    "a field too many": ("P1,100001,Karolina,Bachta,,44051401359,1944-05-14,true,INF-S1,Informatyka,"
                         "I,ACTIVE,,2027-09-30\n", "14 pól zamiast 13"),
    "CR inside a field": ("P1,100001,Karolina,Bach\rta,44051401359,1944-05-14,true,INF-S1,Informatyka,"
                          "I,ACTIVE,,2027-09-30\n", "CR"),
}


@pytest.mark.parametrize("skip_invalid", [False, True], ids=["all-or-nothing", "skip-invalid"])
@pytest.mark.parametrize("kind", list(BROKEN_LINES))
def test_a_line_that_cannot_be_read_imports_nothing_even_with_skip_invalid(
    good_store: Context, write_csv, store_url: str, kind: str, skip_invalid: bool  # type: ignore[no-untyped-def]
):
    # Łukasz studies INF-S1 and MAT-S1; his rows come before and after the broken line.
    # Reading on after it would import his INF-S1 row alone and remove MAT-S1.
    broken, why = BROKEN_LINES[kind]
    text = (HEADER + "\n"
            + _data_line(enrolment("P2", "100002", "Łukasz", "Żółkiewski", birth_date="2001-07-21",
                                   programme_name="Informatyka stosowana"))
            + broken
            + _data_line(enrolment("P2", "100002", "Łukasz", "Żółkiewski", birth_date="2001-07-21",
                                   programme_code="MAT-S1", programme_name="Matematyka"))
            + _data_line(enrolment("P4", "100004", "Maria", "Mazur")))
    before = dump(store_url)
    with pytest.raises(ImportRejected) as info:
        import_csv(good_store, write_csv(text, name="broken.csv"), skip_invalid=skip_invalid)
    assert info.value.broken is not None and info.value.broken.line == 3
    assert why in info.value.broken.reason
    message = str(info.value)
    assert "od wiersza 3" in message and "--skip-invalid tu nie pomoże" in message
    assert "wiersz 3:" in message and "nic nie zmieniono" in message
    assert dump(store_url) == before


CORRUPTIONS = {
    "unclosed quote": lambda line: line.replace(",Nowak", ',"Nowak', 1),
    "a field too many": lambda line: line.replace(",Nowak", ",Nowak,", 1),
    "a field missing": lambda line: line.replace(",Nowak", "", 1),
    "field over the csv limit": lambda line: line.replace(",Nowak", ',"' + "N" * 140_000 + '"', 1),
    "NUL": lambda line: line.replace(",Nowak", ",No\0wak", 1),
    "escape sequence": lambda line: line.replace(",Nowak", ",\x1b[2JNowak", 1),
    "surname too long": lambda line: line.replace(",Nowak", "," + "Nowak" * 30, 1),
    "unknown level": lambda line: line.replace(",I,ACTIVE", ",III,ACTIVE", 1),
}


def test_no_person_is_ever_half_replaced(ctx: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    """Three persons of two programmes each, their rows interleaved; one line at a time is
    broken in every way above. Whatever happens, with or without --skip-invalid, each
    person's programmes in the store are either all as before or all as in the file."""
    def rows(name: str) -> list[dict[str, str]]:
        return [enrolment(pid, f"10000{n}", f"Osoba{n}", "Nowak", programme_code=code, programme_name=name)
                for code in ("INF-S1", "MAT-S1") for n, pid in enumerate(("A", "B", "C"), 1)]

    import_csv(ctx, write_csv(rows("stary"), name="old.csv"))
    lines = csv_text(rows("nowy")).splitlines(keepends=True)

    def programmes(pid: str) -> set[tuple[str, str]]:
        return set(store_sql(store_url, "SELECT e.programme_code, e.programme_name FROM enrolment e "
                                        "JOIN person p ON p.id = e.person_id WHERE p.external_id = ?", pid))

    new = {pid: {("INF-S1", "nowy"), ("MAT-S1", "nowy")} for pid in "ABC"}
    n = 0
    for kind, corrupt in CORRUPTIONS.items():
        for at in range(1, len(lines)):
            for skip_invalid in (False, True):
                n += 1
                text = "".join(corrupt(x) if i == at else x for i, x in enumerate(lines))
                before = {pid: programmes(pid) for pid in "ABC"}
                with contextlib.suppress(ImportRejected):
                    import_csv(ctx, write_csv(text, name=f"case-{n}.csv"), skip_invalid=skip_invalid)
                for pid in "ABC":
                    assert programmes(pid) in (before[pid], new[pid]), (kind, at + 1, skip_invalid, pid)
                # Back to the old programmes for the next case.
                import_csv(ctx, write_csv(rows("stary"), name=f"reset-{n}.csv"))


# --- lengths and characters: one set of limits, checked with the line ------------------------

def test_long_names_fit_and_longer_ones_are_refused_with_the_line(ctx: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    double = "Konstantynopolitańczykowianeczka-" * 3  # 99 characters, a Polish double name
    long_name = enrolment("P1", "100001", "Maria" + "a" * 95, double + "x")  # 100 characters each
    rows = [long_name,
            enrolment("P2", "100002", "Jan", "N" * 121),
            enrolment("P3", "100003", pesel="1" * 10_000),
            enrolment("P4", "100004", programme_code="K" * 10_000),
            enrolment("P5", "1" * 33),
            enrolment("P" * 65, "100006"),
            enrolment("P7", "100007", programme_name="Informatyka " * 30),
            enrolment("P8", "100008", level="I" * 10_000)]
    before = dump(store_url)
    with pytest.raises(ImportRejected) as info:
        import_csv(ctx, write_csv(rows))
    assert [(b.line, b.reason) for b in info.value.bad] == [
        (3, "last_name: 121 znaków, najwyżej 120"),
        (4, "pesel: 10000 znaków, najwyżej 32"),
        (5, "programme_code: 10000 znaków, najwyżej 64"),
        (6, "album: 33 znaków, najwyżej 32"),
        (7, "person_id: 65 znaków, najwyżej 64"),
        (8, "programme_name: 359 znaków, najwyżej 250"),  # as stripped
        (9, "level: 10000 znaków, najwyżej 64"),
    ]
    assert dump(store_url) == before
    report = import_csv(ctx, write_csv(rows, name="again.csv"), skip_invalid=True)
    # The 65-character person id names nobody (no person in the store can have it).
    assert report.persons_added == 1 and report.persons_skipped == 6
    assert student_view(ctx, album="100001").name == f"Maria{'a' * 95} {double}x"


HOSTILE = {
    "ESC": ("first_name", "Anna\x1b[2J", "first_name: znak sterujący U+001B w znaku 5"),
    "OSC 52": ("last_name", "Nowak\x1b]52;c;ZWNobyBoaQ==\x07", "last_name: znak sterujący U+001B w znaku 6"),
    "NUL": ("last_name", "No\0wak", "last_name: bajt zerowy (NUL) w znaku 3"),
    "C1 CSI": ("programme_name", "Informatyka\x9b2J", "programme_name: znak sterujący U+009B w znaku 12"),
    "backspace": ("album", "1000\x0801", "album: znak sterujący U+0008 w znaku 5"),
    "tab": ("first_name", "An\tna", "first_name: znak sterujący U+0009 w znaku 3"),
    "bidi override": ("last_name", "Nowak\u202ekawoN", "last_name: znak sterujący U+202E w znaku 6"),
    "bidi isolate": ("first_name", "\u2067Anna", "first_name: znak sterujący U+2067 w znaku 1"),
    "line separator": ("programme_code", "INF\u2028S1", "programme_code: znak sterujący U+2028 w znaku 4"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_control_characters_are_refused_with_the_line(ctx: Context, write_csv, store_url: str, case: str):  # type: ignore[no-untyped-def]
    column, value, why = HOSTILE[case]
    row = enrolment("P2", **{"album": "100002", column: value})  # type: ignore[arg-type]
    before = dump(store_url)
    with pytest.raises(ImportRejected) as info:
        import_csv(ctx, write_csv([enrolment("P1", "100001"), row]))
    ((line, reason),) = [(b.line, b.reason) for b in info.value.bad]
    assert line == 3 and reason.startswith(why)
    assert dump(store_url) == before


def test_letters_and_combining_marks_of_any_script_are_kept(ctx: Context, write_csv):  # type: ignore[no-untyped-def]
    names = [("Zofia", "Żółkiewska-Brzęczyszczykiewicz"), ("Zo\u0301fia", "Nowak"),  # a combining acute
             ("Anna Maria", "N'Diaye"), ("Олександра", "Шевченко"), ("Ἀλέξανδρος", "Παπαδόπουλος"),
             ("Иван", "Петров\u200d")]  # a zero-width joiner, as some scripts need
    import_csv(ctx, write_csv([enrolment(f"P{i}", f"10000{i}", first, last) for i, (first, last) in enumerate(names)]))
    for i, (first, last) in enumerate(names):
        assert student_view(ctx, album=f"10000{i}").name == f"{first} {last}"


# --- the header -----------------------------------------------------------------------------

def test_a_column_given_twice_in_the_header_is_refused(ctx: Context, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    text = HEADER + ",album\n" + _data_line(enrolment("P1", "100001")).rstrip("\n") + ",999999\n"
    with pytest.raises(UserError, match=r"w nagłówku \(wiersz 1\) powtórzone kolumny: album"):
        import_csv(ctx, write_csv(text))
    assert persons(store_url) == []


# --- what is read: a regular file, of a bounded size, a line at a time ---------------------

@pytest.mark.timeout(30)  # a FIFO once blocked for ever, /dev/zero ate the memory
def test_only_a_regular_file_is_read(ctx: Context, tmp_path: Path, store_url: str):  # type: ignore[no-untyped-def]
    fifo = tmp_path / "register.csv"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "potok (FIFO)"), (Path("/dev/zero"), "urządzenie"), (tmp_path, "katalog")):
        with pytest.raises(UserError, match=re.escape(f"{path} to {kind}, nie zwykły plik")):
            import_csv(ctx, path)
    assert persons(store_url) == []


def test_a_file_over_the_size_limit_is_refused_and_says_which_setting(make_ctx, write_csv, store_url: str):  # type: ignore[no-untyped-def]
    ctx = make_ctx(import_max_mb=1)
    rows = [enrolment(f"P{i}", str(100000 + i)) for i in range(12_000)]
    with pytest.raises(UserError, match=r"ma 1,1 MB, więcej niż pozwala ustawienie import_max_mb \(1 MB\)"):
        import_csv(ctx, write_csv(rows))
    assert persons(store_url) == []
    report = import_csv(make_ctx(import_max_mb=2), write_csv(rows, name="fits.csv"))
    assert report.persons_added == 12_000


@pytest.mark.timeout(120)
def test_memory_stays_flat_in_the_files_size(tmp_path: Path, isolated_env: Path):
    """`mleg-tui import` of 3,000 and of 30,000 rows: the same peak memory (it was
    +70 MB per 10,000 rows when the whole file was read and kept)."""
    def peak(n: int) -> int:
        path = tmp_path / f"register-{n}.csv"
        path.write_text(csv_text(enrolment(f"P{i}", str(100000 + i), "Anna", f"Nowak{i}") for i in range(n)),
                        encoding="utf-8")
        env = cli_environment(tmp_path / f"store-{n}.db", isolated_env)
        proc = subprocess.Popen([*mleg_command(), "import", str(path)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode == 0
        return usage.ru_maxrss * 1024

    small, large = peak(3000), peak(30_000)
    assert large - small < 10 * 2**20, (small, large)
