"""The office server, as the README deploys it: staff reach the TUI over SSH only, each
under their own login and role, and nobody but the service account reads the store.

A real sshd on loopback (AcceptEnv lets the client's MLEG_TUI_* through, as a careless
administrator might); the TUI is driven in a real terminal (tmux) and its screen read.
"""
from __future__ import annotations

import sqlite3
import stat
import subprocess
from pathlib import Path

from support.office import OfficeServer


def events(store: Path) -> list[tuple[str, str, str, str | None]]:
    con = sqlite3.connect(store)
    try:
        return con.execute("SELECT action, actor_kind, actor, reason FROM order_event ORDER BY id").fetchall()
    finally:
        con.close()


def test_staff_add_wrote_one_forced_command_line_per_key(office: OfficeServer) -> None:
    keys = office.service.home / ".ssh" / "authorized_keys"
    lines = keys.read_text().splitlines()
    assert [line.split('"')[:2] for line in lines] == [
        ["restrict,pty,command=", f"{office.program} --as jan"],
        ["restrict,pty,command=", f"{office.program} --as ewa"],
    ]
    assert keys.stat().st_uid == office.service.home.stat().st_uid
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600 and stat.S_IMODE(keys.parent.stat().st_mode) == 0o700
    listed = office.mleg("staff", "list").stdout
    assert "jan" in listed and "podgląd" in listed and "ewa" in listed and "operator" in listed


def test_a_viewer_sees_the_orders_and_has_no_revoke_whatever_the_client_sends(office: OfficeServer) -> None:
    before = events(office.store)
    term = office.session("jan", env={"MLEG_TUI_ROLES": '{"jan": "admin"}', "MLEG_TUI_LOGIN": "dziekan",
                                      "MLEG_TUI_READ_ONLY": "false"},
                          ssh_options=("-o", "SendEnv=MLEG_TUI_*"))
    try:
        term.wait_for("jan · podgląd")
        screen = term.wait_for("(spośród 1)")  # the store is open: the keys are the role's
        assert "dziekan" not in screen and "administrator" not in screen
        # sshd passed them on (AcceptEnv); the program says it paid them no heed.
        assert "pominięto" in screen and "MLEG_TUI_ROLES" in screen
        assert "Unieważnij" not in term.screen()
        term.keys("x")  # the operator's key: nothing opens for a viewer
        term.keys("l", "text:100001", "Enter")
        screen = term.wait_for("nr albumu 100001")
        assert "Unieważnić" not in screen and "Unieważnij" not in screen
        term.keys("Escape", "q")
    finally:
        term.close()
    assert events(office.store) == before


def test_the_operators_revocation_is_recorded_under_the_operators_login(office: OfficeServer) -> None:
    term = office.session("ewa")
    try:
        term.wait_for("ewa · operator")
        term.wait_for("(spośród 1)")  # the store is open: the keys are the role's
        assert "Unieważnij" in term.wait_for("Unieważnij", timeout=10)
        term.keys("x")
        term.wait_for("Unieważnić:")
        term.keys("BTab", "text:skreślenie z listy studentów", "Enter")
        term.wait_for("Unieważnione")
        term.keys("q")
    finally:
        term.close()
    assert events(office.store)[-1] == ("REVOKED", "STAFF", "ewa", "skreślenie z listy studentów")


def test_asking_for_a_shell_still_gets_the_tui_and_never_a_shell(office: OfficeServer) -> None:
    term = office.session("jan", "bash", "-i")
    try:
        term.wait_for("jan · podgląd")
        term.keys("q")
    finally:
        term.close()
    args = office.sshd.ssh_args(office.service.name, office.keys["ewa"], tty=False)
    plain = subprocess.run([*args, "id; echo PWNED; cat ~/.config/mleg-tui/config.toml"],
                           capture_output=True, text=True, timeout=60)
    assert "PWNED" not in plain.stdout and "uid=" not in plain.stdout and "db =" not in plain.stdout
    assert "potrzebuje terminala" in plain.stderr and plain.returncode == 2, plain
    forward = subprocess.run([*args, "-N", "-o", "ExitOnForwardFailure=yes", "-L", "0:127.0.0.1:22"],
                             capture_output=True, text=True, timeout=60)
    assert forward.returncode != 0  # restrict: no port forwarding


def test_another_local_user_cannot_read_the_store(office: OfficeServer) -> None:
    store = office.store
    assert stat.S_IMODE(store.stat().st_mode) == 0o600 and stat.S_IMODE(store.parent.stat().st_mode) == 0o700
    config = office.service.home / ".config" / "mleg-tui" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    for target in (store, config, office.service.home / ".ssh" / "authorized_keys"):
        r = office.other.run("cat", str(target))
        assert r.returncode != 0 and "Permission denied" in r.stderr and r.stdout == "", r
    r = office.other.run(office.program, "--db", str(store), "orders")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "Bachta" not in r.stdout, r
    r = office.other.run(office.program, "--config", str(config), "orders")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r
    r = office.other.run(office.program, "--as", "ewa", "orders")  # --as is the service account's alone
    assert r.returncode == 2 and "--as" in r.stderr, r
