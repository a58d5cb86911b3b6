"""`mleg-tui audit` and `mleg-tui runs` from the shell (issue 13): who did what as text,
JSON and a CSV that Polish Excel opens (UTF-8 with a BOM, `;`, no formula); bad input is
one Polish line that changes nothing; only an administrator reads the audit."""
from __future__ import annotations

import csv
import io
import json

from mleg_tui.services import actions
from mleg_tui.services.context import os_login
from support.register import enrolment
from support.stores import store_sql

FORMULA = '=HYPERLINK("http://zly.example","kliknij")'


def _office(ctx, make_ctx, add_students) -> str:  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001", "Karolina", "Bachta"),
                 enrolment("P2", "100002", "Jan", "Wójcik", birth_date="2002-01-02"))
    anna = make_ctx(login="anna")
    actions.place_order(ctx, "100001")
    actions.place_order(ctx, "100002")
    actions.revoke_student(anna, "100001", FORMULA)
    return "anna"


def test_audit_as_text_json_and_a_csv_polish_excel_opens(ctx, make_ctx, add_students, cli, store_url) -> None:  # type: ignore[no-untyped-def]
    _office(ctx, make_ctx, add_students)
    text = cli("audit", "--login", "anna")
    assert text.returncode == 0, text
    (line,) = text.stdout.splitlines()
    assert " · anna · unieważnienie (Oczekuje → Unieważnione przez uczelnię) · UCZ-" in line
    assert "Karolina Bachta (100001) · powód: =HYPERLINK" in line

    data = json.loads(cli("audit", "--action", "złożenie zamówienia", "--json").stdout)
    assert [(e["action"], e["album"]) for e in data] == [("PLACED", "100002"), ("PLACED", "100001")]
    assert data[0]["real_time"] is True and data[0]["actor"] == "tester" and data[0]["order_ref"].startswith("UCZ-")

    raw = cli("audit", "--csv", "--student", "100001").stdout.encode("utf-8")  # as the file's bytes
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8's BOM: Excel reads it as UTF-8, not Windows-1250
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:4] == ["kiedy", "czas_zapisu", "czas_zdarzenia", "kto"] and len(rows) == 3
    revoked = dict(zip(rows[0], rows[1]))
    assert revoked["czynnosc"] == "unieważnienie" and revoked["osoba"] == "Karolina Bachta"
    assert revoked["powod"] == "'" + FORMULA  # shown as text, never run as a formula
    assert revoked["login"] == "anna" and revoked["czas_zapisu"] == "tak"
    assert revoked["czas_zdarzenia"].startswith("2025-09-03 ")  # the business time, beside the real one
    assert all(line.startswith('"') for line in raw.decode("utf-8-sig").splitlines())  # every cell quoted
    # Each export of the log is itself traced: who, which list, which filter, how many rows.
    traced = store_sql(store_url, "SELECT login, source, filter_text, rows, format FROM access_event ORDER BY id")
    assert traced == [(os_login(), "AUDIT", "dziennik zdarzeń: czynność: złożenie zamówienia", 2, "json"),
                      (os_login(), "AUDIT", "dziennik zdarzeń: student: 100001", 2, "csv")]


def test_a_viewers_export_is_in_the_audit_as_text_and_csv(ctx, make_ctx, add_students, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _office(ctx, make_ctx, add_students)
    out = tmp_path / "lista.csv"
    exported = cli("orders", "--csv", "--read-only", "--out", str(out), "--status", "OCZEKUJE")
    assert exported.returncode == 0 and out.exists(), exported
    raw = cli("audit", "--csv", "--login", os_login()).stdout
    rows = list(csv.DictReader(io.StringIO(raw.removeprefix("\ufeff"), newline=""), delimiter=";"))
    (row,) = rows  # the order events are the tester's and anna's: only the export is this login's
    assert row["kod_czynnosci"] == "EXPORT" and row["login"] == os_login() and row["czas_zapisu"] == "tak"
    assert row["czynnosc"] == "eksport listy zamówień (CSV, 1 wiersz, PESEL zamaskowany, z wiersza poleceń)"
    assert row["eksport_wierszy"] == "1" and row["eksport_pelne_pesel"] == "nie"
    assert "Oczekuje" in row["eksport_filtr"] and row["eksport_plik"] == str(out) and row["nr_zamowienia"] == ""
    only = cli("audit", "--action", "eksport").stdout.splitlines()
    # newest first: the audit's own CSV export above, then the viewer's export of the orders
    assert [line.split(" · ")[2].split(" (")[0] for line in only] == ["eksport dziennika zdarzeń",
                                                                      "eksport listy zamówień"]
    assert only[1].endswith(f" · plik: {out}") and f" · {os_login()} · " in only[1]
    assert cli("audit", "--action", "eksport", "--student", "100001").stdout.strip() == \
        "Brak zdarzeń i eksportów pasujących do filtru."
    listed = json.loads(cli("audit", "--action", "eksport", "--json").stdout)[-1]  # the oldest: the viewer's
    assert listed["action"] == "EXPORT" and listed["actor"] == os_login() and listed["export_rows"] == 1
    assert listed["export_pesel_unmasked"] is False and listed["export_destination"] == str(out)
    assert listed["order_ref"] is None and listed["real_time"] is True
    events = cli("audit", "--action", "REVOKED").stdout
    assert "eksport" not in events and "unieważnienie" in events


def test_audit_bad_input_and_roles(ctx, make_ctx, add_students, cli, store_url) -> None:  # type: ignore[no-untyped-def]
    _office(ctx, make_ctx, add_students)
    bad = cli("audit", "--action", "kradzież")
    assert bad.returncode == 2, bad
    assert bad.stderr.startswith("mleg-tui: Nieznana czynność „kradzież”. Dozwolone: PLACED"), bad
    dates = cli("audit", "--from", "5.09.2025", "--to", "1.09.2025")
    assert dates.returncode == 2 and "Data „od” jest późniejsza niż data „do”." in dates.stderr, dates
    day = cli("audit", "--from", "31.02.2025")
    assert day.returncode == 2 and "--from: „31.02.2025”: nie ma takiego dnia." in day.stderr, day
    nobody = cli("audit", "--student", "999999")
    assert nobody.returncode == 2 and "Nie znaleziono studenta „999999”" in nobody.stderr, nobody
    viewer = cli("audit", "--read-only")
    assert viewer.returncode == 2 and "przegląd dziennika zdarzeń (kto co zrobił)" in viewer.stderr, viewer
    assert "Traceback" not in bad.stderr + dates.stderr + viewer.stderr


def test_runs_without_runs_and_bad_numbers(ctx, cli) -> None:  # type: ignore[no-untyped-def]
    none = cli("runs")
    assert none.returncode == 0 and none.stdout.startswith("Brak raportów"), none
    assert json.loads(cli("runs", "--json").stdout) == []
    missing = cli("runs", "show", "9")
    assert missing.returncode == 2 and "Nie ma raportu nr 9: numery raportów podaje `mleg-tui runs`." in missing.stderr
    wrong = cli("runs", "5")
    assert wrong.returncode == 2 and "mleg-tui runs show NR" in wrong.stderr, wrong
