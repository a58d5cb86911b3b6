"""The one place an order's status changes: version-checked, with its event, in one transaction."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from mleg_tui.clock import utc
from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.status import IllegalTransition, OrderStatus, check_transition, reachable
from mleg_tui.errors import UserError
from mleg_tui.store.models import Order, OrderEvent


class StaleOrder(UserError):
    """Someone else changed the order since it was read."""

    def __init__(self, order_id: int):
        super().__init__(
            f"Zamówienie {order_id} zmieniło się w międzyczasie (inna sesja lub skrypt). "
            "Odśwież widok i spróbuj ponownie."
        )


def record(
    session: Session,
    order: Order,
    at: dt.datetime,
    action: Action,
    actor_kind: Actor,
    actor: str,
    reason: str | None = None,
    old: OrderStatus | None = None,
    new: OrderStatus | None = None,
) -> OrderEvent:
    event = OrderEvent(
        order_id=order.id or 0,
        at=utc(at),
        recorded_at=dt.datetime.now(dt.UTC),  # real time, whatever `today` says
        action=action.value,
        old_status=old.value if old else None,
        new_status=new.value if new else None,
        actor_kind=actor_kind.value,
        actor=actor,
        reason=reason,
    )
    session.add(event)
    return event


_UPDATES: dict[tuple[str, ...], Any] = {}


def _update_statement(columns: tuple[str, ...]) -> Any:
    """One prepared UPDATE per set of columns: a refresh writes thousands of orders with
    the same few columns, and building the statement each time cost most of the write."""
    stmt = _UPDATES.get(columns)
    if stmt is None:
        t = Order.__table__  # type: ignore[attr-defined]
        stmt = _UPDATES[columns] = (
            update(t)
            .where(t.c.id == bindparam("_id"), t.c.version == bindparam("_version"))
            .values({c: bindparam(f"_v_{c}") for c in columns})
        )
    return stmt


def update_order(session: Session, order: Order, at: dt.datetime, **values: Any) -> None:
    """Write `values` only if the order still has the version it was read with."""
    values["version"] = order.version + 1
    values["updated_at"] = utc(at)
    params = {f"_v_{k}": v for k, v in values.items()}
    params.update(_id=order.id, _version=order.version)
    result = session.connection().execute(_update_statement(tuple(sorted(values))), params)
    if result.rowcount != 1:
        raise StaleOrder(order.id or 0)
    for k, v in values.items():
        # The row is written already; keep the loaded object in step without a second UPDATE.
        set_committed_value(order, k, v)


def change_status(
    session: Session,
    order: Order,
    new: OrderStatus,
    at: dt.datetime,
    action: Action,
    actor_kind: Actor,
    actor: str,
    reason: str | None = None,
    *,
    observed: bool = False,
    **values: Any,
) -> OrderEvent:
    """Move an order to `new`, with its event.

    `observed`: the change was read from MC, which may be several legal steps ahead of
    what the store last saw; otherwise it must be one legal step.
    """
    old = OrderStatus(order.status)
    if observed:
        if not reachable(old, new):
            raise IllegalTransition(old, new)
    else:
        check_transition(old, new)
    update_order(session, order, at, status=new.value, **values)
    return record(session, order, at, action, actor_kind, actor, reason, old, new)
