"""The event log's vocabulary: who acted, what was done, and the endings that wait for MC."""
from __future__ import annotations

from enum import Enum
from typing import Literal

from mleg_tui.domain.status import OrderStatus


class Actor(str, Enum):
    STUDENT = "STUDENT"
    MC = "MC"
    SWEEP = "SWEEP"
    STAFF = "STAFF"
    SYSTEM = "SYSTEM"

    @property
    def label(self) -> str:
        return ACTOR_LABELS[self]


ACTOR_LABELS = {
    Actor.STUDENT: "student",
    Actor.MC: "system MC",
    Actor.SWEEP: "skrypt unieważniający",
    Actor.STAFF: "pracownik",
    Actor.SYSTEM: "system",
}


class Action(str, Enum):
    PLACED = "PLACED"
    SUBMITTED = "SUBMITTED"
    MC_STATUS = "MC_STATUS"
    CANCELLED = "CANCELLED"
    REVOKED = "REVOKED"
    CANCEL_PENDING = "CANCEL_PENDING"
    REVOKE_PENDING = "REVOKE_PENDING"
    MC_CONFLICT = "MC_CONFLICT"
    CODE_REVEALED = "CODE_REVEALED"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.PLACED: "złożenie zamówienia",
    Action.SUBMITTED: "przekazanie do systemu MC",
    Action.MC_STATUS: "zmiana statusu w systemie MC",
    Action.CANCELLED: "anulowanie",
    Action.REVOKED: "unieważnienie",
    Action.CANCEL_PENDING: "anulowanie zlecone, czeka na potwierdzenie MC",
    Action.REVOKE_PENDING: "unieważnienie zlecone, czeka na potwierdzenie MC",
    Action.MC_CONFLICT: "MC zakończył zamówienie inaczej",
    Action.CODE_REVEALED: "odsłonięcie kodu aktywacyjnego",
}


class ExportedList(str, Enum):
    """Which list an export read out: the access trace's vocabulary (store.models.AccessEvent)."""

    ORDERS = "ORDERS"
    AUDIT = "AUDIT"

    @property
    def label(self) -> str:
        return EXPORTED_LIST_LABELS[self]

    @property
    def exported(self) -> str:
        """"eksport listy zamówień": the audit's words for an export of this list."""
        return f"eksport {EXPORTED_LIST_OF[self]}"


EXPORTED_LIST_LABELS = {
    ExportedList.ORDERS: "lista zamówień",
    ExportedList.AUDIT: "dziennik zdarzeń",
}
# "eksport listy zamówień": the audit's words for an export of the list.
EXPORTED_LIST_OF = {
    ExportedList.ORDERS: "listy zamówień",
    ExportedList.AUDIT: "dziennika zdarzeń",
}


class AccessAction(str, Enum):
    """The audit's action for the access trace's records, beside the event log's Action:
    filtering by it shows exports only."""

    EXPORT = "EXPORT"

    @property
    def label(self) -> str:
        return "eksport"


class PendingAction(str, Enum):
    """An ending asked for while the order may be at MC: recorded, then confirmed by MC.

    The value is what `Order.pending_action` stores."""

    CANCEL = "CANCEL"  # at the student's request
    REVOKE = "REVOKE"  # by the university

    @property
    def label(self) -> str:
        """'anulowanie', 'unieważnienie': the words of its done event."""
        return self.done_event.label

    @property
    def target(self) -> OrderStatus:
        """The status the order ends in once MC confirms."""
        if self is PendingAction.CANCEL:
            return OrderStatus.ANULOWANE_PRZEZ_UZYTKOWNIKA
        return OrderStatus.UNIEWAZNIONE_PRZEZ_UCZELNIE

    @property
    def mc_by(self) -> Literal["STUDENT", "UNIVERSITY"]:
        """The `by` value of MC's revoke call."""
        return "STUDENT" if self is PendingAction.CANCEL else "UNIVERSITY"

    @property
    def pending_event(self) -> Action:
        return Action.CANCEL_PENDING if self is PendingAction.CANCEL else Action.REVOKE_PENDING

    @property
    def done_event(self) -> Action:
        return Action.CANCELLED if self is PendingAction.CANCEL else Action.REVOKED


def parse_action(text: str) -> Action:
    """An action from its code or its label, in any case; a clear error otherwise."""
    from mleg_tui.domain.names import parse_labelled

    return parse_labelled(Action, text, "Nieznana czynność")


def parse_audit_action(text: str) -> Action | AccessAction:
    """The audit's action filter: an event log's action, or "eksport" (EXPORT) for the
    exports (the access trace); a clear error otherwise."""
    from mleg_tui.domain.names import fold
    from mleg_tui.errors import UserError

    if fold(text).strip().upper() in ("EKSPORT", AccessAction.EXPORT.value):
        return AccessAction.EXPORT
    try:
        return parse_action(text)
    except UserError as e:
        raise UserError(f"{str(e).rstrip('.')}, EKSPORT (eksporty danych).") from None
