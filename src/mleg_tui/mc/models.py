"""The contract's data: the order object MC returns and the submission the client sends."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

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


def _opt_str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise MCProtocolError(f"MC: pole {key!r} zamówienia nie jest tekstem")


def _opt_date(obj: dict, key: str) -> dt.date | None:
    value = _opt_str(obj, key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise MCProtocolError(f"MC: błędna data w polu {key!r}: {value[:40]!r}") from None


def _opt_timestamp(obj: dict, key: str) -> dt.datetime | None:
    value = _opt_str(obj, key)
    if value is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        stamp = None
    # The contract requires an offset; a naive time would be ambiguous by hours.
    if stamp is None or stamp.tzinfo is None:
        raise MCProtocolError(f"MC: błędny znacznik czasu w polu {key!r}: {value[:40]!r}")
    return stamp


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class MCOrder:
    mc_id: str
    order_ref: str
    status: str
    expiry_date: dt.date | None = None
    qr_code: str | None = None
    activation_code: str | None = field(default=None, repr=False)  # a secret for the student
    codes_valid_until: dt.datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    updated_at: dt.datetime | None = None

    @classmethod
    def from_json(cls, obj: Any) -> "MCOrder":
        """Parse the contract's order object; unknown keys are ignored."""
        if not isinstance(obj, dict):
            raise MCProtocolError("MC: zamówienie nie jest obiektem JSON")
        mc_id, status = obj.get("mc_id"), obj.get("status")
        if not isinstance(mc_id, str) or not mc_id:
            raise MCProtocolError("MC: zamówienie bez pola 'mc_id'")
        if status not in MC_STATUSES:
            raise MCProtocolError(f"MC: nieznany status zamówienia {str(status)[:40]!r}")
        return cls(
            mc_id=mc_id,
            order_ref=_opt_str(obj, "order_ref") or "",
            status=status,
            expiry_date=_opt_date(obj, "expiry_date"),
            qr_code=_opt_str(obj, "qr_code"),
            activation_code=_opt_str(obj, "activation_code"),
            codes_valid_until=_opt_timestamp(obj, "codes_valid_until"),
            error_code=_opt_str(obj, "error_code"),
            error_message=_opt_str(obj, "error_message"),
            updated_at=_opt_timestamp(obj, "updated_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mc_id": self.mc_id,
            "order_ref": self.order_ref,
            "status": self.status,
            "expiry_date": _iso(self.expiry_date),
            "qr_code": self.qr_code,
            "activation_code": self.activation_code,
            "codes_valid_until": _iso(self.codes_valid_until),
            "error_code": self.error_code,
            "error_message": self.error_message,
            "updated_at": _iso(self.updated_at),
        }


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
