"""Who may change what, tried as a staff member who wants more than their role.

Every changing command obeys the role and --read-only on the command line as in the TUI;
roles and the acting login never come from the environment; a config file holding roles
or the MC token is its owner's alone; a store is readable by its owner only, and one that
others can read is told at start. (The account running these tests owns every file it
makes: that is the service account of an office server.)
"""
from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mleg_tui.config import Settings, default_db, load_settings
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.services import actions
from mleg_tui.services.context import Context, decide_role, open_context, os_login
from support.cli import CliResult
from support.register import csv_text, enrolment
from support.stores import is_pg, mc_moves, store_dump, store_sql

ME = os_login()
NOBODY = 65534  # a uid that owns nothing here
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="giving a file to another user needs root")


def configure(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def roles(**named: str) -> str:
    return "[roles]\n" + "".join(f'"{login}" = "{role}"\n' for login, role in named.items())


@pytest.fixture
def office(ctx: Context, add_students, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:  # type: ignore[no-untyped-def]
    """100001 may order; 100002 has an order waiting; 100003 has one at MC; register.csv
    in the working folder."""
    monkeypatch.chdir(tmp_path)
    add_students(enrolment("P1", "100001"), enrolment("P2", "100002", "Jan", "Nowak"),
                 enrolment("P3", "100003", "Ewa", "Lis"))
    actions.place_order(ctx, "100002")
    mc_moves(ctx, actions.place_order(ctx, "100003").order_id, S.W_TRAKCIE)
    (tmp_path / "register.csv").write_text(csv_text([enrolment("P9", "100009", "Ola", "Kot")]),
                                           encoding="utf-8")
    return ctx


CHANGING = {
    "import": ("import", "register.csv"),
    "demo-data": ("demo-data", "--students", "5", "--replace"),
    "order place": ("order", "place", "100001"),
    "order cancel": ("order", "cancel", "100002"),
    "revoke": ("revoke", "100003", "--reason", "skreślenie"),
    "refresh": ("refresh",),
    "sweep": ("sweep",),
}
# Which role each command needs (the README's table says the same).
NEEDS = {"import": "admin", "demo-data": "admin", "order place": "operator",
         "order cancel": "operator", "revoke": "operator", "refresh": "operator", "sweep": "admin"}


def refused(r: CliResult, *words: str) -> None:
    assert r.returncode == 2 and "Traceback" not in r.stderr, r
    assert r.stdout == "", r
    last = r.err_lines[-1]
    for word in words:
        assert word in last, r


@pytest.mark.parametrize("how", ["--read-only", "viewer in [roles]", "--read-only as admin in [roles]",
                                 "viewer in [roles], MLEG_TUI_ROLES says admin"])
def test_a_viewer_changes_nothing_with_any_command(office: Context, store_url: str, isolated_env: Path,
                                                   tmp_path: Path, how: str, mleg) -> None:  # type: ignore[no-untyped-def]
    flags: tuple[str, ...] = ("--read-only",) if "--read-only" in how else ()
    if "admin in" in how:
        configure(isolated_env, roles(**{ME: "admin"}))
    elif "[roles]" in how:
        configure(isolated_env, roles(**{ME: "viewer"}))
    env = {"MLEG_TUI_ROLES": f'{{"{ME}": "admin"}}'} if "MLEG_TUI_ROLES" in how else None
    before = store_dump(store_url)
    for args in CHANGING.values():
        r = mleg(*flags, *args, env=env)
        if flags:
            refused(r, "--read-only")
        else:
            refused(r, ME, "podgląd")
        if env:
            assert "MLEG_TUI_ROLES nie ma wpływu" in r.stderr, r
    assert store_dump(store_url) == before
    assert mleg(*flags, "sweep", "--dry-run", env=env).returncode == 0  # looking is allowed


def test_each_command_needs_the_role_the_readme_names(office: Context, store_url: str, isolated_env: Path,
                                                      mleg) -> None:  # type: ignore[no-untyped-def]
    configure(isolated_env, roles(**{ME: "operator"}))
    for name, args in CHANGING.items():
        r = mleg(*args)
        if NEEDS[name] == "admin":
            refused(r, ME, "operator")
        else:
            assert "nie może wykonać" not in r.stderr, r
    # What the operator did stands, under their login.
    events = store_sql(store_url, "SELECT action, actor_kind, actor FROM order_event WHERE actor = ?", ME)
    assert ("REVOKE_PENDING", "STAFF", ME) in events and ("PLACED", "STUDENT", ME) in events


def test_environment_names_neither_roles_nor_who_acts(office: Context, store_url: str, isolated_env: Path,
                                                      cli) -> None:  # type: ignore[no-untyped-def]
    configure(isolated_env, roles(**{ME: "operator"}))
    env = {"MLEG_TUI_ROLES": f'{{"root": "admin", "{ME}": "admin"}}', "MLEG_TUI_LOGIN": "dziekan",
           "mleg_tui_login": "dziekan", "LOGNAME": "rektor", "USER": "rektor"}
    r = cli("import", "register.csv", env=env)
    refused(r, ME, "operator")
    assert "MLEG_TUI_ROLES nie ma wpływu" in r.stderr and "MLEG_TUI_LOGIN nie ma wpływu" in r.stderr
    placed = cli("order", "place", "100001", env=env)
    assert placed.returncode == 0, placed
    actors = {a for (a,) in store_sql(store_url, "SELECT DISTINCT actor FROM order_event")}
    assert "dziekan" not in actors and "rektor" not in actors and ME in actors


def test_the_tui_ignores_roles_from_the_environment(store_url: str, isolated_env: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    configure(isolated_env, roles(**{ME: "viewer"}))
    monkeypatch.setenv("MLEG_TUI_ROLES", f'{{"{ME}": "admin"}}')
    monkeypatch.setenv("MLEG_TUI_LOGIN", "dziekan")
    ctx = open_context(load_settings(db=store_url))
    assert (ctx.login, ctx.role) == (ME, "viewer")
    assert any("MLEG_TUI_ROLES" in w for w in ctx.warnings)


def test_without_roles_the_command_line_has_full_rights_the_tui_those_of_the_owner(
        store_url: str, isolated_env: Path) -> None:
    settings = load_settings(db=store_url)
    assert decide_role(settings, cli=True) == "admin"
    assert decide_role(settings) == "admin"  # this account owns the config and the store
    assert decide_role(load_settings(db=store_url, read_only=True), cli=True) == "viewer"


@as_root
def test_the_owner_of_config_and_store_is_admin_unless_roles_say_otherwise(
        office: Context, store_url: str, isolated_env: Path, mleg) -> None:  # type: ignore[no-untyped-def]
    configure(isolated_env, roles(ewa="operator"))
    assert mleg("import", "register.csv").returncode == 0  # owner, not named: admin
    for settings in (load_settings(db=store_url),):
        assert decide_role(settings) == decide_role(settings, cli=True) == "admin"
    os.chown(isolated_env, NOBODY, NOBODY)  # the config is someone else's now
    try:
        refused(mleg("import", "register.csv"), ME, "podgląd")
        assert decide_role(load_settings(db=store_url)) == "viewer"
    finally:
        os.chown(isolated_env, 0, 0)
    if not is_pg(store_url):
        os.chown(store_url, NOBODY, NOBODY)  # the store is someone else's
        assert decide_role(load_settings(db=store_url)) == "viewer"


def test_as_names_the_actor_and_only_roles_give_it_rights(office: Context, store_url: str, isolated_env: Path,
                                                          mleg) -> None:  # type: ignore[no-untyped-def]
    # A staff session's settings are the config file's alone (the forced command names it).
    configure(isolated_env, f'db = "{store_url}"\ntoday = "2025-09-03"\n'
                            + roles(ewa="operator", **{"jan.k": "viewer"}))

    def staff(login: str, *args: str) -> CliResult:
        return mleg("--config", str(isolated_env), "--as", login, *args,
                    env={"MLEG_TUI_DB": "elsewhere.db", "MLEG_TUI_TODAY": "2019-01-01"})

    placed = staff("ewa", "order", "place", "100001")
    assert placed.returncode == 0, placed
    assert "pominięto zmienne: MLEG_TUI_CONFIG, MLEG_TUI_DB, MLEG_TUI_LOG_FILE, MLEG_TUI_TODAY" in placed.stderr
    actor, at = store_sql(store_url, "SELECT actor, at FROM order_event WHERE action = 'PLACED' "
                                     "ORDER BY id DESC LIMIT 1")[0]
    assert actor == "ewa" and str(at).startswith("2025-09-03")  # the config's today, not 2019
    refused(staff("ewa", "import", "register.csv"), "ewa", "operator")
    refused(staff("jan.k", "revoke", "100003", "--reason", "x"), "jan.k", "podgląd")
    refused(staff("marek", "order", "cancel", "100002"), "marek", "podgląd")  # not named: viewer
    assert staff("marek", "student", "100001").returncode == 0
    refused(staff("x\"; sh", "orders"), "login")
    assert mleg("orders").stderr == ""  # the next command is not a staff session


@as_root
def test_as_is_honoured_only_for_the_account_owning_the_config(office: Context, isolated_env: Path,
                                                               mleg) -> None:  # type: ignore[no-untyped-def]
    configure(isolated_env, roles(ewa="admin"))
    os.chown(isolated_env, NOBODY, NOBODY)
    try:
        refused(mleg("--config", str(isolated_env), "--as", "ewa", "orders"), "--as", "konto usługi")
    finally:
        os.chown(isolated_env, 0, 0)


@pytest.mark.parametrize("text", ['[roles]\newa = "admin"\n', 'mc_token = "sekret-123"\n',
                                  'MC_TOKEN = "sekret-123"\n', 'Mc_Token = "sekret-123"\n',
                                  '[Roles]\newa = "admin"\n'])
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o602, 0o620])
def test_a_config_with_roles_or_the_token_that_others_can_reach_is_refused(
        isolated_env: Path, mleg, store_url: str, text: str, mode: int) -> None:  # type: ignore[no-untyped-def]
    open_context(Settings(db=store_url), role="admin").engine.dispose()  # a store to read
    configure(isolated_env, text, mode)
    r = mleg("orders")
    refused(r, f"chmod 600 {isolated_env}")
    assert "sekret" not in r.stderr
    os.chmod(isolated_env, 0o600)
    assert mleg("orders").returncode == 0


def test_a_config_may_not_name_who_acts(isolated_env: Path, mleg) -> None:  # type: ignore[no-untyped-def]
    configure(isolated_env, 'login = "dziekan"\n')
    refused(mleg("orders"), "login")


# --- the store's file modes -------------------------------------------------------------

@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """The SQLite file of the test's CLI runs (a test asking for it runs on SQLite only)."""
    return tmp_path / "store.db"


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("group", [False, True])
def test_a_new_store_and_its_folder_are_the_owners_alone(tmp_path: Path, group: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The default location: the only one whose missing folders are made (a --db path's
    # folder must exist).
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "office"))
    db = Path(default_db())
    assert db == tmp_path / "office" / "mleg-tui" / "mleg.db"
    with umask(0):  # the most generous umask: the modes are ours, not the umask's
        ctx = open_context(Settings(db=str(db), store_group_readable=group), role="admin")
        with ctx.engine.connect() as conn:  # held open: SQLite keeps -wal and -shm meanwhile
            from mleg_tui.services.importer import import_csv

            (tmp_path / "r.csv").write_text(csv_text([enrolment()]), encoding="utf-8")
            import_csv(ctx, tmp_path / "r.csv")
            files = {p.name: mode(p) for p in db.parent.iterdir()}
            conn.close()
        ctx.engine.dispose()
    want_file, want_dir = (0o640, 0o750) if group else (0o600, 0o700)
    assert files == {"mleg.db": want_file, "mleg.db-wal": want_file, "mleg.db-shm": want_file}
    assert mode(db.parent) == mode(db.parent.parent) == want_dir


def chmod_store(path: Path, mode: int) -> None:
    """As the warning tells the user to: the store and the side files SQLite has open."""
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if f.exists():
            os.chmod(f, mode)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_a_store_others_can_read_is_told_at_start_and_works(store_path: Path, isolated_env: Path,
                                                            mleg, cli) -> None:  # type: ignore[no-untyped-def]
    open_context(Settings(db=str(store_path)), role="admin").engine.dispose()
    assert mleg("orders").stderr == ""
    chmod_store(store_path, 0o644)
    r = mleg("orders")
    assert r.returncode == 0 and len(r.err_lines) == 1, r
    assert "inni użytkownicy" in r.stderr and f"chmod 600 {store_path}" in r.stderr, r
    chmod_store(store_path, 0o640)
    assert "grupa" in mleg("orders").stderr and "store_group_readable" in mleg("orders").stderr
    configure(isolated_env, "store_group_readable = true\n")
    assert mleg("orders").stderr == ""  # the office shares it by group on purpose
    chmod_store(store_path, 0o644)
    assert "inni użytkownicy" in cli("orders").stderr  # others still are told


async def test_the_tui_tells_of_a_readable_store_without_stopping(store_path: Path) -> None:
    from mleg_tui.app import MlegApp

    open_context(Settings(db=str(store_path)), role="admin").engine.dispose()
    os.chmod(store_path, 0o604)
    app = MlegApp(Settings(db=str(store_path)))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            if app.ctx is not None and list(app._notifications):
                break
        texts = [n.message for n in app._notifications]
        assert any("chmod 600" in t and "inni użytkownicy" in t for t in texts), texts
        assert type(app.screen).__name__ == "OrdersScreen"  # no dialog in the way
        assert app.ctx is not None and app.ctx.role == "admin"  # its owner, no [roles]


@as_root
def test_an_empty_roles_section_still_decides_for_logins_that_own_nothing(
        office: Context, isolated_env: Path, mleg) -> None:  # type: ignore[no-untyped-def]
    """After `staff remove` of the last staff member [roles] is empty, not gone: someone
    who owns neither the config nor the store is a viewer, as before."""
    for text, allowed in (("", True), ("[roles]\n", False)):
        configure(isolated_env, text)
        os.chown(isolated_env, NOBODY, NOBODY)
        try:
            r = mleg("import", "register.csv")
        finally:
            os.chown(isolated_env, 0, 0)
        if allowed:  # no [roles] at all: the command line's full rights, as today
            assert r.returncode == 0, r
        else:
            refused(r, ME, "podgląd")
