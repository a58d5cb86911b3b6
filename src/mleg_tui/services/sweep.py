"""The revocation sweep: the script the university runs from cron (figures 12-13).

It revokes every live order or card whose student no longer has an entitling programme
(struck off, graduated past the 1st-cycle window, only doctoral or postgraduate left),
with the reason in words, and retries revocations still waiting for MC. One at a time.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from mleg_tui.domain.events import Actor
from mleg_tui.domain.rules import loss_reason, planned_expiry
from mleg_tui.domain.runs import ItemOutcome, RunKind
from mleg_tui.domain.status import OrderStatus
from mleg_tui.errors import MlegError, UserError
from mleg_tui.services.actions import revoke_orders
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.status_change import StaleOrder
from mleg_tui.services.types import ActionResult, RefreshFailure, SweepItem, SweepSummary
from mleg_tui.store import reading
from mleg_tui.store.locks import Busy, job_lock
from mleg_tui.store.models import Order, Person
from mleg_tui.store.queries import card_in_use, live, not_pending, pending, programmes_of

S = OrderStatus
CHUNK = 500


class SweepLocked(UserError):
    def __init__(self) -> None:
        super().__init__("Inny skrypt unieważniający właśnie działa na tej bazie; spróbuj później.")


def _live(ctx: Context) -> Any:
    """Orders and cards the sweep may take away: live, in use, not already waiting for MC."""
    return select(Order, Person).join(Person, col(Person.id) == Order.person_id).where(
        live(), not_pending(), card_in_use(ctx.clock.today()))


def _pending_ids(ctx: Context) -> set[int]:
    with reading(ctx.engine) as s:
        return set(s.execute(select(col(Order.id)).where(pending())).scalars())


def _verdicts(ctx: Context, s: Any, rows: Sequence[Any]) -> dict[int, str | None]:
    """Per person: the reason in words when no programme entitles them any more."""
    today = ctx.clock.today()
    verdicts: dict[int, str | None] = {}
    for _, person in rows:
        if person.id not in verdicts:
            progs = programmes_of(s, person.id or 0)
            lost = planned_expiry(progs, today, ctx.rules) is None
            verdicts[person.id or 0] = loss_reason(progs, today, ctx.rules) if lost else None
    return verdicts


def _item(order: Order, person: Person, reason: str) -> SweepItem:
    return SweepItem(order.id or 0, order.order_ref, person.full_name, person.album or "",
                     S(order.status), reason, order.version)


def iter_preview(ctx: Context) -> Iterator[SweepItem]:
    """Every order the sweep would revoke, read a chunk at a time."""
    last = 0
    while True:
        with reading(ctx.engine) as s:
            rows = s.execute(_live(ctx).where(col(Order.id) > last).order_by(col(Order.id)).limit(CHUNK)).all()
            verdicts = _verdicts(ctx, s, rows)
        if not rows:
            return
        for order, person in rows:
            reason = verdicts[person.id or 0]
            if reason:
                yield _item(order, person, reason)
        last = rows[-1][0].id or 0


def _again(ctx: Context, order_id: int) -> SweepItem | None:
    """The order as it is now, if the sweep should still revoke it."""
    with reading(ctx.engine) as s:
        rows = s.execute(_live(ctx).where(Order.id == order_id)).all()
        reason = _verdicts(ctx, s, rows).get(rows[0][1].id or 0) if rows else None
    return _item(rows[0][0], rows[0][1], reason) if rows and reason else None


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
    from mleg_tui.services import runs

    ctx.require(Permission.SWEEP)
    try:
        with job_lock(ctx.engine, "sweep"):
            return runs.reported(ctx, RunKind.SWEEP, lambda: _sweep(ctx, on_progress, cancel), runs.finish_sweep)
    except Busy:
        raise SweepLocked() from None


def _revoke(ctx: Context, item: SweepItem) -> ActionResult | None:
    """Revoke one order as the preview saw it. If it changed meanwhile (a refresh read a
    new status from MC), look again: still live and still without a right, it is revoked
    as it is now; otherwise there is nothing to do (None)."""
    for attempt in range(2):
        try:
            (result,) = revoke_orders(ctx, [item.order_id], item.reason, by=Actor.SWEEP,
                                      versions={item.order_id: item.version})
            return result
        except StaleOrder:
            if attempt:
                raise
            fresh = _again(ctx, item.order_id)
            if fresh is None:
                return None
            item = fresh
    raise AssertionError("unreachable")  # pragma: no cover


def _sweep(ctx: Context, on_progress: Callable[[int, int], None] | None,
           cancel: threading.Event | None) -> SweepSummary:
    summary = SweepSummary(items=preview(ctx))
    earlier = _pending_ids(ctx)
    to_confirm: list[int] = []
    for n, item in enumerate(summary.items, 1):
        if cancel is not None and cancel.is_set():
            summary.cancelled = True
            break
        try:
            result = _revoke(ctx, item)
        except MlegError as e:
            summary.failures.append(RefreshFailure(item.order_id, item.order_ref, item.person, item.album, str(e)))
            summary.outcomes[item.order_id] = ItemOutcome.FAILED
            result = None
        except KeyboardInterrupt:  # Ctrl+C: this order's transaction rolled back; the rest waits
            summary.cancelled = True
            break
        else:
            if result is None:
                summary.skipped += 1
                summary.outcomes[item.order_id] = ItemOutcome.SKIPPED
            elif result.pending:
                to_confirm.append(item.order_id)
                summary.outcomes[item.order_id] = ItemOutcome.PENDING
            else:
                summary.revoked += 1
                summary.outcomes[item.order_id] = ItemOutcome.REVOKED
        if on_progress:
            on_progress(n, len(summary.items))
    # Revocations that wait for MC, new and earlier ones, go to MC now.
    if ctx.settings.mc_url and (to_confirm or earlier) and not summary.cancelled:
        from mleg_tui.services.mc_sync import confirm_all

        at_mc = confirm_all(ctx, cancel=cancel)
        confirmed = set(at_mc.confirmed_ids)
        for i in to_confirm:
            if i in confirmed:
                summary.revoked += 1
                summary.outcomes[i] = ItemOutcome.REVOKED
                summary.confirmed_by_mc.add(i)
        summary.earlier_confirmed = len(confirmed & earlier)
        summary.failures.extend(at_mc.failures)
        summary.cancelled |= at_mc.cancelled
    still = _pending_ids(ctx)
    summary.pending = len(still.intersection(to_confirm))
    summary.earlier_pending = len(still & earlier)
    for i in set(to_confirm) - still:
        if summary.outcomes.get(i) is ItemOutcome.PENDING:  # MC ended it another way
            summary.outcomes[i] = ItemOutcome.ENDED_OTHERWISE
    return summary
