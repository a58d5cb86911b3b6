"""Text from data is text in every output of the command line: no control character from
a name, an MC answer or an argument ever reaches the terminal raw, JSON keeps the data
exactly, and no exported cell is a spreadsheet formula.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mleg_tui.domain.text import FORMULA_START, json_safe, spreadsheet_cell, visible
from support.cli import CliResult, cli_environment, run_cli, run_main
from support.hostile import (
    CONTROL,
    EVERYTHING,
    FAILED_ALBUM,
    LOGIN,
    NAMES,
    PENDING_ALBUM,
    Hostile,
    build_hostile_store,
    raw_controls,
)
from support.register import csv_text, enrolment
from support.stores import BACKENDS, context_factory, isolate_env, new_database_name

CONTROLS = [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
            *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029]


# -- the one function ---------------------------------------------------------------------

def test_visible_shows_every_control_character_as_one_visible_mark() -> None:
    for c in CONTROLS:
        shown = visible(f"a{chr(c)}b")
        assert len(shown) == 3 and shown[0] + shown[2] == "ab", hex(c)
        assert raw_controls(shown) == [] and shown[1] not in "\n\r\t ", hex(c)
    assert visible("\x1b[2J") == "␛[2J" and visible("\x00\n\t\r\x7f") == "␀␊␉␍␡"
    assert visible("\x9b2J\u202eabc\u2066") == "\ufffd2J\ufffdabc\ufffd"


def test_visible_leaves_letters_brackets_emoji_and_combining_marks_alone() -> None:
    for text in ["Łukasz Żółkiewski", "Anna [Maria] Nowak", "[/]", "🎓 👩‍🎓 🇵🇱", "Z\u0301\u0336"]:
        assert visible(text) == text


def test_newlines_stay_only_when_asked() -> None:
    assert visible("a\nb\r\n") == "a␊b␍␊"
    assert visible("a\nb\r\n\x1b", newlines=True) == "a\nb␍\n␛"


def test_json_keeps_the_data_and_escapes_what_a_terminal_obeys() -> None:
    for text in [*NAMES, "Nul\x00bajt"]:
        dumped = json_safe(json.dumps({"name": text}, ensure_ascii=False))
        assert raw_controls(dumped) == [], text
        assert json.loads(dumped) == {"name": text}


def test_no_spreadsheet_cell_starts_a_formula() -> None:
    for start in FORMULA_START:
        cell = spreadsheet_cell(f"{start}HYPERLINK(\"http://example.com\")")
        assert cell.startswith("'") and raw_controls(cell) == []
    for plain in ["Anna Nowak", "100001", "E-MC", "", "'=already"]:
        assert spreadsheet_cell(plain) == plain


# -- the command line on a store full of hostile strings ------------------------------------

@dataclass
class World:
    store: str
    dir: Path
    env: dict[str, str]
    students: list[Hostile]

    def main(self, *args: str, **env: str) -> CliResult:
        r = run_main(args, self.env, extra_env=env)
        assert "Traceback" not in r.stderr, r
        return r


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("hostile")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            store = str(directory / "store.db")
        else:
            server = request.getfixturevalue("pg_server")
            name = new_database_name()
            store = server.create_database(name)
            stack.callback(server.drop_database, name)
        with pytest.MonkeyPatch.context() as mp:
            config = isolate_env(mp, directory)
            students = build_hostile_store(context_factory(store), directory, store)
        yield World(store, directory, cli_environment(store, config), students)


def no_raw_controls(r: CliResult) -> CliResult:
    assert raw_controls(r.stdout) == [] and raw_controls(r.stderr) == [], r
    return r


def test_orders_list_shows_every_name_as_text(world: World) -> None:
    r = no_raw_controls(world.main("orders"))
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    for h in world.students:
        rows = [line for line in lines if f" {h.album} " in line]
        assert len(rows) == 3, (h.name, rows)  # one line per order: nothing broke a row
        assert all(visible(h.name) in row for row in rows)


def test_orders_in_a_real_process_write_no_control_byte(world: World) -> None:
    r = no_raw_controls(run_cli(["orders", "--status", "DO_ODBIORU"], world.env, world.dir))
    assert r.returncode == 0 and visible(NAMES[8]) in r.stdout, r  # ESC [2J, as ␛[2J


def test_orders_csv_cells_are_quoted_and_never_formulas(world: World) -> None:
    r = world.main("orders", "--csv", "--sep", ",", "--no-bom")
    assert r.returncode == 0, r
    # The format's own line ends are CRLF; no other control character anywhere.
    assert raw_controls(r.stdout.replace("\r\n", "\n")) == [], r
    rows = list(csv.reader(io.StringIO(r.stdout, newline="")))
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL).writerows(rows)
    assert again.getvalue() == r.stdout  # every cell quoted
    cells = [c for row in rows[1:] for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    osoba, album = rows[0].index("osoba"), rows[0].index("nr_albumu")
    people = {row[album]: row[osoba] for row in rows[1:]}
    for h in world.students:
        expected = visible(h.name)
        assert people[h.album] == ("'" + expected if h.name.startswith(FORMULA_START) else expected)
    hyperlink = world.students[NAMES.index(next(n for n in NAMES if n.startswith("=HYPERLINK")))]
    assert people[hyperlink.album] == f"'{hyperlink.name}"


def test_orders_json_keeps_names_exactly(world: World) -> None:
    r = no_raw_controls(world.main("orders", "--json"))
    people = {o["album"]: o["person"] for o in json.loads(r.stdout)}
    assert all(people[h.album] == h.name for h in world.students)


def test_student_view_shows_every_field_from_data_as_text(world: World) -> None:
    for h in world.students:
        r = no_raw_controls(world.main("student", h.album))
        assert r.returncode == 0, r
        text = NAMES[h.index]
        first = r.stdout.splitlines()[0]
        assert first == f"{visible(h.name)} — nr albumu {h.album}", first
        assert f"Kod QR: {visible(text[:200])}" in r.stdout  # MC's QR text
        assert f"Kod błędu: {visible(text[:64])} — {visible(text)}" in r.stdout  # MC's message
        assert f"{visible(LOGIN)} · unieważnienie" in r.stdout  # the login in the history
        assert f"  {visible(text[:64])} {visible(text[:250])} (studia I stopnia)" in r.stdout
    r = no_raw_controls(world.main("student", PENDING_ALBUM))
    # (the service keeps a reason on one line: runs of white space are one space)
    assert "powód: " + visible(" ".join(EVERYTHING.split())) in r.stdout
    r = no_raw_controls(world.main("student", FAILED_ALBUM))
    assert f"Kod błędu: {visible(CONTROL[0])} — {visible(EVERYTHING)}" in r.stdout


def test_student_json_keeps_every_field_exactly(world: World) -> None:
    for h in world.students[::3]:
        r = no_raw_controls(world.main("student", h.album, "--json"))
        view = json.loads(r.stdout)
        assert view["name"] == h.name
        current = next(o for o in view["orders"] if o["id"] == h.current)
        assert current["qr_code"] == NAMES[h.index][:200]


def test_error_lines_show_what_was_typed_as_text(world: World) -> None:
    osc52 = "\x1b]52;c;bm8gb25l\x07"  # no one's name or QR text (a hostile name is one: found)
    r = no_raw_controls(world.main("student", osc52))
    assert r.returncode == 2 and len(r.err_lines) == 1, r
    assert r.err_lines[0].startswith(f"mleg-tui: Nie znaleziono studenta: „{visible(osc52)}”."), r
    r = no_raw_controls(world.main("orders", "--from", "[/]\x1b[2J"))
    assert r.returncode == 2 and "„[/]␛[2J” nie jest datą" in r.stderr, r
    r = no_raw_controls(world.main("orders", "\x1b[2J"))  # argparse's own error
    assert r.returncode == 2 and "nieznane argumenty: ␛[2J" in r.stderr, r
    r = no_raw_controls(world.main("order", "place", world.students[8].album))  # not eligible
    assert r.returncode == 2 and r.stderr.startswith(f"mleg-tui: {visible(world.students[8].name)} ("), r


def test_import_lists_bad_rows_as_text(world: World) -> None:
    rows = [enrolment("X1", "900001", "Ewa", "Nowak", level="\x1b[2J"),
            enrolment("X2", "900002", "Jan", "Kowalski", has_photo="\x9b6n")]
    path = world.dir / "bad.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    r = no_raw_controls(world.main("import", str(path), "--skip-invalid"))
    # The importer names the character and where it is rather than quoting the value.
    assert r.returncode == 1, r
    assert "wiersz 2: level: znak sterujący U+001B w znaku 1" in r.stderr
    assert "wiersz 3: has_photo: znak sterujący U+009B w znaku 1" in r.stderr


def test_refresh_lists_failed_orders_one_line_each(world: World) -> None:
    # MC on a port nobody listens on: every order fails, each listed with its student.
    r = no_raw_controls(world.main("refresh", MLEG_TUI_MC_URL="http://127.0.0.1:9",
                                   MLEG_TUI_MC_TOKEN="t", MLEG_TUI_MC_MAX_TRIES="1"))
    assert r.returncode == 1, r
    listed = r.stdout.split("Nie udało się zaktualizować", 1)[1].splitlines()[1:]
    for h in world.students:
        mine = [line for line in listed if f" ({h.album}): " in line]
        assert len(mine) == 1 and mine[0].startswith("  UCZ-"), mine
        assert f" {visible(h.name)} ({h.album}): " in mine[0]


def test_revoke_and_the_sweep_name_students_as_text(world: World) -> None:
    """Last: these change the store."""
    h = world.students[NAMES.index("[@click=app.quit]Wyjdź[/]")]
    r = no_raw_controls(world.main("revoke", world.students[9].album, "--reason", "\x1b]0;x\x07"))
    assert r.returncode == 0 and r.stdout.startswith(visible(world.students[9].name)), r
    preview = no_raw_controls(world.main("sweep", "--dry-run"))
    items = preview.stdout.splitlines()[1:]
    assert len(items) == len(world.students) - 1  # one line each: a name never breaks one
    assert any(line.startswith(f"  {h.name} ({h.album}) ") for line in items)
    for s in world.students:
        if s.index != 9:
            assert sum(f"{visible(s.name)} ({s.album}) " in line for line in items) == 1, s.name
    r = no_raw_controls(world.main("sweep"))
    assert r.returncode == 0 and len(r.stdout.splitlines()) >= len(items) + 1, r
