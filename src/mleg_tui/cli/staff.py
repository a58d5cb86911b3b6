"""`mleg-tui staff ...`: who may log in to the office server over SSH, with which role.

Run as the service account (it owns the config and its authorized_keys); the work is in
services.staff. Only argparse is imported here: `mleg-tui --help` stays quick.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

ROLE_CHOICES = ["viewer", "operator", "admin"]


def add_parser(cmd: Callable[..., argparse.ArgumentParser], parser_class: type[argparse.ArgumentParser],
               common: argparse.ArgumentParser) -> None:
    p = cmd("staff", "pracownicy na serwerze biura: klucze SSH i role (konto usługi)", run_staff)
    sub = p.add_subparsers(dest="staff_command", metavar="CZYNNOŚĆ", title="czynności", parser_class=parser_class,
                           required=True)

    def act(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common])

    roles = "rola: viewer (podgląd), operator albo admin (administrator)"
    a = act("add", "dodaj pracownika: rola w [roles], klucz w authorized_keys")
    a.add_argument("login", metavar="LOGIN", help="login pracownika (jak w [roles])")
    a.add_argument("--role", required=True, choices=ROLE_CHOICES, metavar="ROLA", help=roles)
    a.add_argument("--key", required=True, metavar="PLIK.pub", help="klucz publiczny SSH pracownika")
    act("list", "pokaż pracowników, ich role i klucze")
    s = act("set-role", "zmień rolę pracownika")
    s.add_argument("login", metavar="LOGIN", help="login pracownika")
    s.add_argument("role", choices=ROLE_CHOICES, metavar="ROLA", help="nowa " + roles)
    r = act("remove", "usuń pracownika: jego klucze i rolę")
    r.add_argument("login", metavar="LOGIN", help="login pracownika")


def run_staff(args: argparse.Namespace) -> int:
    from mleg_tui.cli.main import _err, _out, settings_for
    from mleg_tui.config import ignored_variables
    from mleg_tui.services import staff

    settings = settings_for(args)
    for warning in ignored_variables():
        _err(f"mleg-tui: uwaga: {warning}")
    what: dict[str, Callable[[], Any]] = {
        "add": lambda: staff.add_staff(settings, args.login, args.role, args.key),
        "list": lambda: staff.list_staff(settings).text(),
        "set-role": lambda: staff.set_role(settings, args.login, args.role),
        "remove": lambda: staff.remove_staff(settings, args.login),
    }
    _out(what[args.staff_command]())
    return 0
