"""`mleg-tui orders --csv/--json` as exports: a file (--out) or stdout, for Polish Excel by
default, PESEL only when asked and allowed, each traced in the store, none without a store."""
from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from mleg_tui.services import actions
from mleg_tui.services.context import Context
from support.cli import CliResult
from support.register import enrolment
from support.stores import is_pg, store_sql


def one_error(r: CliResult, expected: str) -> None:
    assert r.returncode == 2 and "Traceback" not in r.stderr, r
    assert len(r.err_lines) == 1 and expected in r.stderr and r.stdout == "", r


def traces(store_url: str) -> list[tuple[object, ...]]:
    return store_sql(store_url, "SELECT login, role, via, rows, format, pesel_unmasked, destination "
                                "FROM access_event ORDER BY id")


@pytest.fixture
def placed(ctx: Context, add_students: Callable[..., object]) -> Context:
    add_students(enrolment("P1", "100001", "Karolina", "Bachta"),
                 enrolment("P2", "100002", "+Jan", "Nowak", birth_date="2001-02-03"))
    actions.place_order(ctx, "100001")
    actions.place_order(ctx, "100002")
    return ctx


def test_to_a_file_for_polish_excel_traced(placed: Context, cli: Callable[..., CliResult], tmp_path: Path,
                                           store_url: str):
    out = tmp_path / "zamówienia.csv"
    r = cli("orders", "--csv", "--out", str(out))
    assert r.returncode == 0, r
    assert r.stdout.strip() == f"Zapisano 2 wiersze (CSV, PESEL zamaskowany) do pliku {out}."
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [(r["nr_albumu"], r["osoba"]) for r in rows] == [("100002", "'+Jan Nowak"), ("100001", "Karolina Bachta")]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    login = traces(store_url)[0][0]
    assert traces(store_url) == [(login, "admin", "CLI", 2, "csv", False, str(out))]


def test_stdout_keeps_the_bom_unless_told_and_is_traced_as_stdout(placed: Context, mleg: Callable[..., CliResult],
                                                                   store_url: str):
    r = mleg("orders", "--csv")
    assert r.returncode == 0 and r.stdout.startswith("\ufeff\"lp\";"), r
    r = mleg("orders", "--csv", "--no-bom", "--sep", ",", "--limit", "1")
    assert r.returncode == 0 and r.stdout.startswith("\"lp\",\"order_id\","), r
    assert len(list(csv.DictReader(io.StringIO(r.stdout, newline="")))) == 1
    data = json.loads(mleg("orders", "--json", "--pesel").stdout)
    assert [len(o["pesel"]) for o in data] == [11, 11] and data[0]["pesel"].isdigit()
    assert [(t[3], t[4], t[5], t[6]) for t in traces(store_url)] == [
        (2, "csv", False, "stdout"), (1, "csv", False, "stdout"), (2, "json", True, "stdout")]
    text = store_sql(store_url, "SELECT filter_text FROM access_event ORDER BY id")
    assert text[1] == ("wszystkie zamówienia; sortowanie: data zamówienia, malejąco; pierwsze 1",)


def test_read_only_exports_masked_and_traced_never_whole_pesels(placed: Context, mleg: Callable[..., CliResult],
                                                                 tmp_path: Path, store_url: str):
    out = tmp_path / "r.csv"
    one_error(mleg("--read-only", "orders", "--csv", "--pesel", "--out", str(out)),
              "Tryb tylko do podglądu (--read-only): nie można wykonać tej czynności: eksport z pełnymi numerami PESEL")
    assert not out.exists() and traces(store_url) == []
    r = mleg("--read-only", "orders", "--json", "--out", str(out))
    assert r.returncode == 0 and len(json.loads(out.read_text(encoding="utf-8"))) == 2, r
    assert [(t[1], t[3], t[5]) for t in traces(store_url)] == [("viewer", 2, False)]


def test_files_are_never_overwritten_unless_asked(placed: Context, mleg: Callable[..., CliResult], tmp_path: Path,
                                                  store_url: str):
    out = tmp_path / "z.csv"
    out.write_text("stare", encoding="utf-8")
    one_error(mleg("orders", "--csv", "--out", str(out)), "już istnieje")
    assert out.read_text(encoding="utf-8") == "stare"
    assert mleg("orders", "--csv", "--out", str(out), "--overwrite").returncode == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    one_error(mleg("orders", "--csv", "--out", str(tmp_path / "brak" / "z.csv")), "Nie ma katalogu")
    one_error(mleg("orders", "--pesel"), "--pesel: tylko z eksportem, --csv albo --json.")
    one_error(mleg("orders", "--out", str(tmp_path / "t.txt")), "--out: tylko z eksportem")
    assert len(traces(store_url)) == 1


def test_an_export_never_makes_a_store(mleg: Callable[..., CliResult], store_url: str, tmp_path: Path):
    out = tmp_path / "z.csv"
    for args in (("orders", "--csv", "--out", str(out)), ("orders", "--json"), ("--read-only", "orders", "--csv")):
        one_error(mleg(*args), "Nie ma jeszcze magazynu mleg-tui")
    assert not out.exists()
    if is_pg(store_url):
        assert store_sql(store_url, "SELECT count(*) FROM information_schema.tables "
                                    "WHERE table_schema = 'public'") == [(0,)]
    else:
        assert not Path(store_url).exists()


def test_a_reader_that_goes_away_is_no_error(ctx: Context, add_students: Callable[..., object],
                                             cli_env: dict[str, str], tmp_path: Path):
    """`mleg-tui orders --json | head -c 3`: more than a pipe holds (64 KiB), and the
    export ends quietly when the reader closes it."""
    import subprocess

    from support.cli import mleg_command

    add_students(*[enrolment(f"P{i}", str(200000 + i), "Aleksandra", f"Brzęczyszczykiewicz{i}") for i in range(400)])
    for i in range(400):
        actions.place_order(ctx, str(200000 + i))
    script = " ".join([*(f"'{c}'" for c in mleg_command()), "orders", "--json", "|", "head", "-c", "3"])
    r = subprocess.run(["bash", "-o", "pipefail", "-c", script], env=cli_env, cwd=tmp_path,
                       capture_output=True, timeout=60)
    assert r.stdout == b'[\n ' and r.returncode == 0 and r.stderr == b"", r
