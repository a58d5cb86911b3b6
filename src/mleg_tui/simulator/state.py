"""The simulated MC's orders and their life, without HTTP. Runs on one event loop thread.

An order's whole future (issue time, BLAD or codes, pickup) is drawn from hash(seed,
order_ref) at submission and frozen, so knob changes affect only new orders and the same
seed always gives the same outcomes. Statuses advance lazily when an order is read.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mleg_tui.domain.pesel import check_pesel
from mleg_tui.mc.models import (
    ANULOWANE,
    BLAD,
    DO_ODBIORU,
    LIVE_STATUSES,
    MC_STATUSES,
    ODEBRANA,
    REVOKE_STATUS,
    W_TRAKCIE,
)

try:
    from zoneinfo import ZoneInfo

    TZ: dt.tzinfo = ZoneInfo("Europe/Warsaw")
except Exception:  # no tz database: the contract allows any offset
    TZ = dt.UTC

BLAD_REASONS = (
    ("PESEL_MISMATCH", "Dane osoby niezgodne z rejestrem PESEL (data does not match PESEL)"),
    ("PHOTO_REJECTED", "Zdjęcie nie spełnia wymagań (photo rejected)"),
    ("PERSON_NOT_FOUND", "Nie znaleziono osoby w rejestrze PESEL (person not found)"),
    ("DUPLICATE_ACTIVE_CARD", "Osoba ma już aktywną mLegitymację (an active card exists)"),
)
SUBMIT_FIELDS = (
    "order_ref", "album", "pesel", "first_name", "last_name",
    "birth_date", "expiry_date", "photo_sha256",
)
REQUIRED = ("order_ref", "album", "pesel", "first_name", "last_name", "expiry_date")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
DAY = 86400.0


class ApiError(Exception):
    """An error answer of the contract: HTTP status + {"error", "message", ...}."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


def missing(name: str) -> ApiError:
    return ApiError(400, "param_missing", f"brak pola {name}", param_name=name)


def invalid(name: str, why: str) -> ApiError:
    return ApiError(400, "param_invalid", f"błędne pole {name}: {why}", param_name=name)


@dataclass
class Knobs:
    """Run-time settings. Shares are 0..1; delays in seconds."""

    latency_ms: float = 0.0
    fail_5xx: float = 0.0
    rate_429: float = 0.0
    retry_after: float = 1.0
    hang: float = 0.0
    hang_seconds: float = 60.0
    garbled: float = 0.0
    reset: float = 0.0
    blad: float = 0.1
    issue_delay: float = 5.0
    pickup: float = 0.6
    pickup_delay: float = 30.0
    codes_valid_days: float = 30.0
    jitter: float = 0.5  # each delay is stretched by up to this share, per order
    token: str | None = field(default=None, repr=False)
    echo_auth: bool = False  # test aid: a careless server that echoes the auth header

    _SHARES = ("fail_5xx", "rate_429", "hang", "garbled", "reset", "blad", "pickup")

    def update(self, **changes: Any) -> None:
        """Validate all changes first, then apply them (no half-applied update)."""
        valid = {f.name: f for f in fields(self)}
        new = {}
        for name, value in changes.items():
            if name not in valid:
                raise ValueError(f"unknown knob {name!r}")
            if name == "token":
                if value is not None and not isinstance(value, str):
                    raise ValueError("token must be a string or null")
            elif name == "echo_auth":
                value = bool(value)
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"knob {name} must be a number >= 0")
                if name in self._SHARES and value > 1:
                    raise ValueError(f"knob {name} is a share: 0..1")
                value = float(value)
            new[name] = value
        for name, value in new.items():
            setattr(self, name, value)

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out["token"] = "***" if self.token else None
        return out


class Clock:
    """Wall time plus an offset tests (and the demo) can push forward."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only goes forward")
        self.offset += seconds


def stamp(t: float | None) -> str | None:
    return None if t is None else dt.datetime.fromtimestamp(t, TZ).isoformat(timespec="seconds")


def parse_stamp(value: Any, name: str) -> float:
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid(name, "oczekiwano znacznika czasu ISO 8601") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=TZ)
    return when.timestamp()


@dataclass(slots=True)
class Record:
    """One order as MC keeps it: current state plus its frozen schedule."""

    mc_id: str
    order_ref: str
    status: str
    updated: float
    issue_at: float
    fingerprint: str | None = None
    expiry_date: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    qr_code: str | None = None
    activation_code: str | None = None
    codes_valid_until: float | None = None
    pickup_at: float | None = None

    def settle(self, now: float) -> None:
        """Apply the scheduled transitions that are due; updated_at is when they happened."""
        if self.status == W_TRAKCIE and now >= self.issue_at:
            self.status = BLAD if self.error_code else DO_ODBIORU
            self.updated = self.issue_at
        if self.status == DO_ODBIORU and self.pickup_at is not None and now >= self.pickup_at:
            self.status, self.updated = ODEBRANA, self.pickup_at

    def to_json(self) -> dict[str, Any]:
        codes = self.status == DO_ODBIORU
        failed = self.status == BLAD
        return {
            "mc_id": self.mc_id,
            "order_ref": self.order_ref,
            "status": self.status,
            "expiry_date": self.expiry_date,
            "qr_code": self.qr_code if codes else None,
            "activation_code": self.activation_code if codes else None,
            "codes_valid_until": stamp(self.codes_valid_until) if codes else None,
            "error_code": self.error_code if failed else None,
            "error_message": self.error_message if failed else None,
            "updated_at": stamp(self.updated),
        }

    def to_state(self) -> dict[str, Any]:
        return asdict(self)


def _unit(data: bytes) -> float:
    return int.from_bytes(data, "big") / 2 ** (8 * len(data))


class SimState:
    def __init__(self, seed: int, knobs: Knobs, clock: Clock) -> None:
        self.seed, self.knobs, self.clock = seed, knobs, clock
        self.orders: dict[str, Record] = {}
        self.by_ref: dict[str, Record] = {}
        self.dirty = False

    # -- creation ---------------------------------------------------------------------

    def _schedule(self, order_ref: str, submitted: float, mc_id: str | None = None) -> Record:
        """Draw the order's whole future from hash(seed, order_ref)."""
        h = hashlib.sha256(f"{self.seed}|{order_ref}".encode()).digest()
        k = self.knobs
        issue_at = submitted + k.issue_delay * (1 + k.jitter * _unit(h[24:26]))
        rec = Record(
            mc_id=mc_id or h[:16].hex(),
            order_ref=order_ref,
            status=W_TRAKCIE,
            updated=submitted,
            issue_at=issue_at,
        )
        if _unit(h[16:20]) < k.blad:
            rec.error_code, rec.error_message = BLAD_REASONS[h[28] % len(BLAD_REASONS)]
            return rec
        codes = hashlib.sha256(b"codes|" + h).digest()
        rec.qr_code = codes[:16].hex()
        rec.activation_code = f"{int.from_bytes(codes[16:20], 'big') % 1_000_000:06d}"
        rec.codes_valid_until = issue_at + k.codes_valid_days * DAY
        if _unit(h[20:24]) < k.pickup:
            pickup_at = issue_at + k.pickup_delay * (1 + k.jitter * _unit(h[26:28]))
            if pickup_at < rec.codes_valid_until:
                rec.pickup_at = pickup_at
        return rec

    def _add(self, rec: Record) -> None:
        old = self.by_ref.get(rec.order_ref)
        if old is not None:
            self.orders.pop(old.mc_id, None)
        self.orders[rec.mc_id] = rec
        self.by_ref[rec.order_ref] = rec
        self.dirty = True

    def submit(self, body: Any, idempotency_key: str | None) -> tuple[int, Record]:
        """(201, new order) or (200, the same order again); raises ApiError."""
        if not isinstance(body, dict):
            raise invalid("body", "oczekiwano obiektu JSON")
        for name in REQUIRED:
            value = body.get(name)
            if value is None or value == "":
                raise missing(name)
        for name in SUBMIT_FIELDS:
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise invalid(name, "oczekiwano tekstu")
        birth = _date_field(body, "birth_date")
        _date_field(body, "expiry_date")
        photo = body.get("photo_sha256")
        if photo is not None and not _SHA256.fullmatch(photo):
            raise invalid("photo_sha256", "oczekiwano 64 znaków szesnastkowych")
        check = check_pesel(body["pesel"], birth)
        if not check.ok:
            raise invalid("pesel", check.problem or "niepoprawny")
        order_ref = body["order_ref"]
        if idempotency_key is not None and idempotency_key != order_ref:
            raise invalid("Idempotency-Key", "musi być równy order_ref")
        # Only a digest of the body is kept: enough to spot a changed repeat, no PESEL stored.
        canon = json.dumps([body.get(n) for n in SUBMIT_FIELDS], ensure_ascii=False)
        fingerprint = hashlib.sha256(canon.encode()).hexdigest()
        rec = self.by_ref.get(order_ref)
        if rec is not None:
            if rec.fingerprint is None:  # preloaded: the first submission defines the body
                rec.fingerprint = fingerprint
                self.dirty = True
            elif rec.fingerprint != fingerprint:
                rec.settle(self.clock.now())
                raise ApiError(
                    409, "conflict",
                    f"zamówienie {order_ref} zostało już złożone z innymi danymi",
                    order=rec.to_json(),
                )
            rec.settle(self.clock.now())
            return 200, rec
        rec = self._schedule(order_ref, self.clock.now())
        rec.fingerprint = fingerprint
        rec.expiry_date = body["expiry_date"]
        self._add(rec)
        return 201, rec

    def preload(self, objs: Any) -> int:
        """Register orders the demo store already holds as submitted (keeps their mc_ids)."""
        if not isinstance(objs, list):
            raise invalid("orders", "oczekiwano listy")
        recs = [self._preloaded(o) for o in objs]  # validate all before adding any
        for rec in recs:
            self._add(rec)
        return len(recs)

    def _preloaded(self, obj: Any) -> Record:
        if not isinstance(obj, dict) or not isinstance(obj.get("order_ref"), str):
            raise invalid("orders", "każde zamówienie musi mieć order_ref")
        status = obj.get("status", W_TRAKCIE)
        if status not in MC_STATUSES:
            raise invalid("orders", f"nieznany status {status!r}")
        mc_id = obj.get("mc_id")
        if mc_id is not None and (not isinstance(mc_id, str) or not mc_id):
            raise invalid("orders", "mc_id musi być tekstem")
        submitted = self.clock.now()
        if obj.get("submitted_at") is not None:
            submitted = parse_stamp(obj["submitted_at"], "submitted_at")
        rec = self._schedule(obj["order_ref"], submitted, mc_id)
        rec.expiry_date = obj.get("expiry_date")
        if status == W_TRAKCIE:
            return rec
        # Past W_TRAKCIE the order stays as the store saw it: no scheduled pickup fires
        # (it would be long overdue); the student's actions come via /_sim/.
        rec.status, rec.issue_at, rec.pickup_at = status, submitted, None
        if obj.get("updated_at"):
            rec.updated = parse_stamp(obj["updated_at"], "updated_at")
        if status == DO_ODBIORU:
            rec.qr_code = obj.get("qr_code") or rec.qr_code or "0" * 32
            rec.activation_code = obj.get("activation_code") or rec.activation_code or "000000"
            if obj.get("codes_valid_until"):
                rec.codes_valid_until = parse_stamp(obj["codes_valid_until"], "codes_valid_until")
            elif rec.codes_valid_until is None:
                rec.codes_valid_until = submitted + self.knobs.codes_valid_days * DAY
        elif status == BLAD:
            default = rec.error_code and (rec.error_code, rec.error_message) or BLAD_REASONS[0]
            rec.error_code = obj.get("error_code") or default[0]
            rec.error_message = obj.get("error_message") or default[1]
        return rec

    # -- reads and changes --------------------------------------------------------------

    def find(self, mc_id: str) -> Record:
        rec = self.orders.get(mc_id)
        if rec is None:
            raise ApiError(404, "object_not_found", f"nie znaleziono zamówienia {mc_id}")
        rec.settle(self.clock.now())
        return rec

    def batch_get(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or body.get("mc_ids") is None:
            raise missing("mc_ids")
        ids = body["mc_ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid("mc_ids", "oczekiwano listy identyfikatorów")
        if len(ids) > 100:
            raise invalid("mc_ids", f"najwyżej 100 identyfikatorów, podano {len(ids)}")
        now = self.clock.now()
        orders, not_found = [], []
        for mc_id in dict.fromkeys(ids):  # each id once, in the order asked
            rec = self.orders.get(mc_id)
            if rec is None:
                not_found.append(mc_id)
            else:
                rec.settle(now)
                orders.append(rec.to_json())
        return {"orders": orders, "not_found": not_found}

    def revoke(self, mc_id: str, body: Any) -> Record:
        if not isinstance(body, dict):
            raise invalid("body", "oczekiwano obiektu JSON")
        by, reason = body.get("by"), body.get("reason")
        if by is None:
            raise missing("by")
        if by not in REVOKE_STATUS:
            raise invalid("by", "oczekiwano UNIVERSITY albo STUDENT")
        if reason is None:
            raise missing("reason")
        if not isinstance(reason, str):
            raise invalid("reason", "oczekiwano tekstu")
        return self.end(self.find(mc_id), REVOKE_STATUS[by])

    def end(self, rec: Record, target: str) -> Record:
        """Move a live order to a final status; repeating it is a no-op, else 409."""
        if rec.status == target:
            return rec
        if rec.status not in LIVE_STATUSES:
            raise ApiError(
                409, "conflict",
                f"zamówienie {rec.mc_id} jest już zakończone ({rec.status})",
                order=rec.to_json(),
            )
        rec.status, rec.updated = target, self.clock.now()
        rec.pickup_at = None
        self.dirty = True
        return rec

    def pickup(self, mc_id: str) -> Record:
        rec = self.find(mc_id)
        if rec.status == ODEBRANA:
            return rec
        if rec.status != DO_ODBIORU:
            raise ApiError(
                409, "conflict", f"zamówienie {mc_id} nie czeka na odbiór ({rec.status})",
                order=rec.to_json(),
            )
        rec.status, rec.updated = ODEBRANA, self.clock.now()
        self.dirty = True
        return rec

    def remove(self, mc_id: str) -> Record:
        return self.end(self.find(mc_id), ANULOWANE)

    # -- persistence --------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "version": 1,
            "seed": self.seed,
            "clock_offset": self.clock.offset,
            "orders": [rec.to_state() for rec in self.orders.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.clock.offset = max(self.clock.offset, float(data.get("clock_offset", 0.0)))
        for values in data.get("orders", []):
            rec = Record(**values)
            self.orders[rec.mc_id] = rec
            self.by_ref[rec.order_ref] = rec


def _date_field(body: dict[str, Any], name: str) -> dt.date | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(name, "oczekiwano daty RRRR-MM-DD") from None
