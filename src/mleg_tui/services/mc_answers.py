"""MC's answers, applied to the store (the write side of services.mc_sync).

Each function is one short transaction over a batch of answers; every status change goes
through services.status_change (version check + event), so a batch is applied whole or
not at all and an order is never half-updated. The functions return what they did
(`Applied`) and leave counting and reporting to the caller.

The rows a transaction is about to change are read locked (FOR UPDATE, in id order, so
two writers never wait for each other in a circle). On SQLite the write transaction holds
the whole store from its first read (BEGIN IMMEDIATE) and the lock adds nothing; on
PostgreSQL it is what keeps read-then-write whole: a revocation committed by a TUI session
between this transaction's read and its write would otherwise fail the version check and
take the whole batch (and the refresh) down with it. Plain readers never wait for it.

MC has the last word on an order's state. A revocation or cancellation waiting for MC
(`pending_action`) is settled by MC's first final answer about the order, whichever way
it comes: the answer to our revoke call, a read, or a 409 saying the order ended
otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session, col

from mleg_tui.domain.events import Action, Actor, PendingAction
from mleg_tui.domain.status import IllegalTransition, OrderStatus, reachable
from mleg_tui.services.context import Context
from mleg_tui.services.mc_leases import NO_LEASE, Claimed
from mleg_tui.services.status_change import StaleOrder, change_status, record, update_order
from mleg_tui.services.types import RefreshFailure
from mleg_tui.store import writing
from mleg_tui.store.models import Order, Person

if TYPE_CHECKING:
    from mleg_tui.mc import MCError, MCOrder

S = OrderStatus
CLEAR_PENDING: dict[str, Any] = {"pending_action": None, "pending_reason": None, "pending_actor": None,
                                 "pending_actor_kind": None, "pending_since": None}
PEOPLES_ENDS = frozenset({S.ANULOWANE_PRZEZ_UZYTKOWNIKA, S.UNIEWAZNIONE_PRZEZ_UCZELNIE})


def confirmed_reason(reason: str | None) -> str:
    """The reason of a revocation or cancellation once MC has confirmed it."""
    return f"{reason} (potwierdzone przez MC)"


@dataclass
class Applied:
    """What one batch of MC's answers did to the store."""

    changed: list[tuple[int, OrderStatus]] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)  # pending requests MC carried out
    submitted: int = 0
    failures: list[RefreshFailure] = field(default_factory=list)


def _failure(order: Order, person: str, why: str) -> RefreshFailure:
    return RefreshFailure(order.id or 0, order.order_ref, person, order.album, why)


def _mismatch(order: Any, mco: MCOrder) -> str:
    return f"niezgodność: MC podaje „{S(mco.status).label}”, w bazie „{S(order.status).label}”"


def _not_ours(mco: MCOrder) -> str:
    return f"MC podał stan innego zamówienia ({mco.order_ref}); nic nie zmieniono"


# -- MC's word about one order ------------------------------------------------------------------

def mc_values(mco: MCOrder) -> dict[str, Any]:
    """The columns MC's order object sets (besides the status)."""
    new = S(mco.status)
    ready = new is S.DO_ODBIORU
    values: dict[str, Any] = {
        "mc_id": mco.mc_id,
        # Codes are the student's secret: kept only while they can be used.
        "qr_code": mco.qr_code if ready else None,
        "activation_code": mco.activation_code if ready else None,
        "codes_valid_until": mco.codes_valid_until if ready else None,
        "mc_updated_at": mco.updated_at,
    }
    if new is S.BLAD:
        values["error_code"] = (mco.error_code or "BLAD").upper()
        values["error_message"] = mco.error_message
    if mco.expiry_date:
        values["expiry_date"] = mco.expiry_date
    return values


def differs(order: Any, mco: MCOrder) -> bool:
    """Whether MC's word would change anything in this order (an Order or a row with
    its status, pending_action and the columns of mc_values)."""
    if order.status != mco.status:
        return True
    if order.pending_action and S(mco.status).is_final:
        return True  # a pending request to settle
    return any(getattr(order, k) != v for k, v in mc_values(mco).items())


def apply_mc_order(s: Session, ctx: Context, order: Order, mco: MCOrder, out: Applied, *,
                   action: Action = Action.MC_STATUS, note: str | None = None, **extra: Any) -> None:
    """Make the order what MC says it is, with its event (raises IllegalTransition when
    MC's status cannot follow the store's). A pending revocation or cancellation ends
    with MC's first final answer: confirmed when MC's status is the one asked for (the
    event names who asked, and why), otherwise MC ended the order another way first."""
    now = ctx.clock.now()
    new, old = S(mco.status), S(order.status)
    values = {**mc_values(mco), **extra}
    actor_kind, actor, reason = Actor.MC, ctx.login, note  # MC's word, read by this login's run
    settles = bool(order.pending_action) and new.is_final
    if settles:
        kind = PendingAction(order.pending_action)
        values.update(CLEAR_PENDING)
        if new is kind.target:
            action = kind.done_event
            actor_kind = Actor(order.pending_actor_kind or Actor.STAFF.value)
            actor = order.pending_actor or ""
            reason = confirmed_reason(order.pending_reason)
            out.confirmed.append(order.id or 0)
        else:
            action = Action.MC_CONFLICT
            reason = (f"MC: zamówienie zakończyło się inaczej ({new.label}); "
                      f"{kind.label} nie było potrzebne")
    # Only what differs is written: a smaller UPDATE, and none when nothing changed.
    values = {k: v for k, v in values.items() if getattr(order, k) != v}
    if new is not old:
        change_status(s, order, new, now, action, actor_kind, actor, reason, observed=True, **values)
        out.changed.append((order.id or 0, new))
        return
    if values:
        update_order(s, order, now, **values)
    if settles:
        record(s, order, now, action, actor_kind, actor, reason)


# -- batches ------------------------------------------------------------------------------------

def _suspect(s: Session, results: list[tuple[Claimed, Any]]) -> dict[int, str]:
    """Answers to submissions that cannot be about the order sent, by order id, with why:
    an MC id another order already holds (in the store, or in this batch), or an end
    that only a revocation could bring, and none was ever sent for an order without an
    MC id. (A 201 other than W_TRAKCIE the client refuses already.)"""
    answers = {c.id: o[0] for c, o in results if isinstance(o, tuple)}
    ids: dict[str, list[int]] = {}
    for order_id, mco in answers.items():
        ids.setdefault(mco.mc_id, []).append(order_id)
    held: dict[str, str] = {}
    if ids:
        held.update((m or "", ref) for m, ref in s.execute(
            select(col(Order.mc_id), col(Order.order_ref))
            .where(col(Order.mc_id).in_(list(ids)), col(Order.id).not_in(list(answers)))).all())
    why: dict[int, str] = {}
    for mc_id, orders in ids.items():
        for order_id in orders:
            if mc_id in held:
                why[order_id] = f"MC podał identyfikator {mc_id}, który ma już zamówienie {held[mc_id]}"
            elif len(orders) > 1:
                why[order_id] = f"MC podał ten sam identyfikator {mc_id} dla {len(orders)} zamówień"
            elif S(answers[order_id].status) in PEOPLES_ENDS:
                why[order_id] = (f"MC podaje, że przesłane zamówienie jest już „{S(answers[order_id].status).label}”, "
                                 "choć nikt go nie unieważnił ani nie anulował")
    return why


def apply_submissions(ctx: Context, owner: str,
                      results: list[tuple[Claimed, tuple[MCOrder, bool] | MCError]]) -> Applied:
    """MC's answers to submissions (or why there is none), one transaction. An answer
    counts only while this run still holds the order's lease; one that cannot be about
    the order sent is a failure and changes nothing."""
    from mleg_tui.mc import MCAuthError, MCError, MCRejected

    out = Applied()
    now = ctx.clock.now()
    with writing(ctx.engine) as s, s.no_autoflush:  # events go in at commit, in one batch
        loaded = {o.id: o for o in s.execute(
            select(Order).where(col(Order.id).in_([c.id for c, _ in results]))
            .order_by(col(Order.id)).with_for_update()
        ).scalars()}
        suspect = _suspect(s, results)
        for item, outcome in results:
            order = loaded.get(item.id)
            if order is None or order.lease_owner != owner:
                continue
            if isinstance(outcome, MCRejected):
                # MC will not take the order as it stands: it ends here, visibly, with MC's
                # reason, so the office can correct the data and the student order again.
                values: dict[str, Any] = {"error_code": (outcome.code or "REJECTED").upper(),
                                          "error_message": str(outcome), **NO_LEASE}
                why = f"MC odrzucił zamówienie: {outcome}"
                if order.pending_action:
                    values.update(CLEAR_PENDING)
                    why += f"; {PendingAction(order.pending_action).label} nie było potrzebne"
                change_status(s, order, S.BLAD, now, Action.MC_STATUS, Actor.MC, ctx.login, why,
                              observed=True, **values)
                out.changed.append((order.id or 0, S.BLAD))
                continue
            if isinstance(outcome, MCError):
                update_order(s, order, now, **NO_LEASE)
                if not isinstance(outcome, MCAuthError):
                    out.failures.append(item.failure(str(outcome)))
                continue
            mco, created = outcome
            if item.id in suspect or not (order.status == mco.status or reachable(S(order.status), S(mco.status))):
                update_order(s, order, now, **NO_LEASE)
                out.failures.append(item.failure(suspect.get(item.id) or _mismatch(order, mco)))
                continue
            if order.status != S.OCZEKUJE.value:
                update_order(s, order, now, mc_id=mco.mc_id, **NO_LEASE)
                continue
            note = None if created else "MC miał już to zamówienie (powtórzone przesłanie)"
            apply_mc_order(s, ctx, order, mco, out, action=Action.SUBMITTED, note=note, **NO_LEASE)
            out.submitted += 1
    return out


def _read_rows(s: Session, ids: list[int], *, lock: bool = False) -> list[tuple[Order, str]]:
    stmt = (select(Order, col(Person.first_name), col(Person.last_name))
            .join(Person, col(Person.id) == Order.person_id)
            .where(col(Order.id).in_(ids)).order_by(col(Order.id)))
    rows = s.execute(stmt.with_for_update(of=Order) if lock else stmt).all()
    return [(o, f"{first} {last}") for o, first, last in rows]


_COMPARED = (col(Order.id), col(Order.order_ref), col(Order.album), col(Order.status), col(Order.pending_action),
             col(Order.mc_id), col(Order.qr_code), col(Order.activation_code), col(Order.codes_valid_until),
             col(Order.mc_updated_at), col(Order.error_code), col(Order.error_message), col(Order.expiry_date))


def apply_page(ctx: Context, ids: list[int], orders: list[MCOrder], not_found: list[str]) -> Applied:
    """One batchGet page of MC's answers, one transaction. Most orders of a periodic
    refresh have not changed: they are compared as plain rows, and only the ones MC
    changed are loaded and written (with their events)."""
    out = Applied()
    by_mc = {o.mc_id: o for o in orders}
    missing = set(not_found)
    with writing(ctx.engine) as s, s.no_autoflush:  # events go in at commit, in one batch
        rows = s.execute(
            select(*_COMPARED, col(Person.first_name), col(Person.last_name))
            .join(Person, col(Person.id) == Order.person_id)
            .where(col(Order.id).in_(ids)).order_by(col(Order.id))
        ).all()
        todo: dict[int, tuple[MCOrder, str]] = {}
        for r in rows:
            person = f"{r.first_name} {r.last_name}"
            mco = by_mc.get(r.mc_id or "")
            if mco is None:
                why = "MC nie zna tego zamówienia" if r.mc_id in missing else "MC nie podał stanu zamówienia"
                out.failures.append(RefreshFailure(r.id, r.order_ref, person, r.album, f"{why} (mc_id {r.mc_id})"))
            elif mco.order_ref != r.order_ref:
                out.failures.append(RefreshFailure(r.id, r.order_ref, person, r.album, _not_ours(mco)))
            elif differs(r, mco):
                todo[r.id] = (mco, person)
        if not todo:
            return out
        # Only the orders MC changed are locked, and read again as they are now.
        for order in s.execute(select(Order).where(col(Order.id).in_(list(todo)))
                               .order_by(col(Order.id)).with_for_update()).scalars():
            mco, person = todo[order.id or 0]
            try:
                apply_mc_order(s, ctx, order, mco, out)
            except IllegalTransition:
                out.failures.append(_failure(order, person, _mismatch(order, mco)))
    return out


def fail_ids(ctx: Context, ids: list[int], why: str) -> Applied:
    """Orders MC could not be asked about (read only)."""
    from mleg_tui.store import reading

    with reading(ctx.engine) as s:
        return Applied(failures=[_failure(o, p, why) for o, p in _read_rows(s, ids)])


def apply_confirmation(ctx: Context, order_id: int, mco: MCOrder, conflict: bool) -> Applied:
    """MC's answer to a revoke call: the order as MC now has it (with a 409: ended otherwise)."""
    out = Applied()
    with writing(ctx.engine) as s:
        rows = _read_rows(s, [order_id], lock=True)
        if not rows or rows[0][0].pending_action is None:
            return out  # settled meanwhile (a read in another run)
        order, person = rows[0]
        if mco.order_ref != order.order_ref:
            out.failures.append(_failure(order, person, f"{_not_ours(mco)}; zlecenie zostaje i zostanie ponowione"))
            return out
        try:
            apply_mc_order(s, ctx, order, mco, out)
        except (IllegalTransition, StaleOrder) as e:
            out.failures.append(_failure(order, person, str(e)))
            return out
        if order.pending_action is not None:  # MC says the order is still live
            what = "konflikt" if conflict else "odpowiedź"
            out.failures.append(_failure(
                order, person, f"MC: {what} bez zakończenia zamówienia (status „{S(mco.status).label}”); "
                               "zlecenie zostaje i zostanie ponowione"))
    return out
