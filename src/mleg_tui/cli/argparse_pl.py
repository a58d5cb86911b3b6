"""argparse in Polish: its own texts ("usage:", "options", the help option, every error
message) and the value types of our options.

argparse asks gettext for each of its texts, through the names `_` and `ngettext` it looks
up in its module at every call. A gettext catalog would take effect only when the user's
locale variables name Polish (cron and sshd often give C), and would ship a compiled file;
so `Parser` points those two names at the table below for the time of its own calls (and
puts them back after: nothing else in the process is changed). The table holds every text
of argparse's (a test reads them out of the running Python's argparse), so no English one
can reach a user.
"""
from __future__ import annotations

import argparse
import contextlib
import textwrap
from collections.abc import Iterator
from typing import Any, NoReturn

from mleg_tui.domain.numbers import decimal
from mleg_tui.domain.text import visible

MESSAGES: dict[str, str] = {
    # what a user of the command sees
    "usage: ": "użycie: ",
    "positional arguments": "argumenty",
    "options": "opcje",
    "subcommands": "polecenia",
    "show this help message and exit": "pokaż tę pomoc i zakończ",
    "show program's version number and exit": "pokaż wersję programu i zakończ",
    "%(prog)s: error: %(message)s\n": "%(prog)s: błąd: %(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s: uwaga: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "nieznane argumenty: %s",
    "the following arguments are required: %s": "brak wymaganych argumentów: %s",
    "one of the arguments %s is required": "wymagany jest jeden z argumentów: %s",
    "not allowed with argument %s": "nie można użyć razem z %s",
    "expected one argument": "oczekiwano jednej wartości",
    "expected at most one argument": "oczekiwano najwyżej jednej wartości",
    "expected at least one argument": "oczekiwano co najmniej jednej wartości",
    "invalid choice: %(value)r (choose from %(choices)s)": "nieprawidłowy wybór %(value)r (do wyboru: %(choices)s)",
    "invalid choice: %(value)r, maybe you meant %(closest)r? (choose from %(choices)s)":
        "nieprawidłowy wybór %(value)r, może %(closest)r? (do wyboru: %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "nieznane polecenie %(parser_name)r (do wyboru: %(choices)s)",
    "invalid %(type)s value: %(value)r": "nieprawidłowa wartość %(value)r (oczekiwano: %(type)s)",
    "ambiguous option: %(option)s could match %(matches)s": "niejednoznaczna opcja %(option)s: pasuje do %(matches)s",
    "unexpected option string: %s": "nieoczekiwana opcja: %s",
    "ignored explicit argument %r": "pominięto podaną wartość %r",
    "can't open '%(filename)s': %(error)s": "nie można otworzyć pliku „%(filename)s”: %(error)s",
    'argument "-" with mode %r': "argument „-” w trybie %r",
    "option '%(option)s' is deprecated": "opcja „%(option)s” jest przestarzała",
    "argument '%(argument_name)s' is deprecated": "argument „%(argument_name)s” jest przestarzały",
    "command '%(parser_name)s' is deprecated": "polecenie „%(parser_name)s” jest przestarzałe",
    # mistakes in a parser's definition (a programmer's, never a user's)
    ".__call__() not defined": ".__call__() nie jest zdefiniowane",
    "'required' is an invalid argument for positionals": "argument pozycyjny nie przyjmuje 'required'",
    "mutually exclusive arguments must be optional": "wykluczające się argumenty muszą być opcjami",
    "%r is not callable": "%r nie jest funkcją",
    "cannot merge actions - two groups are named %r": "nie można połączyć opcji: dwie grupy nazywają się %r",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r":
        "nieprawidłowa opcja %(option)r: musi się zaczynać znakiem %(prefix_chars)r",
    "dest= is required for options like %r": "opcja taka jak %r wymaga dest=",
    "invalid conflict_resolution value: %r": "nieprawidłowa wartość conflict_resolution: %r",
    "cannot have multiple subparser arguments": "może być tylko jedna lista poleceń",
    "conflicting subparser: %s": "powtórzone polecenie: %s",
    "conflicting subparser alias: %s": "powtórzona inna nazwa polecenia: %s",
}

# ngettext's texts, by the English singular: the Polish forms for 1, for 2-4 (22-24, ...), for 5.
PLURALS: dict[str, tuple[str, str, str]] = {
    "expected %s argument": ("oczekiwano %s wartości",) * 3,
    "conflicting option string: %s": ("powtórzona opcja: %s", "powtórzone opcje: %s", "powtórzone opcje: %s"),
}


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    forms = PLURALS.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    if n == 1:
        return forms[0]
    return forms[1] if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else forms[2]


_ARGPARSE = vars(argparse)  # the module's names, which its functions look up at each call


@contextlib.contextmanager
def _polish() -> Iterator[None]:
    saved = _ARGPARSE["_"], _ARGPARSE["ngettext"]
    _ARGPARSE["_"], _ARGPARSE["ngettext"] = gettext, ngettext
    try:
        yield
    finally:
        _ARGPARSE["_"], _ARGPARSE["ngettext"] = saved


class Formatter(argparse.HelpFormatter):
    """Lines broken between words only: `--skip-invalid` or `mc-sim` stay whole."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent,
                             subsequent_indent=indent, break_on_hyphens=False)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose every text is Polish, and whose errors are one line (the
    command, what is wrong, where to read more) instead of the whole usage."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("formatter_class", Formatter)
        with _polish():  # the help option and the groups' titles are named here
            super().__init__(*args, **kw)

    def add_subparsers(self, **kw: Any) -> Any:
        kw.setdefault("parser_class", type(self))
        with _polish():
            return super().add_subparsers(**kw)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        with _polish():
            return super().parse_known_args(args, namespace)

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        with _polish():
            return super().parse_args(args, namespace)

    def format_usage(self) -> str:
        with _polish():
            return super().format_usage()

    def format_help(self) -> str:
        with _polish():
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.exit(2, visible(f"{self.prog}: {message} (zob. {self.prog} --help)") + "\n")


# Value types: argparse names a type by its __name__ when a value does not fit ("invalid
# int value"); these say in Polish what to write instead.

def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"„{text}” to nie liczba całkowita") from None


def number(text: str) -> float:
    """A number, with a decimal comma or point (0,5 or 0.5)."""
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"„{text}” to nie liczba (np. 2 albo {decimal(0.5)})") from None
