"""`mleg-tui` as a user runs it: a real process, a real store file, stdout and stderr.

The manual's story is told with a hand-written register file: imported, ordered, cancelled,
struck off and revoked through the command line; what MC does in between is recorded as
the store records MC's answers. Then `student` must tell each kind of student's story and
`orders` must list them as figure 11 does.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mleg_tui.domain.eligibility import REASON_TEXTS
from mleg_tui.domain.pesel import check_pesel
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.students import student_view
from support.cli import CliResult, cli_environment, run_cli, run_cli_parallel, run_main
from support.register import TODAY, csv_text, enrolment
from support.stores import (
    BACKENDS,
    context_factory,
    is_pg,
    isolate_env,
    mc_moves,
    new_database_name,
    store_dump,
    store_sql,
)

HEAD = ["Lp.", "Osoba", "Nr albumu", "Data zamówienia", "Status", "Data ważności", "Kod błędu"]

# The register, as a dean's office would write it by hand (dates as the office writes them).
STORY = [
    # Figures 4, 7-11: eligible; orders, cancels, orders again, the card is ready.
    enrolment("S1", "1234336607", "Karolina", "Bachta", birth_date="17.05.2003"),
    # Figure 6: no photo.
    enrolment("S2", "100001", "Zofia", "Wójcik", has_photo="nie", level="II"),
    # Figures 12-13: will be struck off (SKR-102) after ordering.
    enrolment("S3", "100003", "Łukasz", "Żółkiewski", birth_date="2001-07-21"),
    # Figure 14: will lose the PESEL in the register after ordering.
    enrolment("S4", "100004", "Michał", "Nowak", birth_date="2000-01-30", level="II"),
    # Figure 15: ordered 26.06.2024 (planned expiry 23.08.2024), MC failed; graduated from
    # 2nd-cycle studies since.
    enrolment("S5", "100005", "Paweł", "Kaczmarek", birth_date="1999-04-12", level="II",
              programme_status="GRADUATED", status_date="23.08.2024", planned_end_date="23.08.2024"),
    # Figures 16-17: a picked-up card that expires on 23.09.2025 (in 20 days).
    enrolment("S6", "100006", "Anna", "Dąbrowska", birth_date="2003-08-08",
              planned_end_date="2025-09-23"),
    # A picked-up card valid until 31.10.2025: no new order yet.
    enrolment("S7", "100007", "Ewa", "Lewandowska", birth_date="2002-03-01"),
    # A 1st-cycle graduate: entitled until 31 October of the graduation year.
    enrolment("S8", "100008", "Tomasz", "Zieliński", birth_date="2002-11-03",
              programme_status="GRADUATED", status_date="2025-07-10", planned_end_date="2025-07-31"),
    # Every personal reason at once: a doctoral student without PESEL and photo.
    enrolment("S9", "100009", "Grzegorz", "Szymański", pesel=None, has_photo="false", level="DR",
              birth_date="1990-06-06"),
    # A postgraduate student: no right.
    enrolment("S10", "100010", "Marta", "Kowalska", level="PD", birth_date="1985-12-24"),
]
# The register after the strike-off (figure 12) and after a PESEL was withdrawn.
AFTER = [
    enrolment("S3", "100003", "Łukasz", "Żółkiewski", birth_date="2001-07-21",
              programme_status="STRUCK_OFF", status_date="02.09.2025"),
    enrolment("S4", "100004", "Michał", "Nowak", birth_date="2000-01-30", level="II", pesel=None),
]
SKR_102 = "skreślenie z listy studentów: SKR-102 (niewniesienie opłat związanych z odbywaniem studiów)"


@dataclass
class Story:
    dir: Path
    env: dict[str, str]
    ctx: Context
    log: dict[str, CliResult]

    def run(self, *args: str, **env: str | None) -> CliResult:
        """A real `mleg-tui` process."""
        return run_cli(args, self.env, self.dir, extra_env=env)

    def main(self, *args: str, **env: str | None) -> CliResult:
        """The same command in this process (start-up costs a second a process)."""
        return run_main(args, self.env, extra_env=env)


def ok(r: CliResult) -> CliResult:
    assert r.returncode == 0 and "Traceback" not in r.stderr, r
    return r


def order_id(ctx: Context, album: str, index: int = 0) -> int:
    return student_view(ctx, album=album).orders[index].id


ALBUMS = ["1234336607", "100001", "100003", "100004", "100005", "100006", "100007", "100008",
          "100009", "100010"]


def module_stores(request: pytest.FixtureRequest, stack: contextlib.ExitStack,
                  directory: Path) -> Callable[[str], str]:
    """new_store(name): a store location for a module's story on the module's database
    (an SQLite file in `directory`, or a new PostgreSQL database dropped with `stack`)."""
    if request.param == "sqlite":
        return lambda name: str(directory / f"{name}.db")
    server = request.getfixturevalue("pg_server")

    def new_store(name: str) -> str:
        db = new_database_name()
        url = server.create_database(db)
        stack.callback(server.drop_database, db)
        return url

    return new_store


@pytest.fixture(scope="module", params=BACKENDS)
def story(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    directory = tmp_path_factory.mktemp("story")
    with contextlib.ExitStack() as stack:
        st = _tell_story(directory, module_stores(request, stack, directory)("store"))
        yield st
        st.ctx.engine.dispose()


def _tell_story(directory: Path, store: str) -> Story:
    with pytest.MonkeyPatch.context() as mp:
        config = isolate_env(mp, directory)
        ctx = context_factory(store)()
    st = Story(directory, cli_environment(store, config), ctx, {})
    (directory / "register.csv").write_text(csv_text(STORY), encoding="utf-8")
    (directory / "after.csv").write_text(csv_text(AFTER), encoding="utf-8")
    st.log["import"] = ok(st.run("import", "register.csv"))
    # Figures 7-11: 22:18:34 ordered, cancelled, 22:20:32 ordered again, ready.
    st.log["place_1"] = ok(st.run("order", "place", "1234336607", MLEG_TUI_TODAY="2025-09-03T22:18:34"))
    st.log["cancel_1"] = ok(st.run("order", "cancel", "1234336607", MLEG_TUI_TODAY="2025-09-03T22:19:10"))
    ok(st.main("order", "place", "1234336607", MLEG_TUI_TODAY="2025-09-03T22:20:32"))
    mc_moves(ctx, order_id(ctx, "1234336607"), S.W_TRAKCIE, S.DO_ODBIORU)
    for album, when in [("100003", "2025-09-01T12:00:00"), ("100004", "2025-08-29T21:31:00"),
                        ("100005", "2024-06-26T14:58:00"), ("100006", "2025-03-10T09:00:00"),
                        ("100007", "2025-09-01T10:00:00")]:
        st.log[f"place {album}"] = ok(st.main("order", "place", album, MLEG_TUI_TODAY=when))
    mc_moves(ctx, order_id(ctx, "100005"), S.W_TRAKCIE, S.BLAD, error_code="PESEL_MISMATCH")
    mc_moves(ctx, order_id(ctx, "100006"), S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)
    mc_moves(ctx, order_id(ctx, "100007"), S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)
    # Figure 12: the strike-off reaches the store with the register; then the revocations.
    st.log["reimport"] = ok(st.main("import", str(directory / "after.csv")))
    st.log["revoke 100003"] = ok(st.run("revoke", "100003", "--reason", SKR_102))
    st.log["revoke 100004"] = ok(st.main("revoke", "100004", "--reason", "unieważnienie numeru PESEL w rejestrze"))
    for album in ALBUMS:
        st.log[f"student {album}"] = ok(st.main("student", album))
        st.log[f"json {album}"] = ok(st.main("student", album, "--json"))
    return st


def student_json(story: Story, album: str) -> dict:  # type: ignore[type-arg]
    return json.loads(story.log[f"json {album}"].stdout)


# --- import ---------------------------------------------------------------------------------

def test_import_prints_counts(story: Story):
    assert story.log["import"].stdout.strip() == (
        "Osoby: dodano 10, zaktualizowano 0, bez zmian 0. "
        "Programy: dodano 10, zaktualizowano 0, usunięto 0, bez zmian 0."
    )
    assert "Osoby: dodano 0, zaktualizowano 1, bez zmian 1." in story.log["reimport"].stdout
    assert "Programy: dodano 0, zaktualizowano 1" in story.log["reimport"].stdout


# --- the student view tells each story -------------------------------------------------------

def test_student_json_shape(story: Story):
    real = ok(story.run("student", "1234336607", "--json"))
    assert real.stdout == story.log["json 1234336607"].stdout  # the process prints the same
    data = json.loads(real.stdout)
    assert {"album", "name", "eligible", "reasons", "planned_expiry", "orders"} <= set(data)
    assert (data["album"], data["name"], data["eligible"]) == ("1234336607", "Karolina Bachta", False)
    assert data["planned_expiry"] == "2025-10-31"
    assert [set(r) >= {"code", "text"} for r in data["reasons"]] == [True]
    assert data["reasons"][0]["code"] == "ORDER_IN_PROGRESS"
    for o in data["orders"]:
        assert {"id", "status", "ordered_at", "expiry_date", "error_code", "events"} <= set(o)
        assert isinstance(o["id"], int) and isinstance(o["events"], list) and o["events"]
        for e in o["events"]:
            assert {"at", "action", "old_status", "new_status", "actor_kind", "actor", "reason"} <= set(e)
    ready, cancelled = data["orders"]  # newest first
    assert (ready["status"], ready["ordered_at"], ready["expiry_date"], ready["error_code"]) == (
        "DO_ODBIORU", "2025-09-03T22:20:32+02:00", "2025-10-31", None)
    assert [e["new_status"] for e in ready["events"]] == ["OCZEKUJE", "W_TRAKCIE", "DO_ODBIORU"]
    assert cancelled["status"] == "ANULOWANE_PRZEZ_UZYTKOWNIKA"
    assert cancelled["ordered_at"] == "2025-09-03T22:18:34+02:00"
    assert [(e["action"], e["old_status"], e["new_status"], e["actor_kind"]) for e in cancelled["events"]] == [
        ("PLACED", None, "OCZEKUJE", "STUDENT"),
        ("CANCELLED", "OCZEKUJE", "ANULOWANE_PRZEZ_UZYTKOWNIKA", "STUDENT"),
    ]


def test_fig4_7_ordering_prints_the_planned_expiry(story: Story):
    assert "Zamówiono mLegitymację" in story.log["place_1"].stdout
    assert "planowana data ważności 31.10.2025" in story.log["place_1"].stdout
    assert "Oczekuje → Anulowane przez użytkownika" in story.log["cancel_1"].stdout


def test_fig8_10_ready_order_in_the_help_desk_view(story: Story):
    text = story.log["student 1234336607"].stdout
    assert text.startswith("Karolina Bachta — nr albumu 1234336607")
    assert "Status: DO ODBIORU" in text
    assert "Data zamówienia: 3.09.2025, 22:20" in text
    assert "Planowana data ważności mLegitymacji: 31.10.2025" in text
    assert "Status: ANULOWANE PRZEZ UŻYTKOWNIKA" in text  # figure 9
    assert "Data zamówienia: 3.09.2025, 22:18" in text
    assert "masz zamówienie w realizacji (status: Do odbioru, z dnia 3.09.2025)" in text


def test_fig6_no_photo(story: Story):
    text = story.log["student 100001"].stdout
    assert "Nie możesz zamówić mLegitymacji z następującego powodu: brak zdjęcia." in text
    assert "Zamówienia: brak." in text
    data = student_json(story, "100001")
    assert [(r["code"], r["text"]) for r in data["reasons"]] == [("NO_PHOTO", "brak zdjęcia")]


def test_fig12_13_struck_off_revoked_and_no_rights(story: Story):
    assert "Oczekuje → Unieważnione przez uczelnię" in story.log["revoke 100003"].stdout
    text = story.log["student 100003"].stdout
    assert "Status: UNIEWAŻNIONE PRZEZ UCZELNIĘ" in text
    assert ("Nie możesz zamówić mLegitymacji z następującego powodu: nie masz uprawnień do "
            "mLegitymacji na żadnym z Twoich programów.") in text
    assert "skreślony od 2.09.2025" in text
    assert f"powód: {SKR_102}" in text
    data = student_json(story, "100003")
    assert [r["code"] for r in data["reasons"]] == ["NO_ENTITLING_PROGRAMME"]
    (order,) = data["orders"]
    assert order["status"] == "UNIEWAZNIONE_PRZEZ_UCZELNIE"
    assert order["events"][-1]["reason"] == SKR_102


def test_fig14_revoked_then_no_pesel(story: Story):
    text = story.log["student 100004"].stdout
    assert "Status: UNIEWAŻNIONE PRZEZ UCZELNIĘ" in text
    assert "Data zamówienia: 29.08.2025, 21:31" in text
    assert "Nie możesz zamówić mLegitymacji z następującego powodu: brak numeru PESEL." in text
    assert "PESEL: (brak)" in text


def test_fig15_failed_order_and_no_rights(story: Story):
    assert "planowana data ważności 23.08.2024" in story.log["place 100005"].stdout
    text = story.log["student 100005"].stdout
    assert "Status: BŁĄD" in text
    assert "Data zamówienia: 26.06.2024, 14:58" in text
    assert "Planowana data ważności mLegitymacji: 23.08.2024" in text
    assert "Kod błędu: PESEL_MISMATCH" in text
    assert "z następującego powodu: nie masz uprawnień do mLegitymacji na żadnym z Twoich programów." in text
    (order,) = student_json(story, "100005")["orders"]
    assert (order["status"], order["error_code"]) == ("BLAD", "PESEL_MISMATCH")


def test_fig16_17_card_expiring_within_30_days_may_be_renewed(story: Story):
    text = story.log["student 100006"].stdout
    assert "Status: ODEBRANA" in text
    assert "Data ważności: 23.09.2025" in text  # figure 16 shows the card's own expiry
    assert "Spełniasz warunki uprawniające Cię do zamówienia mLegitymacji." in text
    assert ("Twoja mLegitymacja straci ważność w ciągu najbliższych 30 dni. "
            "Możesz zamówić nową i dodać ją do mObywatela.") in text
    assert student_json(story, "100006")["eligible"] is True


def test_card_valid_longer_than_30_days_blocks_a_new_order(story: Story):
    text = story.log["student 100007"].stdout
    assert "Status: ODEBRANA" in text
    assert "masz ważną mLegitymację (ważna do 31.10.2025)" in text
    assert student_json(story, "100007")["eligible"] is False


def test_first_cycle_graduate_until_31_october(story: Story):
    data = student_json(story, "100008")
    assert (data["eligible"], data["planned_expiry"]) == (True, "2025-10-31")
    assert "Planowana data ważności mLegitymacji: 31.10.2025." in story.log["student 100008"].stdout


def test_doctoral_student_without_pesel_and_photo_sees_every_reason(story: Story):
    data = student_json(story, "100009")
    assert [r["code"] for r in data["reasons"]] == ["NO_ENTITLING_PROGRAMME", "NO_PESEL", "NO_PHOTO"]
    assert "z następujących powodów: nie masz uprawnień do mLegitymacji na żadnym z Twoich " \
           "programów, brak numeru PESEL, brak zdjęcia." in story.log["student 100009"].stdout


def test_postgraduate_student_has_no_right(story: Story):
    assert [r["code"] for r in student_json(story, "100010")["reasons"]] == ["NO_ENTITLING_PROGRAMME"]


@pytest.mark.parametrize(("album", "codes", "said"), [
    ("1234336607", ["READY"],
     ["Co zrobić: Student dodaje mLegitymację w mObywatelu", "Bieżące zamówienie: UCZ-000002 — Do odbioru"]),
    ("100001", ["NO_PHOTO", "MAY_NOT_ORDER"], ["brak zdjęcia — co zrobić: student dostarcza zdjęcie"]),
    ("100003", ["NO_RIGHT_STRUCK_OFF", "MAY_NOT_ORDER"], ["co zrobić: skreślenie z listy studentów 2.09.2025"]),
    ("100005", ["NO_RIGHT_GRADUATED", "ERROR"],
     ["Co zrobić: Zamówienie zakończyło się błędem PESEL_MISMATCH: dane osobowe", "Poprawiać nic nie trzeba"]),
    ("100006", ["RENEWAL"], ["Co zrobić: mLegitymacja traci ważność 23.09.2025"]),
    ("100007", ["CARD_HELD"],
     ["Co zrobić: Student ma ważną mLegitymację (do 31.10.2025). Nową może zamówić od 1.10.2025"]),
    ("100008", ["MAY_ORDER", "GRADUATE_UNTIL"], ["prawo do mLegitymacji trwa do 31.10.2025"]),
    ("100010", ["NO_RIGHT_NOT_ENTITLING", "MAY_NOT_ORDER"], ["doktoranckie i podyplomowe nie dają prawa"]),
])
def test_what_to_do_for_each_story(story: Story, album: str, codes: list[str], said: list[str]):
    """The advice table's text, in the text view and in --json alike."""
    text = " ".join(story.log[f"student {album}"].stdout.split())
    for words in said:
        assert words in text
    data = student_json(story, album)
    assert [a["code"] for a in data["advice"]] == codes
    for a in data["advice"]:
        assert " ".join(a["text"].split()) in text
    for r in data["reasons"]:  # a reason's own step is given beside it in both
        step = next((a["text"] for a in data["advice"] if a["reason"] == r["code"]), None)
        assert r["next_step"] == step


def test_a_revoked_or_cancelled_order_shows_no_validity_date(story: Story):
    """Figures 9, 13 and 14: an ended order shows its status and order date only."""
    for album in ("100003", "100004"):
        (order,) = student_json(story, album)["orders"]
        lines = story.log[f"student {album}"].stdout.split("Zamówienie ")[1].splitlines()
        assert not [line for line in lines if "ważności" in line], lines
        assert order["status_text"] == "Unieważnione przez uczelnię" and not order["card_expired"]


# --- the order list (figure 11) ----------------------------------------------------------------

def test_fig11_order_list_as_plain_text(story: Story):
    r = ok(story.run("orders", "--query", "bachta"))
    lines = r.stdout.splitlines()
    assert lines[0] == "Wyświetlane są elementy 1..2 (spośród 2)"
    assert lines[1].split() == " ".join(HEAD).split()
    assert [c for c in HEAD if c not in lines[1]] == []
    first, second = lines[2].split("  "), lines[3].split("  ")
    assert [c.strip() for c in first if c.strip()] == [
        "1", "Karolina Bachta", "1234336607", "2025-09-03 22:20:32", "Do odbioru", "2025-10-31"]
    assert [c.strip() for c in second if c.strip()] == [
        "2", "Karolina Bachta", "1234336607", "2025-09-03 22:18:34", "Anulowane przez użytkownika",
        "2025-10-31"]
    assert len(lines) == 4


def test_order_list_of_everything_counts_every_order(story: Story):
    r = ok(story.main("orders"))
    assert r.stdout.splitlines()[0] == "Wyświetlane są elementy 1..7 (spośród 7)"
    assert "PESEL_MISMATCH" in r.stdout
    r = ok(story.main("orders", "--limit", "3"))
    assert r.stdout.splitlines()[0] == "Wyświetlane są elementy 1..3 (spośród 7)"
    assert len(r.stdout.splitlines()) == 2 + 3
    r = ok(story.main("orders", "--query", "nikt taki"))
    assert r.stdout.splitlines()[0] == "Wyświetlane są elementy 0..0 (spośród 0)"


def excel(stdout: str) -> list[dict[str, str]]:
    """CSV as Polish Excel reads it: a BOM first, `;` between cells."""
    assert stdout.startswith("\ufeff"), stdout[:20]
    return list(csv.DictReader(io.StringIO(stdout.removeprefix("\ufeff"), newline=""), delimiter=";"))


def test_orders_as_csv(story: Story):
    r = ok(story.run("orders", "--csv"))
    rows = excel(r.stdout)
    assert len(rows) == 7
    assert {"lp", "osoba", "nr_albumu", "pesel", "data_zamowienia", "status", "data_waznosci",
            "kod_bledu"} <= set(rows[0])
    assert [r["lp"] for r in rows] == [str(i) for i in range(1, 8)]
    dates = [r["data_zamowienia"] for r in rows]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert rows[0]["data_zamowienia"] == "2025-09-03 22:20:32"  # as the list shows it; Excel reads a date
    assert {r["status"] for r in rows} == {"DO_ODBIORU", "ANULOWANE_PRZEZ_UZYTKOWNIKA", "UNIEWAZNIONE_PRZEZ_UCZELNIE",
                                           "BLAD", "ODEBRANA"}
    assert [r["osoba"] for r in rows if r["kod_bledu"]] == ["Paweł Kaczmarek"]
    pesels = [r["pesel"] for r in rows if r["pesel"]]  # (fig 14's student has none)
    assert pesels and all(p.startswith("*******") and p[7:].isdigit() for p in pesels)  # masked unless asked


def test_orders_as_json_with_statuses_by_code_or_label(story: Story):
    data = json.loads(ok(story.main("orders", "--json", "--status", "BLAD", "Do odbioru")).stdout)
    assert sorted((o["album"], o["status"], o["error_code"]) for o in data) == [
        ("100005", "BLAD", "PESEL_MISMATCH"), ("1234336607", "DO_ODBIORU", None)]
    keys = {"lp", "id", "person", "album", "pesel", "ordered_at", "status", "expiry_date", "error_code"}
    assert keys <= set(data[0])


def test_orders_dates_as_the_office_writes_them_or_iso(story: Story):
    dmy = ok(story.main("orders", "--csv", "--from", "01.09.2025", "--to", "3.09.2025"))
    ymd = ok(story.main("orders", "--csv", "--from", "2025-09-01", "--to", "2025-09-03"))
    assert dmy.stdout == ymd.stdout
    in_range = excel(dmy.stdout)
    assert sorted(r["nr_albumu"] for r in in_range) == ["100003", "100007", "1234336607", "1234336607"]
    lukasz = ok(story.main("orders", "--csv", "--query", "łukasz ZOLKIEWSKI"))
    assert [r["osoba"] for r in excel(lukasz.stdout)] == ["Łukasz Żółkiewski"]


# --- user errors: one line on stderr, never a traceback --------------------------------------

def error_cases(tmp_path: Path) -> list[tuple[tuple[str, ...], dict[str, str | None] | None, str]]:
    broken = tmp_path / "broken.toml"
    broken.write_text("university = \n", encoding="utf-8")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('colour = "red"\n', encoding="utf-8")
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("not a database\n", encoding="utf-8")
    latin2 = tmp_path / "latin2.csv"
    latin2.write_bytes(csv_text([enrolment("X1", "900001", "Łucja", "Żak")]).encode("cp1250"))
    return [
        (("orders", "--from", "32.01.2025"), None, "--from"),
        (("orders", "--to", "2025-02-30"), None, "--to"),
        (("orders", "--from", "yesterday"), None, "nie jest datą"),
        (("orders", "--from", "04.09.2025", "--to", "03.09.2025"), None, "późniejsza"),
        (("orders", "--status", "ODEBRANE"), None, "Nieznany status „ODEBRANE”"),
        (("orders", "--sort", "colour"), None, "--sort"),
        (("student", "999999"), None, "Nie znaleziono studenta: „999999”"),
        (("order", "place", "999999"), None, "999999"),
        (("order", "place", "100001"), None, "brak zdjęcia"),
        (("order", "place", "1234336607"), None, "masz zamówienie w realizacji"),
        (("order", "cancel", "100001"), None, "nie ma zamówienia"),
        (("revoke", "999999", "--reason", "x"), None, "999999"),
        (("revoke", "100001", "--reason", "x"), None, "nie ma zamówienia"),
        (("revoke", "1234336607"), None, "--reason"),
        (("revoke", "1234336607", "--reason", " "), None, "Podaj powód"),
        (("import", "no-such-file.csv"), None, "no-such-file.csv"),
        (("import", "/dev/zero"), None, "/dev/zero to urządzenie, nie zwykły plik"),
        (("import", str(latin2)), None, "UTF-8"),
        (("orders",), {"MLEG_TUI_CONFIG": str(broken)}, str(broken)),
        (("orders",), {"MLEG_TUI_CONFIG": str(unknown)}, "colour: nieznane ustawienie"),
        (("orders",), {"MLEG_TUI_CONFIG": str(tmp_path / "missing.toml")}, "missing.toml"),
        (("orders",), {"MLEG_TUI_TODAY": "2025-13-01"}, "today"),
        (("orders",), {"MLEG_TUI_RENEWAL_DAYS": "many"}, "renewal_days"),
        (("orders",), {"MLEG_TUI_TIMEZONE": "Mars/Olympus"}, "timezone: „Mars/Olympus” to nie znana strefa czasowa"),
        (("orders",), {"MLEG_TUI_VALIDITY_PERIODS": "31.03"}, "validity_periods"),
        (("orders",), {"MLEG_TUI_DB": str(not_a_store)}, "file is not a database"),
        (("orders",), {"MLEG_TUI_DB": str(latin2 / "store.db")}, "Nie ma jeszcze magazynu"),
        (("demo-data", "--students", "1"), {"MLEG_TUI_DB": str(tmp_path / "typo" / "store.db")},
         "Nie ma katalogu"),
        (("demo-data", "--students", "0"), None, "--students"),
        (("orders",), {"MLEG_TUI_DB": "nonsense://"}, "Nieobsługiwana baza danych „nonsense”"),
        (("orders",), {"MLEG_TUI_DB": "mysql://dziekanat@localhost/mleg"},
         "mleg-tui działa na SQLite (ścieżka pliku) i PostgreSQL"),
        (("orders",), {"MLEG_TUI_DB": "mysql+pymysql://dziekanat@localhost/mleg"}, "„mysql+pymysql”"),
        (("orders",), {"MLEG_TUI_DB": "postgresql+nonsense://localhost/mleg"}, "nieznany sterownik"),
    ]


def check_user_error(r: CliResult, expected: str) -> None:
    assert r.returncode != 0, r
    assert "Traceback" not in r.stderr, r
    assert len(r.err_lines) == 1, r
    assert expected in r.stderr, r
    assert r.stdout == "", r


def test_user_errors_exit_non_zero_with_one_line(story: Story, tmp_path: Path):
    for args, env, expected in error_cases(tmp_path):
        check_user_error(story.main(*args, **(env or {})), expected)


def test_user_errors_from_a_real_process(story: Story, tmp_path: Path):
    # A bad date, an unknown status, an unknown album, a bad config file.
    cases = error_cases(tmp_path)
    picked = [next(c for c in cases if c[0] == ("orders", "--from", "32.01.2025")),
              next(c for c in cases if c[0] == ("orders", "--status", "ODEBRANE")),
              next(c for c in cases if c[0] == ("student", "999999")),
              next(c for c in cases if c[1] and str(c[1].get("MLEG_TUI_CONFIG", "")).endswith("broken.toml"))]
    results = run_cli_parallel([(args, env) for args, env, _ in picked], story.env, story.dir)
    for (_, _, expected), r in zip(picked, results):
        check_user_error(r, expected)


def test_a_postgresql_url_without_the_driver_says_to_install_the_extra(tmp_path: Path, isolated_env: Path):
    # This interpreter has psycopg: a process in which it cannot be imported stands for
    # an installation without the `postgres` extra.
    code = ("import sys; sys.modules['psycopg'] = None; sys.modules['psycopg2'] = None; "
            "from mleg_tui.cli import main; sys.exit(main(sys.argv[1:]))")
    env = cli_environment("postgresql://dziekanat:tajne@localhost/mleg", isolated_env)
    for url in ("postgresql://dziekanat:tajne@localhost/mleg", "postgresql+psycopg://localhost/mleg"):
        r = subprocess.run([sys.executable, "-c", code, "orders"], env=dict(env, MLEG_TUI_DB=url),
                           capture_output=True, text=True, timeout=60)
        check_user_error(CliResult(("orders",), r.returncode, r.stdout, r.stderr),
                         "Brak sterownika PostgreSQL (psycopg): zainstaluj dodatek postgres")
        assert "tajne" not in r.stderr


def test_commands_that_only_read_or_act_on_students_never_make_a_store(
    store_url: str, mleg, tmp_path: Path  # type: ignore[no-untyped-def]
):
    for args in (("student", "100001"), ("orders",), ("orders", "--csv"), ("order", "place", "100001"),
                 ("revoke", "100001", "--reason", "x"), ("sweep", "--dry-run"), ("sweep",), ("refresh",)):
        r = mleg(*args)
        check_user_error(r, "Nie ma jeszcze magazynu mleg-tui")
        assert "`mleg-tui import PLIK.csv`" in r.stderr and "`mleg-tui demo-data`" in r.stderr
    if is_pg(store_url):
        assert store_sql(store_url, "SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_schema = 'public'") == [(0,)]
    else:
        assert not Path(store_url).exists() and list(tmp_path.glob("store.db*")) == []


@pytest.mark.parametrize("value", ["abc", "0", "-1", "", "4\x1b[2J"])
def test_a_bad_schema_version_is_one_clear_line_and_changes_nothing(
    ctx: Context, add_students, store_url: str, mleg, value: str, tmp_path: Path  # type: ignore[no-untyped-def]
):
    add_students(enrolment("P1", "100001"))
    store_sql(store_url, "UPDATE meta SET value = ? WHERE key = 'schema_version'", value)
    before = store_dump(store_url)
    register = tmp_path / "register.csv"
    register.write_text(csv_text([enrolment("P2", "100002")]), encoding="utf-8")
    for args in (("orders",), ("student", "100001"), ("import", str(register))):
        r = mleg(*args)
        check_user_error(r, "Zapis wersji schematu w tej bazie danych jest błędny")
        assert "\x1b" not in r.stderr
    assert store_dump(store_url) == before


def test_a_database_fault_is_one_line_without_the_statements_values(
    ctx: Context, add_students, store_url: str, mleg, tmp_path: Path  # type: ignore[no-untyped-def]
):
    """SQLAlchemy's text of a failed statement lists its parameters: the order's copy of
    the student's name and album. The user gets one line, the log the rest but those."""
    add_students(enrolment("P1", "731224", "Genowefa", "Pigwa"))
    if is_pg(store_url):
        store_sql(store_url, "CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$ BEGIN RAISE EXCEPTION 'simulated fault'; END $$")
        store_sql(store_url, "CREATE TRIGGER fault BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION fault()")
    else:
        store_sql(store_url, "CREATE TRIGGER fault BEFORE INSERT ON orders "
                             "BEGIN SELECT RAISE(ABORT, 'simulated fault'); END")
    r = mleg("order", "place", "731224")
    check_user_error(r, "Baza danych odrzuciła zmianę jako niezgodną ze swoimi regułami")
    log = (tmp_path / "mleg-tui.log").read_text(encoding="utf-8")
    assert "INSERT INTO orders" in log
    for text in (r.stderr, log):
        assert "731224" not in text and "pigwa" not in text.lower() and "parameters" not in text


def test_revoke_of_another_students_order_is_refused(ctx: Context, add_students, mleg):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"), enrolment("P2", "100002", "Jan", "Nowak"))
    actions.place_order(ctx, "100001")
    jans = actions.place_order(ctx, "100002").order_id
    r = mleg("revoke", "100001", "--order", str(jans), "--reason", "skreślenie")
    assert student_view(ctx, album="100002").orders[0].status is S.OCZEKUJE
    check_user_error(r, "100001")


def test_bad_import_lists_every_bad_line_and_changes_nothing(story: Story, tmp_path: Path):
    rows = [enrolment("X1", "900001", "Jan", "Nowak"), enrolment("X2", "900002", level="MBA"),
            enrolment("X3", "900003", birth_date="1.13.2000")]
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text(rows), encoding="utf-8")
    r = story.main("import", str(bad))
    assert r.returncode != 0 and "Traceback" not in r.stderr, r
    assert "nic nie zmieniono" in r.err_lines[0]
    assert [line.strip() for line in r.err_lines[1:]] == [
        "wiersz 3: nieznany poziom „MBA” (dozwolone: I, II, JM, DR, PD)",
        "wiersz 4: birth_date: „1.13.2000”: nie ma takiego dnia"]
    partial = story.main("import", str(bad), "--skip-invalid")
    assert partial.returncode == 1, partial  # done, but not everything
    assert "wiersz 3" in partial.stderr and "wiersz 4" in partial.stderr
    assert "Osoby: dodano 1" in partial.stdout and "Pominięto 2 osoby" in partial.stdout
    assert ok(story.main("student", "900001", "--json")).stdout


def test_settings_flags_beat_environment_beat_file(story: Story, tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('today = "2025-01-10"\n', encoding="utf-8")
    no_today = {"MLEG_TUI_CONFIG": str(config), "MLEG_TUI_TODAY": None}
    from_file = story.main("student", "100001", "--json", **no_today)
    from_env = story.main("student", "100001", "--json", MLEG_TUI_CONFIG=str(config))
    from_flag = story.main("student", "100001", "--json", "--today", "2025-10-15", MLEG_TUI_CONFIG=str(config))
    # The planned expiry shows which "today" won: winter -> 31 March, summer -> 31 October.
    assert json.loads(ok(from_file).stdout)["planned_expiry"] == "2025-03-31"
    assert json.loads(ok(from_env).stdout)["planned_expiry"] == "2025-10-31"
    assert json.loads(ok(from_flag).stdout)["planned_expiry"] == "2026-03-31"


def test_help_names_every_command(cli):  # type: ignore[no-untyped-def]
    r = cli("--help")
    assert r.returncode == 0
    for command in ("import", "student", "orders", "order", "revoke", "demo-data"):
        assert command in r.stdout


# --- demo data -----------------------------------------------------------------------------------

DEMO = ["demo-data", "--students", "300", "--seed", "5"]
NOON = "2025-09-03T12:00:00"
PLAIN_CSV = ["orders", "--csv", "--sep", ",", "--no-bom"]  # as the csv module reads by default


@dataclass
class Demo:
    tmp: Path
    store: str  # the first demo store
    listing: list[str]  # its order list as CSV
    new_store: Callable[[str], str]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A demo store built by a real process, and its order list as CSV."""
    tmp = tmp_path_factory.mktemp("demo")
    (tmp / "config.toml").write_text("", encoding="utf-8")
    with contextlib.ExitStack() as stack:
        new_store = module_stores(request, stack, tmp)
        store = new_store("a")
        env = cli_environment(store, tmp / "config.toml", NOON)
        built = ok(run_cli(DEMO, env, tmp))
        assert "Zbudowano bazę demonstracyjną: 300 osób" in built.stdout
        yield Demo(tmp, store, ok(run_cli(PLAIN_CSV, env, tmp)).stdout.splitlines(), new_store)


def demo_csv(demo: Demo, name: str, today: str) -> list[str]:
    env = cli_environment(demo.new_store(name), demo.tmp / "config.toml", today)
    ok(run_main(DEMO, env))
    return ok(run_main(PLAIN_CSV, env)).stdout.splitlines()


def test_demo_data_is_deterministic_for_a_seed(demo: Demo):
    assert demo_csv(demo, "b", NOON) == demo.listing


def test_demo_data_is_deterministic_for_a_seed_and_a_fixed_day(demo: Demo):
    first = demo_csv(demo, "c", TODAY)
    time.sleep(1.1)  # a second later: the wall clock must not show in the data
    assert demo_csv(demo, "d", TODAY) == first


def test_demo_data_has_every_status_every_reason_level_and_polish_names(demo: Demo, monkeypatch):  # type: ignore[no-untyped-def]
    tmp, listing, db = demo.tmp, demo.listing, demo.store
    rows = list(csv.DictReader(listing))
    assert {r["status"] for r in rows} == {s.value for s in S}
    assert all(r["kod_bledu"] for r in rows if r["status"] == "BLAD")
    people = store_sql(db, "SELECT id, first_name || ' ' || last_name, pesel FROM person")
    levels = {r[0] for r in store_sql(db, "SELECT DISTINCT level FROM enrolment")}
    programme_statuses = {r[0] for r in store_sql(db, "SELECT DISTINCT status FROM enrolment")}
    events = store_sql(db, "SELECT count(*) FROM order_event")[0][0]
    assert len(people) == 300 and events > len(rows)
    assert levels == {"I", "II", "JM", "DR", "PD"}
    assert programme_statuses == {"ACTIVE", "GRADUATED", "STRUCK_OFF"}
    assert any(set(name) & set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ") for _, name, _ in people)
    assert sum(1 for *_, p in people if p and check_pesel(p).ok) > 0.9 * len(people)
    monkeypatch.setenv("MLEG_TUI_CONFIG", str(tmp / "config.toml"))
    ctx = context_factory(db)(NOON)
    reasons: set[str] = set()
    for person_id, *_ in people:
        reasons |= {r.code for r in student_view(ctx, person_id=person_id).verdict.reasons}
    assert reasons == set(REASON_TEXTS)


def test_mc_sim_command_serves_the_contract_on_the_port_given(tmp_path: Path):
    """`mleg-tui mc-sim --port P ...` takes the simulator's own options and serves MC."""
    import json
    import socket
    import urllib.request

    from support.cli import mleg_command

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*mleg_command(), "mc-sim", "--port", str(port), "--seed", "3",
                             "--fail-5xx", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert f"http://127.0.0.1:{port}" in proc.stdout.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=10) as r:
            assert json.loads(r.read()) == {"status": "ok"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
