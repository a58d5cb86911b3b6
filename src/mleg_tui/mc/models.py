"""The contract's data: the order object MC returns and the submission the client sends.

MC's answers are parsed and checked in one pass by the pydantic models below, which hold
the contract's limits (its "Limits (version 1)"): a body that breaks them is an
MCProtocolError naming the field and what is wrong with it, never the value (it may be a
code or a terminal escape). Unknown keys are ignored, as the contract says.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from mleg_tui.domain.names import plural
from mleg_tui.mc.errors import MCProtocolError

W_TRAKCIE = "W_TRAKCIE"
DO_ODBIORU = "DO_ODBIORU"
ODEBRANA = "ODEBRANA"
BLAD = "BLAD"
ANULOWANE = "ANULOWANE_PRZEZ_UZYTKOWNIKA"
UNIEWAZNIONE = "UNIEWAZNIONE_PRZEZ_UCZELNIE"
# OCZEKUJE is the university's own state and never comes from MC.
MC_STATUSES = frozenset({W_TRAKCIE, DO_ODBIORU, ODEBRANA, BLAD, ANULOWANE, UNIEWAZNIONE})
LIVE_STATUSES = frozenset({W_TRAKCIE, DO_ODBIORU, ODEBRANA})
REVOKE_STATUS = {"UNIVERSITY": UNIEWAZNIONE, "STUDENT": ANULOWANE}
MAX_BATCH = 100  # the contract's limit for batchGet

# The contract's limits. Patterns run on pydantic-core's regex engine (linear time).
_NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"  # C0, DEL and C1: never data, may drive a terminal
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
QrCode = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^[\x20-\x7e]+$")]
ActivationCode = Annotated[str, StringConstraints(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9]+$")]
ErrorCode = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Z0-9_]+$")]
Text = Annotated[str, StringConstraints(max_length=2000, pattern=_NO_CONTROL)]
Status = Literal["W_TRAKCIE", "DO_ODBIORU", "ODEBRANA", "BLAD", "ANULOWANE_PRZEZ_UZYTKOWNIKA",
                 "UNIEWAZNIONE_PRZEZ_UCZELNIE"]


def _plain_offset(value: dt.datetime) -> dt.datetime:
    """The offset as the standard library's timezone (pydantic has a tzinfo of its own)."""
    return value.replace(tzinfo=dt.timezone(value.utcoffset() or dt.timedelta(0)))


# The contract requires an offset: a naive time would be ambiguous by hours.
Stamp = Annotated[AwareDatetime, AfterValidator(_plain_offset)]

# JSON only: strict, so a date is a "YYYY-MM-DD" string and never a number or a datetime.
_STRICT = ConfigDict(strict=True, extra="ignore", frozen=True)


class MCOrder(BaseModel):
    """The contract's order object."""

    model_config = _STRICT

    mc_id: Id
    order_ref: Id
    status: Status
    expiry_date: dt.date | None = None
    qr_code: QrCode | None = None
    activation_code: ActivationCode | None = Field(default=None, repr=False)  # the student's secret
    codes_valid_until: Stamp | None = None
    error_code: ErrorCode | None = None
    error_message: Text | None = None
    updated_at: Stamp | None = None

    @classmethod
    def from_json(cls, obj: Any) -> MCOrder:
        """An order from a decoded JSON value, checked as if it came over the wire."""
        return parse(cls, json.dumps(obj).encode())

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class BatchAnswer(BaseModel):
    model_config = _STRICT

    orders: list[MCOrder] = Field(max_length=MAX_BATCH)
    not_found: list[Id] = Field(default_factory=list, max_length=MAX_BATCH)


class Health(BaseModel):
    model_config = _STRICT

    status: Annotated[str, StringConstraints(max_length=64)] | None = None


class ErrorBody(BaseModel):
    """`{"error", "message", "param_name"?}` of a 4xx/5xx, with the current order on a 409."""

    model_config = _STRICT

    error: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")] | None = None
    message: Text | None = None
    param_name: Annotated[str, StringConstraints(min_length=1, max_length=64,
                                                 pattern=r"^[\x21-\x7e]+$")] | None = None
    order: MCOrder | None = None


M = TypeVar("M", bound=BaseModel)

# What is wrong, by pydantic's error type, in the words of the message.
_WRONG = {
    "missing": "brak pola",
    "string_type": "nie jest tekstem",
    "list_type": "nie jest listą",
    "model_type": "nie jest obiektem JSON",
    "model_attributes_type": "nie jest obiektem JSON",
    "too_long": "za dużo elementów",
    "string_too_long": "za długie",
    "string_too_short": "za krótkie",
    "string_pattern_mismatch": "niedozwolone znaki",
    "literal_error": "nieznana wartość",
    "timezone_aware": "znacznik czasu bez strefy czasowej",
}


def _what(err: Any) -> str:
    kind = str(err.get("type", ""))
    if kind == "json_invalid":
        # jiter's own words (never the input): a too deep nesting is worth saying.
        if "recursion" in str(err.get("msg", "")):
            return "JSON zagnieżdżony zbyt głęboko"
        return "nie jest poprawnym JSON-em"
    if kind in _WRONG:
        return _WRONG[kind]
    if kind.startswith("date_"):
        return "błędna data (oczekiwano RRRR-MM-DD)"
    if kind.startswith("datetime_"):
        return "błędny znacznik czasu (oczekiwano ISO 8601 ze strefą)"
    return "wartość niezgodna z umową"


def _where(loc: Any) -> str:
    """`orders[3].status`: our field names and list positions only, never a key MC chose."""
    out = ""
    for part in loc or ():
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.isidentifier() and len(part) <= 32:
            out += f".{part}" if out else part
        else:
            out += ".?"
    return out


def protocol_error(exc: ValidationError, what: str = "odpowiedź") -> MCProtocolError:
    """A one-line Polish message for the first problem (and how many more there are)."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    first: Any = errors[0] if errors else {}
    where = _where(first.get("loc"))
    problem = f"{where}: {_what(first)}" if where else _what(first)
    more = f"; i {plural(len(errors) - 1, 'inny błąd', 'inne błędy', 'innych błędów')}" if len(errors) > 1 else ""
    kind = first.get("type")
    # A body that is not JSON at all may be a proxy's glitch: worth another try. A
    # well-formed answer that breaks the contract will say the same again.
    retryable = kind == "json_invalid"
    return MCProtocolError(f"MC: {what} niezgodna z umową ({problem}{more})", retryable=retryable)


def parse(model: type[M], body: bytes, what: str = "odpowiedź") -> M:
    """Parse and check one JSON body (jiter: bounded nesting, no RecursionError). `what`
    names the answer in the message, a feminine noun phrase ("odpowiedź HTTP 409")."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise protocol_error(exc, what) from None


@dataclass(frozen=True)
class SubmitRequest:
    order_ref: str
    album: str
    pesel: str = field(repr=False)  # personal data: kept out of logs and tracebacks
    first_name: str
    last_name: str
    expiry_date: dt.date
    birth_date: dt.date | None = None
    photo_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "order_ref": self.order_ref,
            "album": self.album,
            "pesel": self.pesel,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "expiry_date": self.expiry_date.isoformat(),
        }
        if self.birth_date is not None:
            body["birth_date"] = self.birth_date.isoformat()
        if self.photo_sha256 is not None:
            body["photo_sha256"] = self.photo_sha256
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> SubmitRequest:
        """The request again from its `to_json` body (a submission kept to be repeated)."""
        return cls(
            order_ref=body["order_ref"], album=body["album"], pesel=body["pesel"],
            first_name=body["first_name"], last_name=body["last_name"],
            expiry_date=dt.date.fromisoformat(body["expiry_date"]),
            birth_date=dt.date.fromisoformat(body["birth_date"]) if body.get("birth_date") else None,
            photo_sha256=body.get("photo_sha256"),
        )
