"""Errors a person can act on. Front ends show them as one line, never a traceback."""


class MlegError(Exception):
    """Base class: the message says what went wrong and what to fix."""


class UserError(MlegError):
    """The user's input or the state of the data does not allow the request."""


class NotFound(UserError):
    """The thing asked for (student, order) does not exist."""


class ConfigError(UserError):
    """The settings (file, environment, flags) are wrong."""
