"""Errors raised by the MC gateway client. Messages are one line, safe to show and log."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mleg_tui.errors import MlegError

if TYPE_CHECKING:
    from mleg_tui.mc.models import MCOrder

_BEARER = re.compile(r"(?i)bearer\s+\S+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # never to a terminal, nor a log line
_MAX_SERVER_TEXT = 200


def scrub(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """Remove secrets from text that came from the server (it may echo our headers)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _BEARER.sub("Bearer ***", text)
    text = " ".join(_CONTROL.sub(" ", text).split())  # one line
    if len(text) > _MAX_SERVER_TEXT:
        text = text[: _MAX_SERVER_TEXT - 1] + "…"
    return text


class MCError(MlegError):
    """Any failure talking to MC. `retryable` says whether repeating later may help."""

    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        param_name: str | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.param_name = param_name
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after  # seconds the server asked us to wait, if any

    def __str__(self) -> str:
        return self.message

    def with_message(self, message: str) -> MCError:
        """A copy with another message (used to add the number of tries)."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        Exception.__init__(clone, message)
        clone.message = message
        return clone


class MCUnavailable(MCError):
    """Network failure, timeout, 5xx or 429: MC could not answer (after all retries)."""

    default_retryable = True


class MCNotFound(MCError):
    """404: MC does not know the order."""


class MCConflict(MCError):
    """409: the request contradicts MC's state; `order` is MC's current order, if sent."""

    def __init__(self, message: str, *, order: MCOrder | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.order = order


class MCRejected(MCError):
    """400: MC refused the request's content; `param_name` names the bad field."""


class MCAuthError(MCError):
    """401/403: the token or client certificate was not accepted."""


class MCProtocolError(MCError):
    """MC answered something that does not follow the contract (not JSON, wrong shape)."""
