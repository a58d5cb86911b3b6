"""A realistic synthetic store: deterministic for a seed, bulk-loaded.

The first students tell the manual's stories (figures 6-17) under fixed album numbers,
so a demo and its README can point at them; the rest are drawn at random with every
level, programme status, ineligibility reason and order status represented.

Every history obeys the rules the program itself applies: an order is placed only while
the student is entitled (domain.rules) and no other order is in progress nor a card held
with more than 30 days left (domain.eligibility); its planned expiry is the rule's at the
order date; each step is a legal transition (domain.status), recorded as the services
record it (a cancellation or revocation of an order MC has is asked for, then confirmed
by MC); the sweep revokes only after the right is lost, with the sweep's own reason;
codes live 30 days from their issue; nothing happens after "now". The suite replays a
100k-student store through the same rules (tests/demo).
"""
from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import func, select

from mleg_tui.demo.names import (
    FEMALE,
    MALE,
    MC_ERRORS,
    PROGRAMMES,
    STAFF_LOGINS,
    STRIKE_OFF_REASONS,
    SURNAMES,
)
from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.names import name_key
from mleg_tui.domain.numbers import seconds_taken
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.domain.rules import (
    ENTITLING_LEVELS,
    Level,
    Programme,
    ProgrammeStatus,
    ValidityRules,
    loss_reason,
    planned_expiry,
)
from mleg_tui.domain.status import LIVE, TRANSITIONS
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.errors import UserError
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.mc_answers import confirmed_reason
from mleg_tui.store.bulk import (
    TextFormat,
    bulk_transaction,
    clear,
    demo_mark,
    holds_data,
    insert_rows,
    loading,
    mark_demo,
    reset_sequences,
)
from mleg_tui.store.models import Person
from mleg_tui.store.person_facts import blocked_by

PERSON_COLS = ("id", "external_id", "album", "first_name", "last_name", "name_key", "pesel",
               "birth_date", "has_photo", "updated_at", "blocked_by")
ENROL_COLS = ("id", "person_id", "programme_code", "programme_name", "level", "status",
              "status_date", "planned_end_date")
ORDER_COLS = ("id", "order_ref", "person_id", "status", "ordered_at", "planned_expiry",
              "expiry_date", "mc_id", "qr_code", "activation_code", "codes_valid_until",
              "error_code", "error_message", "version", "created_at", "updated_at",
              "mc_updated_at", "album", "name_key")
EVENT_COLS = ("id", "order_id", "at", "action", "old_status", "new_status", "actor_kind",
              "actor", "reason")
CHUNK = 5000
PARALLEL_FROM = 20000  # below this, other processes cost more than they save
GENERATORS = 2
UTC = dt.UTC
DAY = 86400
CODES_VALID = 30 * DAY  # MC's QR and activation codes, from their issue (DOMAIN.md)
MAX_ORDERS = 4  # a student's orders; ids are kept in blocks of 5 per student


@dataclass
class DemoStats:
    persons: int = 0
    enrolments: int = 0
    orders: int = 0
    events: int = 0
    seconds: float = 0.0
    stories: list[tuple[str, str]] = field(default_factory=list)  # (album, what it shows)

    def summary(self) -> str:
        text = (
            f"Zbudowano bazę demonstracyjną: {self.persons} osób, {self.enrolments} programów, "
            f"{self.orders} zamówień, {self.events} zdarzeń w {seconds_taken(self.seconds)}."
        )
        if self.stories:
            text += "\nStudenci z podręcznika:\n" + "\n".join(
                f"  {album}  {what}" for album, what in self.stories
            )
        return text


# (code, name, level, status, status_date ordinal or 0, planned_end ordinal or 0)
Prog = tuple[str, str, str, str, int, int]


@dataclass
class _P:
    """One generated person with everything the writer needs."""

    first: str
    last: str
    female: bool
    album: str | None
    pesel: str | None
    birth: int  # date ordinal
    photo: bool
    programmes: list[Prog]
    # Nothing in the register that stops an order (album, photo, a valid PESEL): these
    # facts are not dated, so a history is made only for people who have them all.
    clean: bool = True
    _domain: list[Programme] | None = None
    _shape: str | None = None

    def shape(self) -> str:
        """What the rules read of the programmes (not their codes or names), as a text:
        its hash is computed once, however often the rules are asked about it."""
        if self._shape is None:
            self._shape = ";".join(f"{lv} {st} {when} {end}" for _, _, lv, st, when, end in self.programmes)
        return self._shape

    def domain(self) -> list[Programme]:
        if self._domain is None:
            self._domain = [
                Programme(code, Level(level), ProgrammeStatus(status),
                          dt.date.fromordinal(when) if when else None,
                          dt.date.fromordinal(planned) if planned else None, name)
                for code, name, level, status, when, planned in self.programmes
            ]
        return self._domain


_PROGS = {lv: [(c, n) for c, n in items] for lv, items in PROGRAMMES.items()}
_YEARS = {"I": 3, "II": 2, "JM": 5, "DR": 4, "PD": 1}
_REASONS_CANCEL = ["zmiana telefonu", "ponowna instalacja mObywatela", "zmiana danych osobowych",
                   "na prośbę studenta"]
_O, _W, _D, _E, _B, _A, _U = (x.value for x in (S.OCZEKUJE, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA,
                                                S.BLAD, S.ANULOWANE_PRZEZ_UZYTKOWNIKA,
                                                S.UNIEWAZNIONE_PRZEZ_UCZELNIE))
_LIVE = frozenset(s.value for s in LIVE)
_ENTITLING = frozenset(level.value for level in ENTITLING_LEVELS)
# The domain's transitions as pairs of codes: every generated step is checked against them.
_LEGAL = frozenset((a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets)
_PLACED, _SUBMITTED, _MC, _CANCELLED, _REVOKED = (a.value for a in (
    Action.PLACED, Action.SUBMITTED, Action.MC_STATUS, Action.CANCELLED, Action.REVOKED))
_CANCEL_PENDING, _REVOKE_PENDING = Action.CANCEL_PENDING.value, Action.REVOKE_PENDING.value
_STUDENT, _MCA, _SWEEP, _STAFF = (a.value for a in (Actor.STUDENT, Actor.MC, Actor.SWEEP, Actor.STAFF))
# One step of an order: (epoch, action, new status or None for a request, actor kind, actor, reason)
Step = tuple[int, str, str | None, str, str, str | None]


def _pick(r: random.Random, items: list[Any], weights: list[float]) -> Any:
    """Weighted choice from one random number (random.choices is slow in a hot loop)."""
    x, acc = r.random() * sum(weights), 0.0
    for item, w in zip(items, weights):
        acc += w
        if x < acc:
            return item
    return items[-1]


class _Zone:
    """Office time of epoch seconds, fast: the zone's offsets between its transitions
    (a fixed offset would put orders near midnight on the wrong day half the year)."""

    def __init__(self, tz: dt.tzinfo, around: int):
        def offset(t: int) -> int:
            return int(dt.datetime.fromtimestamp(t, tz).utcoffset().total_seconds())  # type: ignore[union-attr]

        self._midnights: dict[int, int] = {}
        t, end = around - 12 * 365 * DAY, around + 2 * 365 * DAY
        self.starts, self.offsets = [t], [offset(t)]
        while t < end:
            nxt = t + 6 * 3600
            if offset(nxt) != self.offsets[-1]:
                lo, hi = t, nxt  # the exact second it changed
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (mid, hi) if offset(mid) == self.offsets[-1] else (lo, mid)
                self.starts.append(hi)
                self.offsets.append(offset(hi))
            t = nxt

    def offset(self, epoch: int) -> int:
        return self.offsets[max(bisect.bisect_right(self.starts, epoch) - 1, 0)]

    def day(self, epoch: int) -> int:
        """The office's date (ordinal) at that instant."""
        return (epoch + self.offset(epoch)) // DAY + 719163  # 719163: ordinal of 1970-01-01

    def at(self, ordinal: int, seconds: int = 0) -> int:
        """The instant of office time `seconds` after midnight of that day."""
        local = (ordinal - 719163) * DAY + seconds
        return local - self.offset(local - self.offset(local))

    def midnight(self, ordinal: int) -> int:
        t = self._midnights.get(ordinal)
        if t is None:
            t = self._midnights[ordinal] = self.at(ordinal)
        return t


@dataclass(frozen=True)
class _Params:
    """Everything the generator needs, plain enough to send to another process."""

    seed: int
    students: int
    dialect: str
    rules: ValidityRules
    today: dt.date
    now: int  # epoch seconds
    tz: dt.tzinfo  # office time
    university: str
    part: int = 0  # which share of the students this generator makes (of `parts`)
    parts: int = 1

    @property
    def first(self) -> int:
        """The first student number of this part (numbers run from 1)."""
        return self.part * (self.students // self.parts) + 1

    @property
    def last(self) -> int:
        return self.students if self.part == self.parts - 1 else (self.part + 1) * (self.students // self.parts)

    @classmethod
    def of(cls, ctx: Context, seed: int, students: int, dialect: str) -> _Params:
        now = ctx.clock.now()
        if ctx.settings.today_override and not isinstance(ctx.settings.today_override, dt.datetime):
            # A fixed day gives the same store every time, as it stood when that day began:
            # whatever the hour, nothing in it has happened later than "now".
            now = dt.datetime.combine(ctx.clock.today(), dt.time(0), ctx.clock.tz)
        return cls(seed, students, dialect, ctx.rules, ctx.clock.today(), int(now.timestamp()),
                   ctx.clock.tz, ctx.settings.university)


class _Gen:
    """Generates rows as ready-to-store text: a million students must take seconds each
    step, so this works on integers (epoch seconds, day ordinals) and plain tuples, and
    asks the domain's rules only what it has not asked before."""

    def __init__(self, params: _Params):
        # Each part draws from its own stream, so parts can be made at once, and the same
        # seed and size always give the same store.
        self.rng = random.Random(params.seed if params.parts == 1 else f"{params.seed}:{params.part}")
        self.fmt = fmt = TextFormat(params.dialect)
        self.rules = params.rules
        self.today = params.today
        self.today_ord = self.today.toordinal()
        self.now = params.now
        self.zone = _Zone(params.tz, params.now)
        self.univ = params.university
        # Ids in blocks per part (a student has at most 5 orders, an order at most 6 events):
        # parts never collide, and rows keep their numbers whoever writes first.
        base = params.first - 1
        self.pid, self.eid, self.oid, self.vid = base, base * 3, base * 5, base * 5 * 6
        self.persons: list[tuple[Any, ...]] = []
        self.enrols: list[tuple[Any, ...]] = []
        self.orders: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.stats = DemoStats()
        self._expiry: dict[tuple[str, int], int] = {}
        self._keys: dict[tuple[str, str], str] = {}
        self.now_text = fmt.instant(self.now)

    def key(self, first: str, last: str) -> str:
        k = self._keys.get((first, last))
        if k is None:
            k = self._keys[(first, last)] = name_key(first, last)
        return k

    # --- the rules, asked once per shape ------------------------------------------
    def expiry(self, p: _P, day: int) -> int:
        """The planned expiry (ordinal) of a card ordered that day; 0: not entitled."""
        key = (p.shape(), day)
        found = self._expiry.get(key)
        if found is None:
            if len(self._expiry) > 400_000:
                self._expiry.clear()
            e = planned_expiry(p.domain(), dt.date.fromordinal(day), self.rules)
            found = self._expiry[key] = e.toordinal() if e else 0
        return found

    def loss_day(self, p: _P) -> int:
        """The first day without the right: 0 when it is kept, -1 when never held. The
        right only ends (a strike-off, a graduation), so the days to ask are those dates."""
        if not any(level in _ENTITLING for _, _, level, *_ in p.programmes):
            return -1
        if not any(when for *_, when, _ in p.programmes):
            return 0  # every programme active: nothing has ended
        days = set()
        for _, _, level, status, when, _ in p.programmes:
            if when:
                days.add(when)
                if status == "GRADUATED" and level == "I":
                    days.add(dt.date(dt.date.fromordinal(when).year, *self.rules.graduate_until).toordinal() + 1)
        for day in sorted(days):
            if not self.expiry(p, day):
                return day
        return 0

    # --- people ------------------------------------------------------------------
    def person(self, n: int) -> _P:
        r = self.rng.random
        female = r() < 0.55
        first = FEMALE[int(r() * len(FEMALE))] if female else MALE[int(r() * len(MALE))]
        last = SURNAMES[int(r() * len(SURNAMES))][0 if female else 1]
        birth = BIRTH_FROM + int(r() * 13 * 365)
        valid = make_pesel(dt.date.fromordinal(birth), int(r() * 1000), female)
        pesel: str | None = valid
        u = r()
        if u < 0.02:
            pesel = None
        elif u < 0.04:  # a typo in the register: last digit wrong
            pesel = valid[:-1] + str((int(valid[-1]) + 1) % 10)
        album = None if r() < 0.01 else str(100000 + n)
        progs = [self.programme()]
        if r() < 0.15:
            progs.append(self.programme(exclude=progs[0][0]))
        photo = r() >= 0.06
        return _P(first, last, female, album, pesel, birth, photo, progs,
                  clean=u >= 0.04 and album is not None and photo)

    def programme(self, exclude: str = "") -> Prog:
        r = self.rng.random
        level = _pick(self.rng, ["I", "II", "JM", "DR", "PD"], [55, 24, 12, 5, 4])
        choices = [p for p in _PROGS[level] if p[0] != exclude] or _PROGS[level]
        code, name = choices[int(r() * len(choices))]
        years = _YEARS[level]
        start = self.today.year - int(r() * (years + 1))
        end = dt.date(start + years, 9, 30) if r() < 0.8 else dt.date(start + years, 2, 28)
        u = r()
        if u < 0.80:
            return (code, name, level, "ACTIVE", 0, end.toordinal())
        when = self.today_ord - 1 - int(r() * 499)
        return (code, name, level, "GRADUATED" if u < 0.91 else "STRUCK_OFF", when, end.toordinal())

    # --- one order's life, as the services record it ------------------------------
    def ending(self, steps: list[Step], t: int, status: str, kind: str, actor: str, why: str,
               done: int = 0) -> int:
        """A cancellation (status A) or revocation (U) at `t`: an order MC has not seen ends
        at once; one MC has is asked for, then confirmed by MC (at `done`, or soon: the next
        refresh or sweep sends it). Returns when it ended."""
        cancel = status == _A
        if steps[-1][2] == _O and len(steps) == 1:
            steps.append((t, _CANCELLED if cancel else _REVOKED, status, kind, actor, why))
            return t
        steps.append((t, _CANCEL_PENDING if cancel else _REVOKE_PENDING, None, kind, actor, why))
        done = done or t + 20 + int(self.rng.random() * 580)
        steps.append((done, _CANCELLED if cancel else _REVOKED, status, kind, actor, confirmed_reason(why)))
        return done

    def life(self, t: int, exp: int, *, recent: bool = False
             ) -> tuple[list[Step], tuple[str, str] | None, int, int | None]:
        """One order from its placing at `t` on: (steps, MC's error, from when the student
        may order again, after how long they do; None: not again in this story)."""
        rng = self.rng
        r = rng.random
        steps: list[Step] = [(t, _PLACED, _O, _STUDENT, "", None)]
        if recent and r() < 0.4:  # placed after the university's last refresh
            return steps, None, 0, None
        t += 60 + int(r() * 840)
        steps.append((t, _SUBMITTED, _W, _MCA, "", None))
        t += 60 + int(r() * 2340)
        if r() < 0.08:
            steps.append((t, _MC, _B, _MCA, "", None))
            return steps, rng.choice(MC_ERRORS), t, (3600 + int(r() * 20 * DAY)) if r() < 0.6 else None
        steps.append((t, _MC, _D, _MCA, "", None))
        u = r()
        if u < 0.02:  # never picked up: the codes expire and the order waits
            return steps, None, 0, None
        if u < 0.12:
            t = self.ending(steps, t + 300 + int(r() * 10 * DAY), _A, _STUDENT, "", rng.choice(_REASONS_CANCEL))
            return steps, None, t, (60 + int(r() * 10 * DAY)) if r() < 0.7 else None
        t += 600 + int(r() * 8 * DAY)
        steps.append((t, _MC, _E, _MCA, "", None))
        end = self.zone.midnight(exp + 1)  # the card's last moment
        if end > t and r() < 0.06:  # "Anuluj mLegitymację": a new phone, a reinstall
            t = self.ending(steps, t + int(r() * (end - t)), _A, _STUDENT, "", rng.choice(_REASONS_CANCEL[:3]))
            return steps, None, t, (600 + int(r() * 3 * DAY)) if r() < 0.9 else None
        # A new one may be ordered from 30 days before the card expires (figures 16-17).
        free = max(t, self.zone.midnight(exp - self.rules.renewal_days))
        return steps, None, free, int(r() * 100 * DAY) if r() < 0.6 else None

    def revoke_at(self, steps: list[Step], c: int, exp: int, kind: str, actor: str, why: str) -> bool:
        """The order as it stands at `c`, revoked then if it is still live (a picked-up
        card only until it expires: the sweep leaves expired ones alone)."""
        keep = [s for s in steps if s[0] < c]
        if keep[-1][2] is None:  # a request whose confirmation would come after: not made
            keep.pop()
        status = next(s[2] for s in reversed(keep) if s[2] is not None)
        if status not in _LIVE or (status == _E and exp < self.zone.day(c)):
            return False
        steps[:] = keep
        self.ending(steps, c, _U, kind, actor, why)
        return True

    def until_now(self, steps: list[Step]) -> bool:
        """Drops what has not happened yet; whether anything was dropped."""
        cut = False
        while steps[-1][0] > self.now:
            steps.pop()
            cut = True
        if steps[-1][2] is None:  # asked for, not yet confirmed: not made yet either
            steps.pop()
            cut = True
        return cut

    def emit(self, p: _P, steps: list[Step], exp: int, error: tuple[str, str] | None = None,
             qr: str | None = None, code: str | None = None) -> str:
        """The order and its events from its steps; every step checked against the rules."""
        rng, fmt = self.rng, self.fmt
        instant, append = fmt.instant, self.events.append
        self.oid += 1
        oid, vid, prev_t, issued = self.oid, self.vid, steps[0][0], 0
        placed = instant(prev_t)
        append((vid + 1, oid, placed, _PLACED, None, _O, _STUDENT, "", None))
        status = _O
        for t, action, new, kind, actor, why in steps[1:]:
            if t < prev_t:
                raise AssertionError(f"demo order {oid}: events out of time order")
            if new:
                if (status, new) not in _LEGAL:
                    raise AssertionError(f"demo order {oid}: {status} -> {new} is not a legal step")
                if new == _D:
                    issued = t
                vid += 1
                append((vid + 1, oid, instant(t), action, status, new, kind, actor, why))
                status = new
            else:
                vid += 1
                append((vid + 1, oid, instant(t), action, None, None, kind, actor, why))
            prev_t = t
        if prev_t > self.now:
            raise AssertionError(f"demo order {oid}: an event after now")
        self.vid = vid + 1
        submitted = len(steps) > 1 and steps[1][2] == _W
        ready = status == _D
        err = error if status == _B else None
        at_text, last_text, exp_text = placed, instant(prev_t), fmt.day(exp)
        self.orders.append((
            oid, f"{self.univ}-{oid:06d}", self.pid, status, at_text, exp_text, exp_text,
            # MC's ids are opaque; these start with the order number so they load in order.
            f"{oid:08x}{rng.getrandbits(96):024x}" if submitted else None,
            (qr or f"{rng.getrandbits(128):032x}") if ready else None,
            (code or f"{int(rng.random() * 1000000):06d}") if ready else None,
            fmt.instant(issued + CODES_VALID) if ready else None,
            err[0] if err else "", err[1] if err else None,
            len(steps), at_text, last_text, last_text if submitted else None,
            p.album or "", self.key(p.first, p.last),
        ))
        return status

    # --- a random student's orders ---------------------------------------------------
    def random_orders(self, p: _P) -> None:
        r = self.rng.random
        if not p.clean or r() < 0.12:
            return
        loss = self.loss_day(p)
        if loss < 0:
            return
        now, zone = self.now, self.zone
        cut = None  # (when, by whom, actor, reason): the right is lost, the order revoked
        if loss:
            struck = any(s == "STRUCK_OFF" and w == loss for _, _, _, s, w, _ in p.programmes)
            if struck and r() < 0.3:  # the dean's office, the day it struck the student off
                cut = (zone.at(loss + int(r() * 2), 9 * 3600 + int(r() * 6 * 3600)), _STAFF,
                       self.rng.choice(STAFF_LOGINS), self.rng.choice(STRIKE_OFF_REASONS))
            else:  # the next run of the nightly sweep, or one some weeks later
                day = loss + _pick(self.rng, [0, 1, 2 + int(r() * 28)], [60, 25, 15])
                cut = (zone.at(day, 2 * 3600 + int(r() * 600)), _SWEEP, "",
                       loss_reason(p.domain(), dt.date.fromordinal(day), self.rules))
        t, free = now - int((30 + r() * 540) * DAY), 0
        for _ in range(MAX_ORDERS):
            day = zone.day(t)
            exp = self.expiry(p, day) if not loss or day < loss else 0
            if not exp:
                return
            steps, error, free, delay = self.life(t, exp)
            revoked = cut is not None and self.revoke_at(steps, cut[0], exp, cut[1], cut[2], cut[3])
            cut_short = self.until_now(steps)
            self.emit(p, steps, exp, error)
            if revoked or cut_short or delay is None:
                return
            t = free + delay
            if t >= now:
                break
        if free and free < now - 600 and r() < 0.6 and (not loss or zone.day(now) < loss):
            # Ordered in the last minutes: some not yet sent to MC, some being processed.
            t = max(free, now - 120 - int(r() * 1380))
            exp = self.expiry(p, zone.day(t))
            if exp:
                steps, error, _, _ = self.life(t, exp, recent=True)
                self.until_now(steps)
                self.emit(p, steps, exp, error)

    # --- writing -----------------------------------------------------------------
    def add(self, p: _P, n: int) -> None:
        self.pid += 1
        day = self.fmt.day
        self.persons.append((self.pid, f"P{n:07d}", p.album, p.first, p.last, self.key(p.first, p.last),
                             p.pesel, day(p.birth), int(p.photo), self.now_text,
                             blocked_by(p.pesel, dt.date.fromordinal(p.birth), p.photo, p.album)))
        for code, name, level, status, when, planned in p.programmes:
            self.eid += 1
            self.enrols.append((self.eid, self.pid, code, name, level, status,
                                day(when) if when else None, day(planned) if planned else None))

    def take(self, n: int) -> Chunk:
        """The rows made so far, handed over and forgotten (memory stays flat)."""
        chunk = (self.persons, self.enrols, self.orders, self.events, n)
        self.persons, self.enrols, self.orders, self.events = [], [], [], []
        return chunk


BIRTH_FROM = dt.date(1994, 1, 1).toordinal()
# The evening of figures 7-11, 3.09.2025 at 23:30 in Warsaw: the stories below are told
# so that on it every student shows what the manual's figure shows, to the minute.
MANUAL_EVENING = dt.date(2025, 9, 3)
QR_OF_FIGURE_10 = "87aa907615be4d5e81767a4575b92725"


def _hms(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def _stories(g: _Gen) -> list[tuple[_P, str, Callable[[_P], None]]]:
    """The manual's figures as students. Each: person, what it shows, its orders.

    The evening's stories (figures 7-14) happen on the figures' clock times of the story
    day: today when "now" is past 22:25 (the last of them), else yesterday. The others are
    placed where the rules give them their meaning on any day (a card within 30 days of
    its expiry, a card still valid when its student is struck off), on the figures' dates
    when those fit."""
    zone, rules, today, now = g.zone, g.rules, g.today_ord, g.now
    day = today if now >= zone.at(today, _hms("22:25:00")) else today - 1
    two_years = dt.date(g.today.year + 2, 9, 30).toordinal()

    def at(offset: int, clock: str) -> int:
        """Office time on the story day (offset in days)."""
        return zone.at(day + offset, _hms(clock))

    def prog(level: str = "I", status: str = "ACTIVE", when: int = 0, planned: int = 0) -> Prog:
        code, name = PROGRAMMES[level][0]
        return (code, name, level, status, when, planned or two_years)

    def person(first: str, last: str, female: bool, album: str | None, born: dt.date,
               programmes: list[Prog], photo: bool = True, pesel: bool = True) -> _P:
        return _P(first, last, female, album, make_pesel(born, 123, female) if pesel else None,
                  born.toordinal(), photo, programmes)

    def card(p: _P, placed: int, *, submitted: int = 600, ready: int = 900, picked: int = 4 * 3600
             ) -> tuple[list[Step], int]:
        """A card ordered at `placed` and picked up; its planned expiry by the rule."""
        steps: list[Step] = [(placed, _PLACED, _O, _STUDENT, "", None),
                             (placed + submitted, _SUBMITTED, _W, _MCA, "", None),
                             (placed + ready, _MC, _D, _MCA, "", None)]
        if picked:
            steps.append((placed + picked, _MC, _E, _MCA, "", None))
        return steps, g.expiry(p, zone.day(placed))

    def fitting(candidates: list[int], ok: Callable[[int], bool]) -> int:
        """The first candidate instant the rules give the story's meaning; else the last."""
        return next((c for c in candidates if c < now and ok(c)), candidates[-1])

    def bachta(p: _P) -> None:
        # Figures 7-11: ordered 22:18:34, ready, cancelled; ordered again 22:20:32, ready.
        first, exp = card(p, at(0, "22:18:34"), submitted=16, ready=53, picked=0)
        g.ending(first, at(0, "22:19:58"), _A, _STUDENT, "", "na prośbę studenta", done=at(0, "22:20:09"))
        g.emit(p, first, exp)
        second, exp = card(p, at(0, "22:20:32"), submitted=15, ready=93, picked=0)
        g.emit(p, second, exp, qr=QR_OF_FIGURE_10, code="482913")

    def waiting(p: _P) -> None:  # figure 7: not yet passed to MC
        placed = at(0, "22:18:05")
        g.emit(p, [(placed, _PLACED, _O, _STUDENT, "", None)], g.expiry(p, zone.day(placed)))

    def struck_off(p: _P) -> None:
        # Figures 12-13: picked up the evening before the strike-off; the dean's office
        # strikes the student off (SKR-102) and revokes the card, MC confirms it.
        steps, exp = card(p, at(-2, "20:07:00"))
        g.ending(steps, at(-1, "11:05:00"), _U, _STAFF, STAFF_LOGINS[0], STRIKE_OFF_REASONS[0])
        g.emit(p, steps, exp)

    def no_pesel(p: _P) -> None:
        # Figure 14: ordered 29.08 21:31; the register withdrew the PESEL, the office revoked.
        steps, exp = card(p, at(-5, "21:31:00"), picked=14 * 3600)
        g.ending(steps, at(-2, "10:12:00"), _U, _STAFF, STAFF_LOGINS[1],
                 "numer PESEL unieważniony w rejestrze PESEL")
        g.emit(p, steps, exp)

    def failed(p: _P) -> None:  # figure 15: 26.06.2024, 14:58, planned expiry 23.08.2024
        placed = zone.at(p.programmes[0][4] - 14, _hms("14:58:00"))
        steps, exp = card(p, placed, submitted=420, ready=2000, picked=0)
        steps[-1] = (steps[-1][0], _MC, _B, _MCA, "", None)
        g.emit(p, steps, exp, MC_ERRORS[1])

    def renewal(p: _P) -> None:
        # Figures 16-17: a picked-up card within 30 days of its expiry, capped by the
        # programme's planned end; ordered in that validity period (the 7th, 14:12).
        end = p.programmes[0][5]
        starts = [d for d in range(end - 400, end + 1) if rules.period_end(dt.date.fromordinal(d))
                  == rules.period_end(dt.date.fromordinal(end)) and d <= end]
        candidates = [zone.at(starts[0] + 6, _hms("14:12:00")), zone.at(today - 1, _hms("14:12:00"))]
        placed = fitting(candidates, lambda c: g.expiry(p, zone.day(c)) == end)
        steps, exp = card(p, placed, submitted=400, ready=530, picked=16000)
        g.emit(p, steps, exp)

    def still_valid(p: _P) -> None:
        # Struck off today; the card ordered weeks before is still valid: the sweep's work.
        candidates = [zone.at(today - d, _hms("10:41:00")) for d in (60, 45, 30, 20, 10, 3)]
        placed = fitting(candidates, lambda c: g.expiry(p, zone.day(c)) > today)
        steps, exp = card(p, placed, picked=26 * 3600)
        g.emit(p, steps, exp)

    def codes_expired(p: _P) -> None:
        # Ready 40 days ago, never picked up: the codes lived 30 days.
        candidates = [zone.at(today - d, _hms("09:15:00")) for d in (40, 36, 32)]
        placed = fitting(candidates, lambda c: g.expiry(p, zone.day(c)) >= today)
        steps, exp = card(p, placed, picked=0)
        g.emit(p, steps, exp)

    # Figure 15's student: the programme ended (23.08.2024 planned; graduated 10.07.2024)
    # after the order; a later year when that evening has not come yet.
    year = 2024 if dt.date(2024, 7, 10).toordinal() < today < dt.date(2027, 1, 1).toordinal() else (
        g.today.year if dt.date(g.today.year, 7, 10).toordinal() < today else g.today.year - 1)
    graduated, planned_end = dt.date(year, 7, 10).toordinal(), dt.date(year, 8, 23).toordinal()
    return [
        (person("Karolina", "Bachta", True, "1234336607", dt.date(2003, 5, 17), [prog()]),
         "rys. 7-11: zamówienie anulowane, potem nowe do odbioru z kodem QR", bachta),
        (person("Zofia", "Wójcik", True, "100001", dt.date(2004, 2, 9), [prog("II")], photo=False),
         "rys. 6: nie może zamówić - brak zdjęcia", lambda p: None),
        (person("Tomasz", "Zieliński", False, "100002", dt.date(2002, 11, 3), [prog("JM")]),
         "rys. 7: zamówienie oczekuje na przekazanie do MC", waiting),
        (person("Łukasz", "Żółkiewski", False, "100003", dt.date(2001, 7, 21),
                [prog("I", "STRUCK_OFF", day - 1)]),
         "rys. 12-13: skreślony (SKR-102), mLegitymacja unieważniona przez uczelnię", struck_off),
        (person("Michał", "Nowak", False, "100004", dt.date(2000, 1, 30), [prog("II")], pesel=False),
         "rys. 14: unieważniona, nowe zamówienie niemożliwe - brak numeru PESEL", no_pesel),
        (person("Paweł", "Kaczmarek", False, "100005", dt.date(1999, 4, 12),
                [prog("II", "GRADUATED", graduated, planned_end)]),
         "rys. 15: zamówienie zakończone błędem, brak uprawnień do nowego", failed),
        (person("Anna", "Dąbrowska", True, "100006", dt.date(2003, 8, 8), [prog("I", planned=today + 27)]),
         "rys. 16-17: odebrana, traci ważność w ciągu 30 dni - może zamówić nową", renewal),
        (person("Ewa", "Lewandowska", True, "100007", dt.date(2002, 3, 1),
                [prog("I", "STRUCK_OFF", today)]),
         "skreślona, a mLegitymacja wciąż ważna: do unieważnienia przez skrypt", still_valid),
        (person("Grzegorz", "Szymański", False, None, dt.date(1990, 6, 6), [prog("DR")],
                photo=False, pesel=False),
         "wszystkie powody naraz: doktorant, bez PESEL, zdjęcia i numeru albumu", lambda p: None),
        (person("Marta", "Kowalska", True, "100009", dt.date(2004, 12, 24), [prog("I")]),
         "do odbioru, ale kody aktywacyjne wygasły", codes_expired),
    ]


def build_demo(
    ctx: Context, *, students: int, seed: int = 1, replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoStats:
    """Build a demo store: only in a store that holds no data yet or is a demo already
    (`replace` empties that one first). A store of real data is never touched."""
    ctx.require(Permission.DEMO_DATA)
    started = time.perf_counter()
    with bulk_transaction(ctx.engine) as conn:
        params = _Params.of(ctx, seed, students, conn.dialect.name)
        if holds_data(conn):
            if demo_mark(conn) is None:
                raise UserError(
                    f"Baza {ctx.settings.db} zawiera dane, które nie są demonstracyjne: demo-data "
                    "zapisuje tylko nową, pustą bazę albo bazę zbudowaną przez demo-data lub demo. "
                    "Nic nie zmieniono; wskaż inny plik (--db)."
                )
            if not replace:
                existing = conn.execute(select(func.count()).select_from(Person)).scalar_one()
                raise UserError(
                    f"Baza demonstracyjna zawiera już dane ({existing} osób). Użyj --replace, aby "
                    "zbudować ją od nowa, albo wskaż inny plik (--db)."
                )
            clear(conn)
        mark_demo(conn, ctx.settings.today or "")
        with loading(conn, ["person", "enrolment", "orders", "order_event"]):
            stats = _generate(params, conn, progress)
        reset_sequences(conn, ["person", "enrolment", "orders", "order_event"])
    if progress:
        progress("")
    stats.seconds = time.perf_counter() - started
    return stats


Chunk = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], int]


def _chunks(params: _Params) -> Iterator[Chunk | DemoStats]:
    """Rows a chunk of students at a time; the last item is the stats (with the stories)."""
    g = _Gen(params)
    n, last = params.first - 1, params.last
    if params.part == 0 and params.students >= 20:
        for p, what, make in _stories(g):
            n += 1
            g.add(p, n)
            make(p)
            g.stats.stories.append((p.album or f"(bez albumu, P{n:07d})", what))
    while n < last:
        n += 1
        p = g.person(n)
        g.add(p, n)
        g.random_orders(p)
        if n % CHUNK == 0:
            yield g.take(n)
    if g.persons:
        yield g.take(n)
    yield g.stats


def _produce(params: _Params, out: Any) -> None:
    """In a second process: generate and send chunks while the first one writes."""
    try:
        for item in _chunks(params):
            out.send(item)
    finally:
        out.close()


def _generate(params: _Params, conn: Any, progress: Callable[[str], None] | None) -> DemoStats:
    stats = DemoStats()

    def write(item: Chunk) -> None:
        persons, enrols, orders, events, n = item
        stats.persons += insert_rows(conn, "person", PERSON_COLS, persons, formatted=True)
        stats.enrolments += insert_rows(conn, "enrolment", ENROL_COLS, enrols, formatted=True)
        stats.orders += insert_rows(conn, "orders", ORDER_COLS, orders, formatted=True)
        stats.events += insert_rows(conn, "order_event", EVENT_COLS, events, formatted=True)
        if progress:
            progress(f"{n}/{params.students} studentów")

    if params.students < PARALLEL_FROM:
        items: Iterator[Chunk | DemoStats] = _chunks(params)
    else:
        items = _from_processes(params)
    done = 0
    for item in items:
        if isinstance(item, DemoStats):
            stats.stories += item.stories
        else:
            done += len(item[0])
            write((*item[:4], done))
    return stats


def _from_processes(params: _Params) -> Iterator[Chunk | DemoStats]:
    """Two processes generate (Python) while this one writes (mostly SQLite's C)."""
    import dataclasses
    import multiprocessing as mp
    from multiprocessing.connection import wait

    mpc = mp.get_context("spawn")  # no fork: the caller may run threads (the demo's MC)
    workers, pipes = [], []
    for part in range(GENERATORS):
        recv, send = mpc.Pipe(duplex=False)
        worker = mpc.Process(target=_produce, args=(dataclasses.replace(params, part=part, parts=GENERATORS), send),
                             daemon=True)
        worker.start()
        send.close()
        workers.append(worker)
        pipes.append(recv)
    try:
        open_pipes = list(pipes)
        while open_pipes:
            for ready in wait(open_pipes):
                pipe = cast(Any, ready)  # one of the pipes: wait() gives back what it was given
                try:
                    yield pipe.recv()
                except EOFError:
                    open_pipes.remove(pipe)
    finally:
        for recv in pipes:
            recv.close()
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()
    if any(w.exitcode not in (0, None) for w in workers):
        raise UserError("Generator danych zakończył się błędem; nic nie zapisano.")
