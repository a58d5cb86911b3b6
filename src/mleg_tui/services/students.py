"""The help desk: finding a student by whatever the caller has at hand, and the view of one
student (data, verdict with every reason, what to do, every order's story)."""
from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from mleg_tui.clock import Clock
from mleg_tui.domain.advice import Case, CurrentOrder, Step, advise
from mleg_tui.domain.eligibility import OrderFacts, PersonFacts, Verdict, assess
from mleg_tui.domain.events import Action, Actor, PendingAction
from mleg_tui.domain.names import fold
from mleg_tui.domain.pesel import mask as mask_pesel
from mleg_tui.domain.rules import Programme, ProgrammeStatus, entitled_until, standing
from mleg_tui.domain.status import OrderStatus, lapse_of
from mleg_tui.services.context import Context
from mleg_tui.services.types import (
    EventView,
    OrderView,
    ProgrammeView,
    StudentMatch,
    StudentView,
    current_of,
)
from mleg_tui.store import identify, reading, search
from mleg_tui.store.models import Enrolment, Order, OrderEvent, Person
from mleg_tui.store.queries import find_person, programmes_of


def facts_of(person: Person) -> PersonFacts:
    return PersonFacts(person.pesel, person.album, person.has_photo, person.birth_date)


def order_facts(orders: list[Order], clock: Clock) -> list[OrderFacts]:
    return [
        OrderFacts(OrderStatus(o.status), clock.local(o.ordered_at), o.expiry_date, o.codes_valid_until)
        for o in orders
    ]


def verdict_for(ctx: Context, session: Session, person: Person) -> tuple[Verdict, list[Order], list[Programme]]:
    orders = list(
        session.exec(
            select(Order).where(Order.person_id == person.id)
            .order_by(col(Order.ordered_at).desc(), col(Order.id).desc())
        ).all()
    )
    programmes = programmes_of(session, person.id or 0)
    verdict = assess(facts_of(person), programmes, order_facts(orders, ctx.clock), ctx.clock.today(), ctx.rules)
    return verdict, orders, programmes


def student_view(ctx: Context, album: str | None = None, person_id: int | None = None) -> StudentView:
    with reading(ctx.engine) as s:
        person = find_person(s, album, person_id)
        verdict, orders, programmes = verdict_for(ctx, s, person)
        ids = [o.id for o in orders]
        events: dict[int, list[OrderEvent]] = {i: [] for i in ids if i is not None}
        if ids:
            for e in s.exec(
                select(OrderEvent).where(col(OrderEvent.order_id).in_(ids)).order_by(col(OrderEvent.id))
            ).all():
                events[e.order_id].append(e)
    today = ctx.clock.today()
    now = ctx.clock.now()
    views = tuple(_order_view(ctx, o, events.get(o.id or 0, []), today, now) for o in orders)
    return StudentView(
        person_id=person.id or 0,
        external_id=person.external_id,
        album=person.album,
        first_name=person.first_name,
        last_name=person.last_name,
        pesel_masked=mask_pesel(person.pesel),
        birth_date=person.birth_date,
        has_photo=person.has_photo,
        programmes=tuple(
            ProgrammeView(p.code, p.name, p.level, p.status, p.status_date, p.planned_end,
                          entitled_until(p, today, ctx.rules))
            for p in programmes
        ),
        verdict=verdict,
        orders=views,
        advice=advice_for(ctx, verdict, views, programmes),
    )


def advice_for(ctx: Context, verdict: Verdict, orders: tuple[OrderView, ...],
               programmes: list[Programme]) -> tuple[Step, ...]:
    current = current_of(orders)
    facts = None if current is None else CurrentOrder(
        current.status, current.lapse, current.expiry_date, current.codes_valid_until,
        current.error_code, current.pending_action)
    case = Case(verdict, facts, standing(programmes, ctx.clock.today(), ctx.rules), ctx.rules.renewal_days)
    return advise(case)


def _order_view(ctx: Context, o: Order, events: list[OrderEvent], today: dt.date, now: dt.datetime) -> OrderView:
    local = ctx.clock.local
    status = OrderStatus(o.status)
    return OrderView(
        id=o.id or 0,
        order_ref=o.order_ref,
        status=status,
        ordered_at=local(o.ordered_at),
        planned_expiry=o.planned_expiry,
        expiry_date=o.expiry_date,
        mc_id=o.mc_id,
        error_code=o.error_code or None,
        error_message=o.error_message,
        qr_code=o.qr_code if o.status == OrderStatus.DO_ODBIORU else None,
        codes_valid_until=local(o.codes_valid_until) if o.codes_valid_until else None,
        lapse=lapse_of(status, o.expiry_date, o.codes_valid_until, today, now),
        has_activation_code=bool(o.activation_code),
        pending_action=PendingAction(o.pending_action) if o.pending_action else None,
        pending_reason=o.pending_reason,
        pending_since=local(o.pending_since) if o.pending_since else None,
        version=o.version,
        events=tuple(
            EventView(
                at=local(e.at),
                action=Action(e.action),
                old_status=OrderStatus(e.old_status) if e.old_status else None,
                new_status=OrderStatus(e.new_status) if e.new_status else None,
                actor_kind=Actor(e.actor_kind),
                actor=e.actor,
                reason=e.reason,
                recorded_at=local(e.recorded_at) if e.recorded_at else None,
            )
            for e in events
        ),
    )


# -- finding a student -----------------------------------------------------------------------

def find_students(ctx: Context, text: str, *, limit: int = 20) -> list[StudentMatch]:
    """Everyone `text` points at, at most `limit`: the person it names exactly (album number,
    PESEL, order reference, QR text), else by name: words in any order, any case, with or
    without diacritics, each the start of a word of the name (`bachta`, `karolina bach`),
    or failing that anywhere in it. Every person in the store can be found, with or
    without orders or an album number. Each step is an index lookup, never a scan."""
    with reading(ctx.engine) as s:
        return matches_of(s, _person_ids(ctx, s, text, limit))


def lookup(ctx: Context, text: str, *, limit: int = 20) -> int | list[StudentMatch]:
    """As find_students, but one person found is given as their id alone (the help desk
    opens that student at once: no list to build)."""
    with reading(ctx.engine) as s:
        ids = _person_ids(ctx, s, text, limit)
        return ids[0] if len(ids) == 1 else matches_of(s, ids)


def _person_ids(ctx: Context, s: Session, text: str, limit: int) -> list[int]:
    wanted = " ".join(text.split())
    if not wanted:
        return []
    ids = list(s.execute(identify.persons_named_by(wanted)).scalars())
    if not ids and any(c.isalpha() for c in wanted):
        ids = _by_name(ctx, s, fold(wanted).split(), limit)
    return ids[:limit]


def _by_name(ctx: Context, s: Session, words: list[str], limit: int) -> list[int]:
    """Ids by name, names sorted: first those where each word starts a word of the name,
    then (if that leaves room) those that contain every word anywhere."""
    if not words:
        return []
    found: dict[int, str] = {}
    for lead in dict.fromkeys(words[:3]):  # each word in turn as the start of the surname
        others = list(words)
        others.remove(lead)
        stmt = (select(col(Person.id), col(Person.name_key))
                .where(*search.surname_starting(lead, others))
                .order_by(col(Person.name_key), col(Person.id)).limit(limit))
        found.update((i, key) for i, key in s.execute(stmt))
    ids = sorted(found, key=lambda i: (found[i], i))[:limit]
    if len(ids) < limit and any(len(w) >= search.MIN_WORD for w in words):
        # Anywhere in the name, through the trigram index; a few, not all of them sorted.
        inner = search.person_ids(ctx.engine.dialect.name, words).limit(limit + len(ids))
        more = {i: key for i, key in s.execute(select(col(Person.id), col(Person.name_key))
                                               .where(col(Person.id).in_(inner))) if i not in found}
        ids += sorted(more, key=lambda i: (more[i], i))
    return ids[:limit]


def matches_of(s: Session, ids: list[int]) -> list[StudentMatch]:
    """The persons of `ids`, in that order, each with the programme that matters most."""
    if not ids:
        return []
    persons = {p.id: p for p in s.exec(select(Person).where(col(Person.id).in_(ids))).all()}
    programmes: dict[int, Enrolment] = {}
    for e in s.exec(select(Enrolment).where(col(Enrolment.person_id).in_(ids))
                    .order_by(col(Enrolment.id))).all():
        best = programmes.get(e.person_id)
        # An active programme over an ended one; among equals the last imported.
        if best is None or (e.status == ProgrammeStatus.ACTIVE) >= (best.status == ProgrammeStatus.ACTIVE):
            programmes[e.person_id] = e
    newest: dict[int, str] = {}
    for person_id, ref in s.execute(select(col(Order.person_id), col(Order.order_ref))
                                    .where(col(Order.person_id).in_(ids))
                                    .order_by(col(Order.ordered_at), col(Order.id))):
        newest[person_id] = ref  # the last one read is the newest
    out = []
    for i in ids:
        p = persons.get(i)
        if p is None:
            continue
        main = programmes.get(i)
        out.append(StudentMatch(person_id=i, first_name=p.first_name, last_name=p.last_name,
                                album=p.album, pesel_masked=mask_pesel(p.pesel),
                                programme=_programme_line(main) if main else "", order_ref=newest.get(i)))
    return out


def _programme_line(e: Enrolment) -> str:
    line = e.programme_name or e.programme_code
    status = ProgrammeStatus(e.status)
    return line if status is ProgrammeStatus.ACTIVE else f"{line} ({status.label})"
