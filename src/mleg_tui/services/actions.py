"""Placing, cancelling and revoking orders, and revealing an activation code.

An order that may already be at MC (it has an MC id, or a submission is or was under
way) cannot end here alone: the request is recorded as pending, with its reason, and
the MC step (services.mc_sync) confirms it. An order MC has never seen ends at once.
"""
from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from mleg_tui.clock import utc
from mleg_tui.domain.dates import pl_date
from mleg_tui.domain.events import Action, Actor, PendingAction
from mleg_tui.domain.status import IllegalTransition, OrderStatus, lapse_of
from mleg_tui.errors import NotFound, UserError
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.status_change import (
    StaleOrder,
    change_status,
    record,
    update_order,
)
from mleg_tui.services.students import verdict_for
from mleg_tui.services.types import ActionResult
from mleg_tui.store import writing
from mleg_tui.store.models import Order, Person
from mleg_tui.store.queries import card_in_use, find_person, live


class NotEligible(UserError):
    def __init__(self, name: str, album: str | None, sentence: str):
        super().__init__(f"{name} ({album or 'bez numeru albumu'}): {sentence}")


def place_order(ctx: Context, album: str, *, by: Actor = Actor.STUDENT) -> ActionResult:
    """The student's "Zamów mLegitymację": refused with every reason when not eligible."""
    ctx.require(Permission.PLACE)
    now = ctx.clock.now()
    with writing(ctx.engine) as s:
        person = _locked_person(s, album)
        verdict, _, _ = verdict_for(ctx, s, person)
        if not verdict.eligible or verdict.planned_expiry is None:
            raise NotEligible(person.full_name, person.album, verdict.sentence)
        order = Order(
            order_ref=f"tmp-{person.id}-{now.timestamp()}",
            person_id=person.id or 0,
            status=OrderStatus.OCZEKUJE.value,
            ordered_at=utc(now),
            planned_expiry=verdict.planned_expiry,
            expiry_date=verdict.planned_expiry,
            created_at=utc(now),
            updated_at=utc(now),
            album=person.album or "",
            name_key=person.name_key,
        )
        s.add(order)
        s.flush()
        order.order_ref = f"{ctx.settings.university}-{order.id:06d}"
        record(s, order, now, Action.PLACED, by, ctx.login, None, None, OrderStatus.OCZEKUJE)
        return ActionResult(
            order.id or 0, order.order_ref, order.album, person.full_name,
            OrderStatus.OCZEKUJE, OrderStatus.OCZEKUJE, False,
            f"Zamówiono mLegitymację ({order.order_ref}); planowana data ważności "
            f"{pl_date(verdict.planned_expiry)}.",
        )


def _locked_person(s: Session, album: str | None, person_id: int | None = None) -> Person:
    person = find_person(s, album, person_id)
    # Two orders placed at once for one student: the second waits, then sees the first.
    return s.exec(select(Person).where(Person.id == person.id).with_for_update()).one()


def live_orders(s: Session, person_id: int, today: dt.date, *, lock: bool = False) -> list[Order]:
    """The orders still in force (domain.status.in_force: a card past its expiry is out,
    with nothing to cancel or revoke), newest first. `lock`: read for a change (see
    revoke_orders)."""
    stmt = select(Order).where(Order.person_id == person_id, live(), card_in_use(today))
    if lock:
        # Locked in id order, as every writer of orders locks them: no two writers ever
        # wait for each other in a circle.
        locked = s.exec(stmt.order_by(col(Order.id)).with_for_update()).all()
        return sorted(locked, key=lambda o: o.ordered_at, reverse=True)
    return list(s.exec(stmt.order_by(col(Order.ordered_at).desc())).all())


def may_be_at_mc(order: Order) -> bool:
    return bool(order.mc_id or order.submitted_body or order.lease_owner)


def cancel_order(
    ctx: Context, album: str | None, *, order_id: int | None = None, reason: str | None = None,
    by: Actor = Actor.STUDENT, confirm_now: bool = False, person_id: int | None = None,
) -> ActionResult:
    """The student cancels an order or a picked-up card ("Anuluj mLegitymację"), or asks
    the office to (the staff login goes on the event). `person_id` instead of the album
    reaches a student without one. `confirm_now`: where MC is configured, ask it at once
    to confirm (as the front ends do)."""
    result = _cancel(ctx, album, order_id, reason, by, person_id)
    return _confirm_now(ctx, [result])[0] if confirm_now else result


def _cancel(ctx: Context, album: str | None, order_id: int | None, reason: str | None, by: Actor,
            person_id: int | None) -> ActionResult:
    ctx.require(Permission.CANCEL)
    with writing(ctx.engine) as s:
        person = _locked_person(s, album, person_id)
        live = live_orders(s, person.id or 0, ctx.clock.today(), lock=True)
        if order_id is not None:
            live = [o for o in live if o.id == order_id]
            if not live:
                raise NotFound(f"{person.full_name} nie ma żywego zamówienia nr {order_id}.")
        if not live:
            raise NotFound(f"{person.full_name} nie ma zamówienia ani mLegitymacji do anulowania.")
        if len(live) > 1:
            listed = ", ".join(f"{o.id} ({OrderStatus(o.status).label})" for o in live)
            raise UserError(
                f"{person.full_name} ma kilka żywych zamówień: {listed}. Wskaż jedno (--order ID)."
            )
        return _end(ctx, s, live[0], person, PendingAction.CANCEL, reason or "na prośbę studenta", by)


def revoke_orders(
    ctx: Context,
    order_ids: list[int],
    reason: str,
    *,
    by: Actor = Actor.STAFF,
    versions: dict[int, int] | None = None,
    confirm_now: bool = False,
) -> list[ActionResult]:
    """The university revokes orders or cards; `versions`: what the caller saw, if any;
    `confirm_now`: where MC is configured, ask it at once to confirm (as the front ends do)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("Podaj powód unieważnienia.")
    if by is not Actor.SWEEP:
        ctx.require(Permission.REVOKE)
    results: list[ActionResult] = []
    with writing(ctx.engine) as s:
        # Read locked, in id order: a change committed meanwhile by another session (a
        # refresh storing MC's answer, the sweep) is waited for and seen, as on SQLite,
        # where the write transaction holds the store from its first read.
        found = {o.id: o for o in s.exec(
            select(Order).where(col(Order.id).in_(order_ids))
            .order_by(col(Order.id)).with_for_update()
        ).all()}
        orders = [found.get(i) for i in order_ids]
        missing = [i for i, o in zip(order_ids, orders) if o is None]
        if missing:
            raise NotFound(f"Nie ma zamówień: {', '.join(map(str, missing))}.")
        people = {o.person_id for o in orders if o}
        if len(people) > 1 and by is not Actor.SWEEP:
            ctx.require(Permission.BULK_REVOKE)
        for order in orders:
            assert order is not None
            if versions and versions.get(order.id or 0, order.version) != order.version:
                raise StaleOrder(order.id or 0)
            person = s.get(Person, order.person_id)
            assert person is not None
            results.append(_end(ctx, s, order, person, PendingAction.REVOKE, reason, by))
    return _confirm_now(ctx, results) if confirm_now else results


def revoke_student(ctx: Context, album: str, reason: str, *, order_id: int | None = None,
                   by: Actor = Actor.STAFF, confirm_now: bool = False) -> list[ActionResult]:
    """Revoke every live order and card of one student, or the one named (which must be
    that student's: a mistyped number never reaches another student's card)."""
    with writing(ctx.engine) as s:
        person = find_person(s, album)
        ids = [o.id or 0 for o in live_orders(s, person.id or 0, ctx.clock.today())]
        if order_id is not None:
            if order_id not in ids:
                raise NotFound(
                    f"{person.full_name} ({person.album}) nie ma żywego zamówienia nr {order_id}."
                )
            ids = [order_id]
        if not ids:
            raise NotFound(
                f"{person.full_name} ({person.album}) nie ma zamówienia ani mLegitymacji do unieważnienia."
            )
    return revoke_orders(ctx, ids, reason, by=by, confirm_now=confirm_now)


def _confirm_now(ctx: Context, results: list[ActionResult]) -> list[ActionResult]:
    """Endings that wait for MC go to MC at once (after they are committed), where it is
    configured; what MC cannot confirm now stays pending, and the message says why. (The
    sweep does not ask per order: it confirms all of its own in one go.)"""
    if not ctx.settings.mc_url or not any(r.pending for r in results):
        return results
    from mleg_tui.services.mc_sync import confirm_pending

    return confirm_pending(ctx, results)


def _end(ctx: Context, s: Session, order: Order, person: Person, kind: PendingAction, reason: str,
         by: Actor) -> ActionResult:
    now = ctx.clock.now()
    old = OrderStatus(order.status)
    final = kind.target
    what = kind.label

    def result(status: OrderStatus, pending: bool, message: str) -> ActionResult:
        return ActionResult(order.id or 0, order.order_ref, person.album or "", person.full_name,
                            old, status, pending, message)

    if old is final:
        return result(old, False, f"Zamówienie {order.order_ref} ma już status „{final.label}”.")
    if not old.is_live:
        raise IllegalTransition(old, final)
    if order.pending_action:
        if order.pending_action == kind:
            return result(old, True, f"{what.capitalize()} zamówienia {order.order_ref} już czeka na potwierdzenie MC.")
        raise UserError(
            f"Zamówienie {order.order_ref} czeka już na {PendingAction(order.pending_action).label} "
            "w systemie MC; poczekaj na potwierdzenie."
        )
    if may_be_at_mc(order):
        update_order(s, order, now, pending_action=kind.value, pending_reason=reason,
                     pending_actor=ctx.login, pending_actor_kind=by.value, pending_since=utc(now))
        record(s, order, now, kind.pending_event, by, ctx.login, reason)
        return result(old, True, f"Zlecono {what} zamówienia {order.order_ref}; czeka na potwierdzenie MC.")
    change_status(s, order, final, now, kind.done_event, by, ctx.login, reason)
    return result(final, False, f"Zamówienie {order.order_ref}: {old.label} → {final.label}.")


def reveal_activation_code(ctx: Context, order_id: int) -> str:
    """The activation code, for an authorised user; every reveal is recorded."""
    ctx.require(Permission.REVEAL_CODE)
    now = ctx.clock.now()
    with writing(ctx.engine) as s:
        order = s.get(Order, order_id)
        if order is None:
            raise NotFound(f"Nie ma zamówienia {order_id}.")
        if order.status != OrderStatus.DO_ODBIORU.value or not order.activation_code:
            raise UserError(f"Zamówienie {order.order_ref} nie ma kodu aktywacyjnego do odbioru.")
        status = OrderStatus(order.status)
        if lapse_of(status, order.expiry_date, order.codes_valid_until, ctx.clock.today(), now):
            raise UserError(
                f"Kody zamówienia {order.order_ref} wygasły: kodu aktywacyjnego nie da się już "
                "użyć, więc nie jest pokazywany. Student musi anulować zamówienie i zamówić ponownie."
            )
        record(s, order, now, Action.CODE_REVEALED, Actor.STAFF, ctx.login, None)
        return order.activation_code

