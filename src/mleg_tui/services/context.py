"""What every service call needs: the store, the clock, the rules and who is acting.

Importable without SQLAlchemy: the TUI asks who is acting before the store is loaded."""
from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from mleg_tui.clock import Clock
from mleg_tui.config import Role, Settings
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


class Forbidden(UserError):
    pass


def os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def login_of(settings: Settings) -> str:
    """Who is acting: the configured login, else the operating system's."""
    return settings.login or os_login()


@dataclass
class Context:
    settings: Settings
    engine: Engine
    login: str
    role: Role
    clock: Clock = field(init=False)
    rules: ValidityRules = field(init=False)

    def __post_init__(self) -> None:
        self.clock = Clock(self.settings.today_override, self.settings.timezone)
        self.rules = self.settings.rules

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(
                f"Użytkownik {self.login} ({ROLE_LABELS[self.role]}) nie może wykonać tej "
                f"czynności ({permission.value}). Uprawnienia nadaje sekcja [roles] konfiguracji."
            )


def open_context(settings: Settings, *, role: Role | None = None) -> Context:
    """Open the store named by the settings. `role` overrides the configured one."""
    from mleg_tui.store import open_store

    login = login_of(settings)
    chosen: Role = role or settings.role_for(login)
    if settings.read_only:
        chosen = "viewer"
    return Context(settings, open_store(settings.db_url), login, chosen)
