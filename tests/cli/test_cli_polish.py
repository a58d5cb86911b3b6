"""The command line speaks Polish only: argparse's own texts (usage, the help option, its
error messages), every option's help line, and numbers with a decimal comma."""
from __future__ import annotations

import argparse
import ast
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mleg_tui.cli import build_parser
from mleg_tui.cli.argparse_pl import MESSAGES, PLURALS
from mleg_tui.simulator.server import build_parser as sim_parser
from support.cli import CliResult, cli_environment, run_cli_parallel, run_main

# argparse's English, as it would show in a help or an error (option names are taken out
# first: `--error-code` is not the word "error").
ENGLISH = re.compile(r"\b(usage|options|optional|positional|arguments?|show this|help message|error|"
                     r"invalid|choose|choices|required|unrecognized|expected|allowed|ambiguous|default|"
                     r"share|seconds|delay)\b", re.IGNORECASE)


def english_in(text: str) -> list[str]:
    return ENGLISH.findall(re.sub(r"--?[\w-]+", " ", text))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    return cli_environment(tmp_path / "store.db", config)


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (sub)command's parser, by the words that reach it (`mc-sim` has its own)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if path + (name,) == ("mc-sim",):
                    yield ("mc-sim",), sim_parser()
                else:
                    yield from commands(sub, path + (name,))


def test_every_text_of_the_running_pythons_argparse_has_a_polish_one():
    """The table holds every text argparse asks gettext for (read out of its source), so
    a new Python's new message cannot slip through in English."""
    tree = ast.parse(inspect.getsource(argparse))
    asked = {"_": set(), "ngettext": set()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in asked:
            first = node.args[0]
            if isinstance(first, ast.Call):  # _(kwargs.pop('title', 'subcommands'))
                first = first.args[-1]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                asked[node.func.id].add(first.value)
    assert len(asked["_"]) > 20
    assert asked["_"] - set(MESSAGES) == set()
    assert asked["ngettext"] - set(PLURALS) == set()
    placeholders = re.compile(r"%(?:\(\w+\))?[a-z]")
    for english, polish in MESSAGES.items():  # argparse's % formatting must fill the Polish text
        assert sorted(placeholders.findall(polish)) == sorted(placeholders.findall(english)), english
    for english, forms in PLURALS.items():
        assert all(placeholders.findall(f) == placeholders.findall(english) for f in forms), english


def test_every_option_of_every_command_has_a_help_line():
    seen = []
    for path, parser in commands(build_parser()):
        seen.append(" ".join(path))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(a.help for a in action._choices_actions), path
                continue
            name = "/".join(action.option_strings) or action.dest
            assert action.help and action.help is not argparse.SUPPRESS, f"{' '.join(path)} {name}"
            assert not english_in(action.help), f"{' '.join(path)} {name}: {action.help}"
    assert {"", "orders", "refresh", "mc-sim", "revoke", "demo"} <= set(seen)


def test_every_commands_help_is_polish(env: dict[str, str]):
    for path, _ in commands(build_parser()):
        r = run_main([*path, "--help"], env)
        assert r.returncode == 0, r
        assert r.stdout.startswith(f"użycie: mleg-tui {' '.join(path)}".rstrip()), r
        assert "pokaż tę pomoc i zakończ" in r.stdout, r
        assert english_in(r.stdout) == [], r


def one_polish_line(r: CliResult, *expected: str) -> None:
    assert r.returncode == 2, r
    assert r.stdout == "", r
    assert len(r.err_lines) == 1, r
    assert "Traceback" not in r.stderr, r
    for text in expected:
        assert text in r.stderr, r
    assert english_in(r.stderr) == [], r


def test_help_bad_choice_and_missing_argument_from_a_real_process(env: dict[str, str], tmp_path: Path):
    top, orders, choice, missing, command, number = run_cli_parallel([
        (["--help"], None), (["orders", "--help"], None), (["orders", "--sort", "kolor"], None),
        (["revoke", "100001"], None), (["wyloguj"], None), (["orders", "--limit", "dużo"], None),
    ], env, tmp_path)
    for r in (top, orders):
        assert r.returncode == 0 and r.stderr == "", r
        assert r.stdout.startswith("użycie: mleg-tui"), r
        assert english_in(r.stdout) == [], r
    assert "\npolecenia:\n" in top.stdout and "\nopcje:\n" in top.stdout
    assert "  orders " in top.stdout and "lista zamówień" in top.stdout
    assert "--query TEKST, -q TEKST" in orders.stdout and "nazwisko i imię (dowolna kolejność" in orders.stdout
    one_polish_line(choice, "mleg-tui orders: --sort: nieprawidłowy wybór 'kolor' (do wyboru: 'person',",
                    "(zob. mleg-tui orders --help)")
    one_polish_line(missing, "mleg-tui revoke: brak wymaganych argumentów: --reason")
    one_polish_line(command, "mleg-tui: POLECENIE: nieprawidłowy wybór 'wyloguj'")
    one_polish_line(number, "--limit: „dużo” to nie liczba całkowita")


def test_other_argparse_errors_in_polish(env: dict[str, str]):
    cases = [
        (["orders", "--json", "--csv"], "--csv: nie można użyć razem z --json"),
        (["orders", "--reason", "x"], "nieznane argumenty: --reason x"),
        (["revoke", "100001", "--reason"], "--reason: oczekiwano jednej wartości"),
        (["orders", "--status"], "--status: oczekiwano co najmniej jednej wartości"),
        (["order", "zamow", "100001"], "CZYNNOŚĆ: nieprawidłowy wybór 'zamow' (do wyboru: 'place', 'cancel')"),
        (["mc-sim", "--fail-5xx", "2"], "--fail-5xx: „2”: podaj część od 0 do 1"),
        (["mc-sim", "--port", "http"], "--port: „http” to nie liczba całkowita"),
    ]
    for args, expected in cases:
        one_polish_line(run_main(args, env), expected)


# --- settings: pydantic's checks, said in Polish ----------------------------------------------

PYDANTIC = re.compile(r"Input should|valid (integer|number|string|boolean|dictionary|list)|Field required|"
                      r"Tuple should|greater than|less than|Value error|pydantic", re.IGNORECASE)


def settings_error(env: dict[str, str], toml: str | None = None, **variables: str) -> str:
    if toml is not None:
        config = Path(env["MLEG_TUI_CONFIG"])
        config.write_text(toml, encoding="utf-8")
        config.chmod(0o600)
    r = run_main(["orders"], env, extra_env=variables)
    assert r.returncode == 2 and r.stdout == "" and len(r.err_lines) == 1, r
    line = r.err_lines[0]
    assert line.startswith("mleg-tui: Błędne ustawienia: "), r
    assert not PYDANTIC.search(line), line
    return line


def test_a_wrong_setting_is_named_with_where_it_was_given_and_what_to_write(env: dict[str, str]):
    config = env["MLEG_TUI_CONFIG"]
    role = settings_error(env, '[roles]\njan = "boss"\n')
    assert f'roles.jan: „boss” to nie jedna z dozwolonych wartości (plik {config}) — w sekcji [roles] ' \
           'każdy wiersz to login = "viewer", "operator" albo "admin".' in role
    concurrency = settings_error(env, "", MLEG_TUI_MC_CONCURRENCY="szesnaście")
    assert "mc_concurrency: „szesnaście” to nie liczba całkowita (zmienna MLEG_TUI_MC_CONCURRENCY) — " \
           "podaj liczbę całkowitą od 1 do 256." in concurrency
    assert "poza zakresem" in settings_error(env, "mc_concurrency = 0\n")
    assert "podaj liczbę większą od 0" in settings_error(env, "mc_read_timeout = -1\n")
    assert "read_only: „może” to nie true ani false" in settings_error(env, 'read_only = "może"\n')
    assert "validity_periods nr 1.2: brakuje wartości" in settings_error(env, 'validity_periods = [["10-01"]]\n')
    assert "mc_urll: nieznane ustawienie (może mc_url?)" in settings_error(env, 'mc_urll = "http://x"\n')
    # Two wrong settings: both named, in one line.
    both = settings_error(env, 'renewal_days = 1.5\n[keymap]\n"orders.refresh" = 5\n')
    assert "renewal_days: „1.5” to nie liczba całkowita" in both and "keymap.orders.refresh: „5” to nie tekst" in both


def test_a_wrong_mc_token_is_never_shown(env: dict[str, str]):
    line = settings_error(env, "mc_token = 7355608\n")
    assert "mc_token: to nie tekst" in line and "podaj token w cudzysłowie" in line
    assert "7355608" not in line


# --- one date style per context ----------------------------------------------------------------

LIST_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DETAIL_DATE = re.compile(r"(?<![\d.])([1-9]|[12]\d|3[01])\.(0[1-9]|1[0-2])\.\d{4}\b")
PADDED_DAY = re.compile(r"(?<![\d.])0\d\.\d{2}\.\d{4}\b")


def test_the_list_and_the_student_each_write_dates_one_way(env: dict[str, str]):
    """The order list as figure 11 (2025-09-03 22:20:32); the student's page, its history,
    the reasons and what to do as the manual's student pages (3.09.2025, 22:18; an event
    to the second)."""
    assert run_main(["demo-data", "--students", "40"], env).returncode == 0
    listing = run_main(["orders"], env).stdout
    rows = listing.splitlines()[2:]
    assert len(rows) > 20
    for row in rows:
        assert re.search(r" \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ", row) and LIST_DATE.search(row[-40:]), row
        assert not DETAIL_DATE.search(row), row
    for album in ("1234336607", "100003", "100005", "100006", "100007", "100009"):
        page = run_main(["student", album], env).stdout
        assert DETAIL_DATE.search(page), page
        assert not LIST_DATE.search(page) and not PADDED_DAY.search(page), page
        # A time follows its date after a comma: 19.11.2025, 22:20 (events: 22:20:32).
        assert not re.search(r"\d{4} \d{1,2}:\d{2}", page), page
        history = [line for line in page.splitlines() if line.startswith("    ") and " · " in line]
        assert history and all(re.match(r" {4}\d{1,2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} · ", h) for h in history)
