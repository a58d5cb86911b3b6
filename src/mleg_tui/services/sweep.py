"""The revocation sweep: the script the university runs from cron (figures 12-13).

It revokes every live order or card whose student no longer has an entitling programme
(struck off, graduated past the 1st-cycle window, only doctoral or postgraduate left),
with the reason in words, and retries revocations still waiting for MC. One at a time.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from mleg_tui.domain.rules import loss_reason, planned_expiry
from mleg_tui.domain.status import OrderStatus
from mleg_tui.errors import UserError
from mleg_tui.services.actions import revoke_orders
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.history import Actor
from mleg_tui.services.students import programmes_of
from mleg_tui.store import reading
from mleg_tui.store.locks import Busy, job_lock
from mleg_tui.store.models import Order, Person

S = OrderStatus
CHUNK = 500


class SweepLocked(UserError):
    def __init__(self) -> None:
        super().__init__("Inny skrypt unieważniający właśnie działa na tej bazie; spróbuj później.")


@dataclass(frozen=True)
class SweepItem:
    order_id: int
    order_ref: str
    person: str
    album: str
    status: OrderStatus
    reason: str
    version: int = 0

    def __str__(self) -> str:
        return f"{self.person} ({self.album or 'bez albumu'}) {self.order_ref} {self.status.label}: {self.reason}"


@dataclass
class SweepSummary:
    items: list[SweepItem] = field(default_factory=list)
    revoked: int = 0  # ended here or confirmed by MC
    pending: int = 0  # recorded, waiting for MC
    failures: list[str] = field(default_factory=list)
    dry_run: bool = False

    def text(self) -> str:
        if self.dry_run:
            head = f"Podgląd (nic nie zmieniono): do unieważnienia {len(self.items)} zamówień."
        else:
            head = (f"Skrypt unieważniający: znaleziono {len(self.items)} zamówień osób bez uprawnień; "
                    f"unieważniono {self.revoked}, czeka na potwierdzenie MC {self.pending}, "
                    f"błędy {len(self.failures)}.")
        lines = [head, *(f"  {i}" for i in self.items)]
        if self.failures:
            lines.append("Błędy:")
            lines.extend(f"  {f}" for f in self.failures)
        return "\n".join(lines)


def _live(ctx: Context) -> Any:
    return select(Order, Person).join(Person, Person.id == Order.person_id).where(
        Order.status.in_([S.OCZEKUJE.value, S.W_TRAKCIE.value, S.DO_ODBIORU.value, S.ODEBRANA.value]),  # type: ignore[attr-defined]
        Order.pending_action.is_(None),  # type: ignore[union-attr]
        # A picked-up card past its expiry is no longer a card to take away.
        or_(Order.status != S.ODEBRANA.value, Order.expiry_date >= ctx.clock.today()),
    )


def iter_preview(ctx: Context) -> Iterator[SweepItem]:
    """Every order the sweep would revoke, read a chunk at a time."""
    today, last = ctx.clock.today(), 0
    while True:
        with reading(ctx.engine) as s:
            rows = s.execute(_live(ctx).where(Order.id > last).order_by(Order.id).limit(CHUNK)).all()
            verdicts: dict[int, str | None] = {}
            for order, person in rows:
                if person.id not in verdicts:
                    progs = programmes_of(s, person.id or 0)
                    lost = planned_expiry(progs, today, ctx.rules) is None
                    verdicts[person.id or 0] = loss_reason(progs, today, ctx.rules) if lost else None
        if not rows:
            return
        for order, person in rows:
            reason = verdicts[person.id or 0]
            if reason:
                yield SweepItem(order.id or 0, order.order_ref, person.full_name, person.album or "",
                                S(order.status), reason, order.version)
        last = rows[-1][0].id or 0


def preview(ctx: Context) -> list[SweepItem]:
    return list(iter_preview(ctx))


def run_sweep(
    ctx: Context,
    *,
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> SweepSummary:
    if dry_run:
        return SweepSummary(items=preview(ctx), dry_run=True)
    ctx.require(Permission.SWEEP)
    try:
        with job_lock(ctx.engine, "sweep"):
            return _sweep(ctx, on_progress, cancel)
    except Busy:
        raise SweepLocked() from None


def _sweep(ctx: Context, on_progress: Callable[[int, int], None] | None,
           cancel: threading.Event | None) -> SweepSummary:
    summary = SweepSummary(items=preview(ctx))
    to_confirm: list[int] = []
    for n, item in enumerate(summary.items, 1):
        if cancel is not None and cancel.is_set():
            break
        try:
            (result,) = revoke_orders(ctx, [item.order_id], item.reason, by=Actor.SWEEP,
                                      versions={item.order_id: item.version})
        except UserError as e:
            summary.failures.append(f"{item.order_ref} {item.person}: {e}")
            continue
        if result.pending:
            to_confirm.append(item.order_id)
        else:
            summary.revoked += 1
        if on_progress:
            on_progress(n, len(summary.items))
    # Revocations that wait for MC, new and earlier ones, go to MC now.
    if ctx.settings.mc_url:
        from mleg_tui.services.mc_sync import confirm_all

        result = confirm_all(ctx, cancel=cancel)
        summary.revoked += sum(1 for i in to_confirm if i in result.confirmed_ids)
        summary.failures.extend(str(f) for f in result.failures)
    with reading(ctx.engine) as s:
        summary.pending = len(list(s.execute(
            select(Order.id).where(Order.id.in_(to_confirm), Order.pending_action.is_not(None))  # type: ignore[union-attr]
        ).scalars())) if to_confirm else 0
    return summary


def run_sweep_cli(ctx: Context, args: Any) -> int:
    """`mleg-tui sweep [--dry-run]`: a summary a cron mail can be read from."""
    summary = run_sweep(ctx, dry_run=args.dry_run)
    print(summary.text())
    if not ctx.settings.mc_url and summary.pending:
        print("Uwaga: brak konfiguracji MC (mc_url) — unieważnienia czekają, aż ktoś uruchomi "
              "`mleg-tui refresh` lub sweep z dostępem do MC.")
    return 1 if summary.failures else 0
