"""`mleg-tui student` takes whatever the lookup takes: one person found is shown as before,
several are listed with what to type to show each, none is said in Polish."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.students import student_view
from support.cli import CliResult, cli_environment, run_main
from support.register import enrolment, pesel_for

KAROLINA_PESEL = pesel_for(dt.date(2003, 5, 17))


@pytest.fixture
def env(ctx: Context, add_students, store_url: str, isolated_env) -> dict[str, str]:  # type: ignore[no-untyped-def]
    add_students(
        enrolment("P1", "1234336607", "Karolina", "Bachta", birth_date="2003-05-17"),
        enrolment("P2", "100002", "Karol", "Bachtowski", birth_date="2001-02-03"),
        enrolment("P3", None, "Łucja", "Żółkiewska-Bachta", birth_date="2002-04-05"),  # no album
        enrolment("P4", None, "Grzegorz", "Szymański", pesel=None, level="DR",
                  programme_name="Szkoła Doktorska", has_photo="false"),
    )
    actions.place_order(ctx, "1234336607")
    return cli_environment(store_url, isolated_env)


def student(env: dict[str, str], *args: str) -> CliResult:
    r = run_main(["student", *args], env)
    assert "Traceback" not in r.stderr, r
    return r


def test_one_person_by_anything_the_lookup_takes_is_shown(ctx: Context, env):  # type: ignore[no-untyped-def]
    by_album = student(env, "1234336607")
    assert by_album.returncode == 0 and by_album.stdout.startswith("Karolina Bachta — nr albumu 1234336607")
    ref = student_view(ctx, album="1234336607").orders[0].order_ref
    for who in (["bachta", "karolina"], ["karolina bach"], ["Bachta", "Karolina"], [KAROLINA_PESEL],
                [ref], [ref.lower()]):
        r = student(env, *who)
        assert (r.returncode, r.stdout) == (0, by_album.stdout), who
    r = student(env, "szymanski")  # no album, no PESEL, no orders: still found
    assert r.returncode == 0 and r.stdout.startswith("Grzegorz Szymański — nr albumu (brak)")
    data = json.loads(student(env, "bachta", "karolina", "--json").stdout)
    assert (data["album"], data["name"]) == ("1234336607", "Karolina Bachta")


def test_several_are_listed_with_what_to_type_for_each(ctx: Context, env):  # type: ignore[no-untyped-def]
    r = student(env, "bacht")
    assert r.returncode == 1 and r.stderr == ""  # no student shown: not 0
    head, *lines = r.stdout.splitlines()
    assert head == "„bacht” pasuje do 3 osób. Pokaż jedną: mleg-tui student <pierwsza kolumna>"
    assert [line.split()[0] for line in lines] == ["1234336607", "100002", "(cały"]
    assert "Żółkiewska-Bachta Łucja · bez albumu · PESEL *******" in lines[2]
    assert KAROLINA_PESEL not in r.stdout
    listed = json.loads(student(env, "bacht", "--json").stdout)
    assert [m["album"] for m in listed["matches"]] == ["1234336607", "100002", None]
    assert listed["more"] is False and listed["matches"][0]["newest_order"]
    assert all(m["pesel"].startswith("*******") for m in listed["matches"])


def test_nobody_found_is_one_polish_line_that_never_quotes_a_pesel(env):  # type: ignore[no-untyped-def]
    for who, quoted in (("nikt", "„nikt”"), ("99999999999", "„*******9999”"), ("999999", "„999999”")):
        r = student(env, who)
        assert r.returncode == 2 and r.stdout == "", r
        assert r.stderr.startswith(f"mleg-tui: Nie znaleziono studenta: {quoted}. Podaj numer albumu"), r
        assert len(r.stderr.splitlines()) == 1
        assert "99999999999" not in r.stderr
