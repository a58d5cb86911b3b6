"""What every service call needs: the store, the clock, the rules and who is acting.

Importable without SQLAlchemy: the TUI asks who is acting before the store is loaded.

Who is acting, and with which role (the one place this is decided):
- the login is the operating system's (the uid's passwd entry, not LOGNAME or USER,
  which anyone sets), or the one `--as` names: the forced command of a staff member's
  SSH key, honoured only for the account that owns the config (services.staff);
- `--read-only` always means viewer;
- a login named in `[roles]` has its role there, in every front end;
- `--as` naming a login `[roles]` does not name: viewer;
- otherwise the account that owns the config and the store acts as admin (it can change
  the files anyway), and so does the command line when there is no `[roles]` at all (a
  personal store, scripts, tests); everyone else is a viewer.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from mleg_tui.clock import Clock
from mleg_tui.config import Role, Settings, config_path, ignored_variables
from mleg_tui.domain.rules import ValidityRules
from mleg_tui.errors import UserError

if TYPE_CHECKING:  # screens import Permission before the store's machinery is loaded
    from sqlalchemy import Engine


class Permission(str, Enum):
    VIEW = "view"
    REFRESH = "refresh"
    REVOKE = "revoke"  # one order or card at a time
    REVEAL_CODE = "reveal_code"
    BULK_REVOKE = "bulk_revoke"
    SWEEP = "sweep"
    PLACE = "place"  # on the student's behalf (the portal's action)
    CANCEL = "cancel"  # on the student's behalf
    IMPORT = "import"  # the register's CSV
    DEMO_DATA = "demo_data"  # build a demo store
    STAFF = "staff"  # who may log in, with which role
    EXPORT_PESEL = "export_pesel"  # whole PESELs in an export (masked otherwise)
    AUDIT = "audit"  # who did what: the event log across all students (RODO accountability)


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.VIEW}),
    "operator": frozenset(
        {
            Permission.VIEW,
            Permission.REFRESH,
            Permission.REVOKE,
            Permission.REVEAL_CODE,
            Permission.PLACE,
            Permission.CANCEL,
        }
    ),
    "admin": frozenset(Permission),
}
ROLE_LABELS = {"viewer": "podgląd", "operator": "operator", "admin": "administrator"}
PERMISSION_LABELS = {
    Permission.VIEW: "przeglądanie",
    Permission.REFRESH: "aktualizacja statusów w MC",
    Permission.REVOKE: "unieważnienie",
    Permission.REVEAL_CODE: "odsłonięcie kodu aktywacyjnego",
    Permission.BULK_REVOKE: "unieważnienie zamówień wielu osób naraz",
    Permission.SWEEP: "skrypt unieważniający",
    Permission.PLACE: "złożenie zamówienia",
    Permission.CANCEL: "anulowanie zamówienia",
    Permission.IMPORT: "import z rejestru",
    Permission.DEMO_DATA: "budowa bazy demonstracyjnej",
    Permission.STAFF: "zarządzanie pracownikami",
    Permission.EXPORT_PESEL: "eksport z pełnymi numerami PESEL",
    Permission.AUDIT: "przegląd dziennika zdarzeń (kto co zrobił)",
}
# A login as `--as` and `staff` take it: it goes into authorized_keys and the event log.
LOGIN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Forbidden(UserError):
    pass


def os_login() -> str:
    """The login of the process's user, from the system's account database."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except ImportError:  # not POSIX
        import getpass

        return getpass.getuser()
    except KeyError:  # a uid without a passwd entry (some containers)
        return str(os.getuid())


def login_of(settings: Settings) -> str:
    """Who is acting: `--as` (or a test's login), else the operating system's."""
    return settings.login or os_login()


def _owner(path: str) -> int | None:
    try:
        return os.stat(path).st_uid
    except OSError:
        return None


def owns_files(settings: Settings) -> bool:
    """This process's user owns the config file and the SQLite store (those that exist;
    a store about to be created will be its own)."""
    if not hasattr(os, "getuid"):
        return True
    paths = [str(config_path())]
    url = settings.db_url
    if url.startswith("sqlite:///"):
        paths.append(url.removeprefix("sqlite:///"))
    return all(_owner(p) in (None, os.getuid()) for p in paths)


def decide_role(settings: Settings, *, cli: bool = False) -> Role:
    """The role of whoever runs this process with these settings (see the module's text)."""
    if settings.read_only:
        return "viewer"
    login = login_of(settings)
    roles = settings.roles or {}
    if login in roles:
        return roles[login]
    if settings.login is not None:  # --as, or a test's login: only [roles] speaks for it
        return "viewer"
    if cli and settings.roles is None:  # no [roles] section
        return "admin"
    return "admin" if owns_files(settings) else "viewer"


@dataclass
class Context:
    settings: Settings
    engine: Engine
    login: str
    role: Role
    # Said to the user at start (CLI: stderr; TUI: a notification), never blocking.
    warnings: list[str] = field(default_factory=list)
    # Where the run reports say a job was started from (TUI or CLI), and whether a person
    # was at a terminal (the CLI sets it: without one, cron or a script acts).
    origin: str = "TUI"
    attended: bool = True
    clock: Clock = field(init=False)
    rules: ValidityRules = field(init=False)

    def __post_init__(self) -> None:
        self.clock = Clock(self.settings.today_override, self.settings.timezone)
        self.rules = self.settings.rules

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise forbidden(self.settings, self.login, self.role, permission)


def forbidden(settings: Settings, login: str, role: Role, permission: Permission) -> Forbidden:
    what = PERMISSION_LABELS[permission]
    if settings.read_only:
        return Forbidden(f"Tryb tylko do podglądu (--read-only): nie można wykonać tej czynności: {what}.")
    return Forbidden(
        f"Użytkownik {login} ({ROLE_LABELS[role]}) nie może wykonać tej czynności: {what}. "
        "Uprawnienia nadaje sekcja [roles] konfiguracji (mleg-tui staff set-role)."
    )


def check_login(login: str) -> str:
    if not LOGIN_RE.fullmatch(login):
        raise UserError(f"„{login}” nie jest poprawnym loginem: litery, cyfry, kropka, _ lub -, "
                        "najwyżej 64 znaki, na początku litera lub cyfra.")
    return login


def check_as(login: str) -> str:
    """`--as LOGIN` names the actor only for the account that owns the config file: the
    service account whose authorized_keys runs `mleg-tui --as LOGIN` for each key."""
    check_login(login)
    path = config_path()
    owner = _owner(str(path))
    if owner is None:
        raise UserError(f"--as działa tylko w instalacji biurowej: nie ma pliku konfiguracyjnego {path}.")
    if hasattr(os, "getuid") and owner != os.getuid():
        raise UserError(f"--as może podać tylko konto usługi, do którego należy plik {path}.")
    return login


def open_context(settings: Settings, *, role: Role | None = None, cli: bool = False,
                 create: bool = True) -> Context:
    """Open the store named by the settings, for the command line (`cli`) or the TUI.
    `role` overrides the decided one (tests, the demo); --read-only still wins. Without
    `create`, a missing store is an error saying how to make one (StoreMissing)."""
    from mleg_tui.config import default_db
    from mleg_tui.store import open_store
    from mleg_tui.store.filemode import exposure

    chosen: Role = "viewer" if settings.read_only else role or decide_role(settings, cli=cli)
    group = settings.store_group_readable
    engine = open_store(settings.db_url, create=create, make_folder=settings.db == default_db(),
                        group_readable=group)
    warnings = ignored_variables()
    if settings.db_url.startswith("sqlite:///"):
        loose = exposure(settings.db_url.removeprefix("sqlite:///"), group=group)
        if loose:
            warnings.append(loose)
    return Context(settings, engine, login_of(settings), chosen, warnings, origin="CLI" if cli else "TUI")
