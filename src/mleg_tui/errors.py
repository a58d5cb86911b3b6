"""Errors a person can act on. Front ends show them as one line, never a traceback; an
error nobody foresaw is one line too (`unexpected`), its details in the log."""
from __future__ import annotations

import logging
import re
import sys
import traceback


class MlegError(Exception):
    """Base class: the message says what went wrong and what to fix."""


class UserError(MlegError):
    """The user's input or the state of the data does not allow the request."""


class NotFound(UserError):
    """The thing asked for (student, order) does not exist."""


class ConfigError(UserError):
    """The settings (file, environment, flags) are wrong."""


log = logging.getLogger("mleg_tui")
# Quoted text and long digit runs (a PESEL, an album) in an exception's message may be data.
_MAYBE_DATA = re.compile(r"'[^']*'|\"[^\"]*\"|„[^”]*”|\d{5,}")


def is_database_error(e: BaseException) -> bool:
    """Raised by SQLAlchemy or a database driver (looked up only if loaded: this module
    stays light)."""
    for module, name in (("sqlalchemy.exc", "SQLAlchemyError"), ("sqlite3", "Error"),
                         ("psycopg", "Error")):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(e, cls):
            return True
    return False


def log_file() -> str | None:
    """Where the program's log goes, when it has one."""
    for h in log.handlers:
        name = getattr(h, "baseFilename", None)
        if name:
            return str(name)
    return None


def unexpected(e: BaseException) -> str:
    """The one line for an error of the program itself. The log gets where it happened
    (the code's lines, never its variables) and the message with anything quoted masked."""
    log.error("unexpected %s: %s\n%s", type(e).__qualname__, _MAYBE_DATA.sub("…", str(e))[:500],
              "".join(traceback.format_tb(e.__traceback__)).rstrip())
    where = log_file()
    return (f"Nieoczekiwany błąd programu ({type(e).__name__}): zgłoś go administratorowi"
            + (f"; szczegóły w dzienniku {where}." if where else "."))
