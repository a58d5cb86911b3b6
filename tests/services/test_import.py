"""Import of persons and enrolments from the register's CSV: all or nothing, every bad line named."""
from __future__ import annotations

import datetime as dt

import pytest

from mleg_tui.errors import UserError
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.importer import COLUMNS, ImportRejected, import_csv
from mleg_tui.services.orders import find_orders
from mleg_tui.services.students import student_view
from mleg_tui.services.types import OrderQuery
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
