"""Every order of a store replayed through the domain's rules: the first contradiction, or
None. What a demo store must never show a newcomer, each checked against the rule itself:

- the order's planned expiry is the rule's (domain.rules.planned_expiry) at the order
  date: never none, never before the order (an order needs an entitling programme);
- when it was placed, domain.eligibility.assess saw no other order in progress and no
  card with more than 30 days left, as the store's events say they stood at that moment;
- every event in time order, none after "now", each status change a legal step
  (domain.status: one step, or steps ahead when read from MC), the last one the order's
  status, its version and update time those of the last change;
- a request to MC (cancellation, revocation) confirmed by MC, with its reason;
- a sweep revocation only once no programme entitles the student, with the sweep's own
  reason, and never of a card already expired;
- codes only while the order is ready for pickup, valid 30 days from their issue;
- an MC id once the order went to MC, an error code exactly on an order that failed.

What the register does not date (a photo, a PESEL) is today's, not the order's: an order
placed before a photo was withdrawn is no contradiction, so those reasons are not replayed.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from mleg_tui.domain.eligibility import BAD_PESEL, NO_PESEL, NO_PHOTO, OrderFacts, PersonFacts, assess
from mleg_tui.domain.events import Action, Actor, PendingAction
from mleg_tui.domain.rules import Level, Programme, ProgrammeStatus, loss_reason, planned_expiry
from mleg_tui.domain.status import OrderStatus, can_transition, reachable
from mleg_tui.services.context import Context
from mleg_tui.services.mc_answers import confirmed_reason
from mleg_tui.store import reading
from mleg_tui.store.models import Enrolment, Order, OrderEvent, Person

Row = Any  # a row of a table (its columns by name)

S = OrderStatus
CODES_VALID = dt.timedelta(days=30)
UNDATED = {NO_PESEL, BAD_PESEL, NO_PHOTO}  # the register's facts as of today only
CHUNK = 5000  # persons read at a time


def first_contradiction(ctx: Context) -> str | None:
    return next(contradictions(ctx), None)


def contradictions(ctx: Context) -> Iterator[str]:
    # Rows, not ORM objects: a 100k-student store has half a million events to read.
    person, enrol, order, event = (t.__table__ for t in (Person, Enrolment, Order, OrderEvent))  # type: ignore[attr-defined]
    last = 0
    while True:
        with reading(ctx.engine) as s:
            persons = s.execute(select(person).where(person.c.id > last).order_by(person.c.id).limit(CHUNK)).all()
            if not persons:
                return
            lo, hi = persons[0].id, persons[-1].id
            progs: dict[int, list[Programme]] = defaultdict(list)
            for e in s.execute(select(enrol).where(enrol.c.person_id.between(lo, hi)).order_by(enrol.c.id)):
                progs[e.person_id].append(Programme(e.programme_code, Level(e.level), ProgrammeStatus(e.status),
                                                    e.status_date, e.planned_end_date, e.programme_name))
            orders: dict[int, list[Any]] = defaultdict(list)
            for o in s.execute(select(order).where(order.c.person_id.between(lo, hi))
                               .order_by(order.c.ordered_at, order.c.id)):
                orders[o.person_id].append(o)
            events: dict[int, list[Any]] = defaultdict(list)
            for e in s.execute(select(event).join(order, order.c.id == event.c.order_id)
                               .where(order.c.person_id.between(lo, hi)).order_by(event.c.id)):
                events[e.order_id].append(e)
        for p in persons:
            yield from _person(ctx, p, progs[p.id], orders[p.id], events)
        last = hi


def _label(o: Row, p: Row) -> str:
    return f"{o.order_ref} ({p.first_name} {p.last_name}, album {p.album or 'brak'})"


def _status_at(evs: list[Row], t: dt.datetime) -> S | None:
    """The order's status at instant t, as its events tell it (None: not yet placed)."""
    status = None
    for e in evs:
        if e.at > t:
            break
        if e.new_status:
            status = S(e.new_status)
    return status


def _person(ctx: Context, p: Row, progs: list[Programme], orders: list[Row],
            events: dict[int, list[Row]]) -> Iterator[str]:
    rules, local = ctx.rules, ctx.clock.local
    for i, o in enumerate(orders):
        evs = events[o.id]
        label = _label(o, p)
        problem = _history(ctx, o, evs)
        if problem:
            yield f"{label}: {problem}"
            continue
        placed = local(o.ordered_at)
        expected = planned_expiry(progs, placed.date(), rules)
        if expected is None:
            yield (f"{label}: zamówione {placed:%d.%m.%Y %H:%M}, gdy żaden program nie dawał "
                   f"uprawnień ({loss_reason(progs, placed.date(), rules)})")
            continue
        if o.planned_expiry != expected or o.expiry_date != expected:
            yield (f"{label}: zamówione {placed:%d.%m.%Y}, planowana data ważności {o.planned_expiry} "
                   f"(ważna do {o.expiry_date}), a reguła daje {expected}")
            continue
        if o.album != (p.album or "") or not p.album:
            yield f"{label}: zamówienie z numerem albumu „{o.album}” u osoby z „{p.album or ''}”"
            continue
        others = [OrderFacts(st, local(x.ordered_at), x.expiry_date)
                  for x in orders[:i] if (st := _status_at(events[x.id], o.ordered_at)) is not None]
        verdict = assess(PersonFacts(p.pesel, p.album, True, p.birth_date), progs, others, placed.date(), rules)
        blocking = [r.text for r in verdict.reasons if r.code not in UNDATED]
        if blocking:
            yield f"{label}: zamówione {placed:%d.%m.%Y %H:%M}, choć reguły nie pozwalały: {', '.join(blocking)}"
            continue
        problem = _revocations(ctx, o, evs, progs)
        if problem:
            yield f"{label}: {problem}"


def _history(ctx: Context, o: Row, evs: list[Row]) -> str | None:
    now = ctx.clock.now()
    if not evs or evs[0].action != Action.PLACED.value:
        return "historia nie zaczyna się od złożenia zamówienia"
    first = evs[0]
    if first.at != o.ordered_at or first.old_status is not None or first.new_status != S.OCZEKUJE.value:
        return "złożenie zamówienia nie zgadza się z datą i statusem zamówienia"
    status, prev, changes, last_change, ready_at, pending = S.OCZEKUJE, first.at, 0, first.at, None, None
    submitted = False
    for e in evs[1:]:
        if e.at < prev:
            return f"zdarzenia nie po kolei: {e.action} {e.at} po {prev}"
        prev = e.at
        action = Action(e.action)
        if action is Action.CODE_REVEALED:
            continue  # recorded beside the order, no change of it
        changes += 1
        last_change = e.at
        if e.new_status is None:
            kind = PendingAction.CANCEL if action is Action.CANCEL_PENDING else PendingAction.REVOKE
            if action not in (Action.CANCEL_PENDING, Action.REVOKE_PENDING) or pending or not status.is_live:
                return f"prośba {action.value} przy statusie {status.value}"
            pending = (kind, e)
            continue
        if e.old_status != status.value:
            return f"zdarzenie {action.value} zaczyna od {e.old_status}, a zamówienie było {status.value}"
        new = S(e.new_status)
        observed = Actor(e.actor_kind) is Actor.MC and action in (Action.SUBMITTED, Action.MC_STATUS)
        legal = reachable(status, new) if observed else can_transition(status, new)
        if not legal:
            return f"niedozwolona zmiana {status.value} → {new.value} ({action.value})"
        if pending:
            kind, asked = pending
            if new is not kind.target or action is not kind.done_event or e.reason != confirmed_reason(asked.reason):
                return f"prośba {asked.action} zakończona inaczej: {action.value} → {new.value}"
            pending = None
        if action is Action.SUBMITTED:
            submitted = True
        if new is S.DO_ODBIORU:
            ready_at = e.at
        status = new
    if prev > now:
        return f"zdarzenie po „teraz”: {prev}"
    if pending or o.pending_action:
        return "prośba do MC bez potwierdzenia"
    if status.value != o.status:
        return f"ostatnie zdarzenie kończy na {status.value}, a zamówienie ma status {o.status}"
    if o.version != changes + 1 or o.updated_at != last_change:
        return f"wersja {o.version} / zmiana {o.updated_at}, a historia daje {changes + 1} / {last_change}"
    if bool(o.mc_id) != submitted:
        return "identyfikator MC bez przekazania do MC" if o.mc_id else "przekazane do MC bez identyfikatora MC"
    if bool(o.error_code) != (status is S.BLAD):
        return f"kod błędu „{o.error_code}” przy statusie {status.value}"
    codes = (o.qr_code, o.activation_code, o.codes_valid_until)
    if status is S.DO_ODBIORU:
        if not all(codes):
            return "do odbioru bez kodów"
        if o.codes_valid_until != ready_at + CODES_VALID:  # type: ignore[operator]
            return f"kody ważne do {o.codes_valid_until}, a wydane {ready_at} (30 dni od wydania)"
    elif any(codes):
        return f"kody zachowane przy statusie {status.value}"
    return None


def _revocations(ctx: Context, o: Row, evs: list[Row], progs: list[Programme]) -> str | None:
    """The sweep revokes only those who lost the right, with its own reason, and no expired card."""
    local, rules = ctx.clock.local, ctx.rules
    asked: dict[str, Any] = {}
    for e in evs:
        if Actor(e.actor_kind) is not Actor.SWEEP:
            continue
        if e.action == Action.REVOKE_PENDING.value or (e.action == Action.REVOKED.value and not asked):
            day = local(e.at).date()
            if planned_expiry(progs, day, rules) is not None:
                return f"skrypt unieważnił {local(e.at):%d.%m.%Y %H:%M}, gdy student miał jeszcze uprawnienia"
            if e.reason != loss_reason(progs, day, rules):
                return f"skrypt unieważnił z powodem „{e.reason}”, a jego powód to „{loss_reason(progs, day, rules)}”"
            if _status_at(evs, e.at) is S.ODEBRANA and o.expiry_date < day:
                return f"skrypt unieważnił mLegitymację wygasłą {o.expiry_date}"
            asked["reason"] = e.reason
    return None
