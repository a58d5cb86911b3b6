"""Submission leases: which refresh is sending an order to MC, until when, and the exact
request it sends.

A claim takes the lease and keeps the request body (the first one ever built for the
order), so two runs never send one order at once and a repeat after a lost response is
the same request under the same Idempotency-Key. A lease names its process, so one left
by a process of this host that is gone (kill -9, a crash) is taken over at once; others
run out with time.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlmodel import col

from mleg_tui.clock import utc
from mleg_tui.domain.status import OrderStatus
from mleg_tui.services.context import Context
from mleg_tui.services.types import RefreshFailure
from mleg_tui.store import writing
from mleg_tui.store.models import Order, Person

if TYPE_CHECKING:
    from mleg_tui.mc import SubmitRequest

S = OrderStatus
NO_LEASE: dict[str, Any] = {"lease_owner": None, "lease_until": None}


@dataclass(frozen=True)
class Claimed:
    """An order this run holds the lease on, with the exact body to send."""

    id: int
    order_ref: str
    body: str
    person: str
    album: str

    def failure(self, why: str) -> RefreshFailure:
        return RefreshFailure(self.id, self.order_ref, self.person, self.album, why)


def new_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def wall_clock() -> dt.datetime:
    """Leases are about real processes, so real time (MLEG_TUI_TODAY may fix the office's)."""
    return dt.datetime.now(dt.UTC)


def _dead_owners(owners: set[str]) -> set[str]:
    """Lease holders that were processes of this host and are gone (kill -9, a crash)."""
    host = socket.gethostname()[:30]
    dead = set()
    for owner in owners:
        h, _, rest = owner.partition(":")
        pid = rest.partition(":")[0]
        if h != host or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.add(owner)
        except PermissionError:
            pass
    return dead


def _body(order_ref: str, planned_expiry: dt.date, person: Person) -> str:
    """The submission of the order as MC's client sends it, kept as JSON text."""
    from mleg_tui.mc import SubmitRequest

    req = SubmitRequest(order_ref=order_ref, album=person.album or "", pesel=person.pesel or "",
                        first_name=person.first_name, last_name=person.last_name,
                        expiry_date=planned_expiry, birth_date=person.birth_date)
    return json.dumps(req.to_json(), ensure_ascii=False)


def request_of(item: Claimed) -> SubmitRequest:
    """The request to send again, from the body kept."""
    from mleg_tui.mc import SubmitRequest

    return SubmitRequest.from_json(json.loads(item.body))


class _Contended(Exception):
    """Another transaction changed an order being claimed (possible on PostgreSQL)."""


def claim(ctx: Context, owner: str, ids: list[int], lease: dt.timedelta, *,
          pending: bool = False) -> list[Claimed]:
    """Take the lease on those of these orders still waiting to be sent that nobody else
    is sending; keep the body to send (the first one ever built for the order).

    One UPDATE for the whole batch, version-checked row by row like update_order: a
    claim is bookkeeping, not a status change, and it is the hottest write of a refresh."""
    try:
        return _claim(ctx, owner, ids, lease, pending)
    except _Contended:
        return []  # left for the next run; nothing was claimed (rolled back)


def _claim(ctx: Context, owner: str, ids: list[int], lease: dt.timedelta, pending: bool) -> list[Claimed]:
    now, wall = utc(ctx.clock.now()), wall_clock()
    claimed: list[Claimed] = []
    params: list[dict[str, Any]] = []
    with writing(ctx.engine) as s:
        rows = s.execute(
            select(col(Order.id), col(Order.order_ref), col(Order.status), col(Order.version),
                   col(Order.pending_action), col(Order.lease_owner), col(Order.lease_until),
                   col(Order.submitted_body), col(Order.planned_expiry), Person)
            .join(Person, col(Person.id) == Order.person_id)
            .where(col(Order.id).in_(ids)).order_by(col(Order.id))
            # Two refreshes claiming at once: the second waits, then sees the first's lease.
            .with_for_update(of=Order)
        ).all()
        held = {r.lease_owner for r in rows if r.lease_owner and r.lease_until and r.lease_until > wall}
        dead = _dead_owners(held)
        for r in rows:
            if r.status != S.OCZEKUJE.value or (r.pending_action is not None) != pending:
                continue
            if r.lease_owner in held and r.lease_owner not in dead:
                continue  # another refresh is sending it right now
            person = r.Person
            body = r.submitted_body or _body(r.order_ref, r.planned_expiry, person)
            params.append({"b_id": r.id, "b_version": r.version, "v_version": r.version + 1,
                           "v_owner": owner, "v_until": wall + lease, "v_body": body, "v_updated": now})
            claimed.append(Claimed(r.id or 0, r.order_ref, body, person.full_name, person.album or ""))
        if params:
            t = Order.__table__  # type: ignore[attr-defined]
            result = s.connection().execute(
                update(t)
                .where(t.c.id == bindparam("b_id"), t.c.version == bindparam("b_version"))
                .values(version=bindparam("v_version"), lease_owner=bindparam("v_owner"),
                        lease_until=bindparam("v_until"), submitted_body=bindparam("v_body"),
                        updated_at=bindparam("v_updated")),
                params,
            )
            if result.rowcount != len(params):
                raise _Contended
    return claimed


def release(ctx: Context, owner: str, ids: list[int]) -> None:
    """Give back leases not used up (an interrupted run): the next run sends those orders
    again, with the same body."""
    with writing(ctx.engine) as s:
        for i in range(0, len(ids), 500):
            s.execute(
                update(Order)
                .where(col(Order.id).in_(ids[i:i + 500]), col(Order.lease_owner) == owner)
                .values(**NO_LEASE)
            )
