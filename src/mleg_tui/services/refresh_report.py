"""What a refresh is asked to do and what it reports: the values every front end (the
command line, the TUI's progress dialog, the sweep) reads, apart from the MC traffic."""
from __future__ import annotations

from dataclasses import dataclass, field

from mleg_tui.domain.dates import duration
from mleg_tui.domain.names import plural
from mleg_tui.domain.status import OrderStatus
from mleg_tui.services.mc_apply import RefreshFailure

S = OrderStatus


@dataclass(frozen=True)
class RefreshSelection:
    """Which orders to refresh; all None means every live order."""

    order_ids: list[int] | None = None
    albums: list[str] | None = None
    statuses: frozenset[OrderStatus] | None = None


@dataclass
class RefreshProgress:
    done: int = 0
    total: int = 0
    errors: int = 0
    changed: int = 0
    changed_ids: list[int] = field(default_factory=list)  # since the last report
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.rate or self.done >= self.total:
            return None
        return (self.total - self.done) / self.rate

    def line(self) -> str:
        """One line of live progress, for a terminal or the TUI's dialog."""
        return (f"{self.done}/{self.total} · zmienione: {self.changed} · błędy: {self.errors} · "
                f"{self.rate:.0f}/s · pozostało: {duration(self.eta_seconds)}")


@dataclass
class RefreshSummary:
    total: int = 0  # steps: orders to submit + orders to read + requests to confirm
    done: int = 0
    changed: int = 0
    submitted: int = 0
    read: int = 0  # orders whose state MC gave
    confirmed: int = 0
    confirmed_ids: list[int] = field(default_factory=list)
    failures: list[RefreshFailure] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        """One line: what was done, for a terminal or a cron mail."""
        head = "przerwana po" if self.cancelled else "zakończona w"
        changes = ", ".join(f"{S(k).label} {v}" for k, v in sorted(self.by_status.items()))
        text = (f"Aktualizacja statusów {head} {self.seconds:.1f} s: przekazano do MC {self.submitted}, "
                f"odczytano stan {plural(self.read, 'zamówienia', 'zamówień', 'zamówień')}"
                + (f", potwierdzono unieważnienia/anulowania {self.confirmed}" if self.confirmed else "")
                + f"; zmieniono {self.changed}" + (f" ({changes})" if changes else "")
                + f"; nie udało się {len(self.failures)}.")
        if self.cancelled:
            text += " Pozostałe zamówienia zostaną zaktualizowane przy następnym uruchomieniu."
        return text
