"""The vocabulary of run reports: which bulk job ran (a refresh, the sweep), how it ended,
and what became of each order it names."""
from __future__ import annotations

from enum import Enum


class RunKind(str, Enum):
    REFRESH = "REFRESH"
    SWEEP = "SWEEP"

    @property
    def label(self) -> str:
        return {RunKind.REFRESH: "aktualizacja statusów", RunKind.SWEEP: "skrypt unieważniający"}[self]


class RunState(str, Enum):
    RUNNING = "RUNNING"  # started and not finished: running now, or ended without a word (kill -9, a crash)
    DONE = "DONE"
    INTERRUPTED = "INTERRUPTED"  # stopped (Esc, Ctrl+C): what was done is kept
    FAILED = "FAILED"  # ended by an error (MC refused the token, the store failed)

    @property
    def label(self) -> str:
        return RUN_STATE_LABELS[self]

    @property
    def short_label(self) -> str:
        """For a list's column: the label without its explanation."""
        return self.label.split(" (")[0]


RUN_STATE_LABELS = {
    RunState.RUNNING: "nie zakończona (trwa albo przerwana bez zapisu: awaria, kill -9)",
    RunState.DONE: "zakończona",
    RunState.INTERRUPTED: "przerwana",
    RunState.FAILED: "zakończona błędem",
}


class ItemOutcome(str, Enum):
    """One order in a report: what the run did with it (a refresh lists its failures only)."""

    REVOKED = "REVOKED"  # revoked here, or confirmed by MC
    PENDING = "PENDING"  # revocation recorded, waiting for MC
    ENDED_OTHERWISE = "ENDED_OTHERWISE"  # MC had ended it another way
    SKIPPED = "SKIPPED"  # changed meanwhile: nothing left to revoke
    NOT_REACHED = "NOT_REACHED"  # the run was stopped before it
    FAILED = "FAILED"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    ItemOutcome.REVOKED: "unieważniono",
    ItemOutcome.PENDING: "czeka na potwierdzenie MC",
    ItemOutcome.ENDED_OTHERWISE: "MC zakończył je inaczej",
    ItemOutcome.SKIPPED: "pominięto: zmieniło się w międzyczasie",
    ItemOutcome.NOT_REACHED: "nie wykonano: przerwano wcześniej",
    ItemOutcome.FAILED: "błąd",
}
