"""A realistic synthetic store: deterministic for a seed, bulk-loaded.

The first students tell the manual's stories (figures 6-17) under fixed album numbers,
so a demo and its README can point at them; the rest are drawn at random with every
level, programme status, ineligibility reason and order status represented.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from mleg_tui.demo.names import FEMALE, MALE, MC_ERRORS, PROGRAMMES, STRIKE_OFF_REASONS, SURNAMES
from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.names import name_key
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.domain.rules import ValidityRules
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.errors import UserError
from mleg_tui.services.context import Context, Permission
from mleg_tui.store.bulk import TextFormat, bulk_transaction, clear, insert_rows, loading, reset_sequences
from mleg_tui.store.models import Person

PERSON_COLS = ("id", "external_id", "album", "first_name", "last_name", "name_key", "pesel",
               "birth_date", "has_photo", "updated_at")
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
            f"{self.orders} zamówień, {self.events} zdarzeń w {self.seconds:.1f} s."
        )
        if self.stories:
            text += "\nStudenci z podręcznika:\n" + "\n".join(
                f"  {album}  {what}" for album, what in self.stories
            )
        return text


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
    # (code, name, level, status, status_date ordinal or 0, planned_end ordinal or 0)
    programmes: list[tuple[str, str, str, str, int, int]]


DAY = 86400
_PROGS = {lv: [(c, n) for c, n in items] for lv, items in PROGRAMMES.items()}
_YEARS = {"I": 3, "II": 2, "JM": 5, "DR": 4, "PD": 1}
_ENTITLING = {"I", "II", "JM"}
_REASONS_CANCEL = ["zmiana telefonu", "ponowna instalacja mObywatela", "zmiana danych osobowych", None]
_W, _O, _D, _E, _B, _A, _U = (x.value for x in (S.W_TRAKCIE, S.OCZEKUJE, S.DO_ODBIORU, S.ODEBRANA,
                                                S.BLAD, S.ANULOWANE_PRZEZ_UZYTKOWNIKA,
                                                S.UNIEWAZNIONE_PRZEZ_UCZELNIE))
_PLACED, _SUBMITTED, _MC, _CANCELLED, _REVOKED = (a.value for a in (
    Action.PLACED, Action.SUBMITTED, Action.MC_STATUS, Action.CANCELLED, Action.REVOKED))
_STUDENT, _MCA, _SWEEP = Actor.STUDENT.value, Actor.MC.value, Actor.SWEEP.value
# Gaps between steps, in seconds: (low, high).
_GAPS = {_W: (60, 900), _D: (60, 2400), _E: (3600, 720000), _B: (60, 2400),
         _A: (DAY, 40 * DAY), _U: (DAY, 60 * DAY)}


def _pick(r: random.Random, items: list[Any], weights: list[float]) -> Any:
    """Weighted choice from one random number (random.choices is slow in a hot loop)."""
    x, acc = r.random() * sum(weights), 0.0
    for item, w in zip(items, weights):
        acc += w
        if x < acc:
            return item
    return items[-1]


@dataclass(frozen=True)
class _Params:
    """Everything the generator needs, plain enough to send to another process."""

    seed: int
    students: int
    dialect: str
    rules: ValidityRules
    today: dt.date
    now: int  # epoch seconds
    tz_shift: int  # office time minus UTC, seconds
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
            # A fixed day gives the same store every time: noon of that day, not the wall clock.
            now = dt.datetime.combine(ctx.clock.today(), dt.time(12), ctx.clock.tz)
        shift = now.astimezone(ctx.clock.tz).utcoffset() or dt.timedelta()
        return cls(seed, students, dialect, ctx.rules, ctx.clock.today(), int(now.timestamp()),
                   int(shift.total_seconds()), ctx.settings.university)


class _Gen:
    """Generates rows as ready-to-store text: a million students must take seconds each
    step, so this works on integers (epoch seconds, day ordinals) and plain tuples."""

    def __init__(self, params: _Params):
        # Each part draws from its own stream, so parts can be made at once, and the same
        # seed and size always give the same store.
        self.rng = random.Random(params.seed if params.parts == 1 else f"{params.seed}:{params.part}")
        self.fmt = fmt = TextFormat(params.dialect)
        self.rules = params.rules
        self.today = params.today
        self.today_ord = self.today.toordinal()
        self.now = params.now
        self.tz_shift = params.tz_shift
        self.univ = params.university
        # Ids in blocks per part (a student has at most 4 orders, an order at most 5 events):
        # parts never collide, and rows keep their numbers whoever writes first.
        base = params.first - 1
        self.pid, self.eid, self.oid, self.vid = base, base * 3, base * 5, base * 5 * 6
        self.persons: list[tuple[Any, ...]] = []
        self.enrols: list[tuple[Any, ...]] = []
        self.orders: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.stats = DemoStats()
        self._ends: dict[int, int] = {}
        self._keys: dict[tuple[str, str], str] = {}
        self.now_text = fmt.instant(self.now)

    def local_day(self, epoch: int) -> int:
        return (epoch + self.tz_shift) // DAY + 719163  # 719163: ordinal of 1970-01-01

    def period_end(self, ordinal: int) -> int:
        end = self._ends.get(ordinal)
        if end is None:
            end = self._ends[ordinal] = self.rules.period_end(dt.date.fromordinal(ordinal)).toordinal()
        return end

    def key(self, first: str, last: str) -> str:
        k = self._keys.get((first, last))
        if k is None:
            k = self._keys[(first, last)] = name_key(first, last)
        return k

    # --- people ------------------------------------------------------------------
    def person(self, n: int) -> _P:
        r = self.rng.random
        female = r() < 0.55
        first = FEMALE[int(r() * len(FEMALE))] if female else MALE[int(r() * len(MALE))]
        last = SURNAMES[int(r() * len(SURNAMES))][0 if female else 1]
        birth = BIRTH_FROM + int(r() * 13 * 365)
        pesel: str | None = make_pesel(dt.date.fromordinal(birth), int(r() * 1000), female)
        u = r()
        if u < 0.02:
            pesel = None
        elif u < 0.03:  # a typo in the register: last digit wrong
            pesel = pesel[:-1] + str((int(pesel[-1]) + 1) % 10)  # type: ignore[index]
        album = None if r() < 0.01 else str(100000 + n)
        progs = [self.programme()]
        if r() < 0.15:
            progs.append(self.programme(exclude=progs[0][0]))
        return _P(first, last, female, album, pesel, birth, r() >= 0.06, progs)

    def programme(self, exclude: str = "") -> tuple[str, str, str, str, int, int]:
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

    def entitled_until(self, p: _P, day: int) -> int:
        """The expiry a card ordered on `day` gets (0: none). The domain rules, for the
        shapes this generator makes (no status dated in the future)."""
        best = 0
        for _, _, level, status, when, planned in p.programmes:
            if level not in _ENTITLING:
                continue
            if status == "ACTIVE" or when > day:
                end = self.period_end(day)
                best = max(best, planned if day <= planned < end else end)
            elif status == "GRADUATED" and level == "I":
                grad = dt.date.fromordinal(when)
                until = dt.date(grad.year, *self.rules.graduate_until).toordinal()
                if day <= until:
                    best = max(best, until)
        return best

    # --- orders ------------------------------------------------------------------
    def random_orders(self, p: _P) -> None:
        r = self.rng.random
        if r() < 0.12:
            return
        now = self.now
        ok_person = self.entitled_until(p, self.today_ord) and p.photo and p.pesel and p.album
        t = now - int((60 + r() * 640) * DAY)
        for _ in range(_pick(self.rng, [0, 1, 2], [60, 30, 10])):
            self.order(p, t, _pick(self.rng, [_E, _A, _B], [60, 25, 15]), expired=True)
            t += int((20 + r() * 180) * DAY)
            if t > now - 2 * DAY:
                break
        t = now - int(r() * 170 * DAY)
        if ok_person:
            last = _pick(self.rng, [_O, _W, _D, _E, _B, _A], [5, 5, 12, 62, 7, 9])
        else:
            # Lost the right since: mostly revoked already, some still live for the sweep.
            last = _pick(self.rng, [_U, _E, _B], [70, 20, 10])
        if last in (_O, _W):
            t = now - int(300 + r() * 36000)
        self.order(p, t, last)

    def order(self, p: _P, at: int, status: str, *, expired: bool = False, expiry: int = 0,
              error: tuple[str, str] | None = None, reason: str | None = None,
              codes_expired: bool = False, until: int = 0, picked: bool = True) -> None:
        rng, fmt = self.rng, self.fmt
        r = rng.random
        day = self.local_day(at)
        exp = expiry or self.entitled_until(p, day) or self.period_end(day)
        if expired and exp >= self.today_ord:
            exp = self.today_ord - 1 - int(r() * 59)
        if status == _O:
            path: list[str] = []
        elif status == _A:
            path = [_W, _D, _E, _A] if picked and r() < 0.5 else [_W, _D, _A]
        else:
            path = {_W: [_W], _D: [_W, _D], _E: [_W, _D, _E], _B: [_W, _B], _U: [_W, _D, _E, _U]}[status]
        gaps = [lo + int(r() * (hi - lo)) for lo, hi in (_GAPS[x] for x in path)]
        deadline = (until or self.now) - 10
        total = sum(gaps)
        if total and at + total > deadline:  # told faster, never in the future
            gaps = [g * max(deadline - at, 0) // total for g in gaps]
        self.oid += 1
        oid, t, prev = self.oid, at, None
        events = self.events
        self.vid += 1
        events.append((self.vid, oid, fmt.instant(t), _PLACED, None, _O, _STUDENT, "", None))
        prev, issued = _O, 0
        for nxt, gap in zip(path, gaps):
            t += gap
            if nxt == _W:
                action, actor, why = _SUBMITTED, _MCA, None
            elif nxt == _A:
                action, actor, why = _CANCELLED, _STUDENT, reason or rng.choice(_REASONS_CANCEL)
            elif nxt == _U:
                action, actor, why = _REVOKED, _SWEEP, reason or rng.choice(STRIKE_OFF_REASONS)
            else:
                action, actor, why = _MC, _MCA, None
                if nxt == _D:
                    issued = t
            self.vid += 1
            events.append((self.vid, oid, fmt.instant(t), action, prev, nxt, actor, "", why))
            prev = nxt
        submitted = status != _O
        err = error or (rng.choice(MC_ERRORS) if status == _B else None)
        ready = status == _D
        valid_until = None
        if ready:
            valid_until = fmt.instant(min(issued + 30 * DAY, self.now - DAY) if codes_expired else issued + 30 * DAY)
        at_text, last_text, exp_text = fmt.instant(at), fmt.instant(t), fmt.day(exp)
        self.orders.append((
            oid, f"{self.univ}-{oid:06d}", self.pid, status, at_text, exp_text, exp_text,
            # MC's ids are opaque; these start with the order number so they load in order.
            f"{oid:08x}{rng.getrandbits(96):024x}" if submitted else None,
            f"{rng.getrandbits(128):032x}" if ready else None,
            f"{int(r() * 1000000):06d}" if ready else None,
            valid_until, err[0] if err else "", err[1] if err else None,
            len(path) + 1, at_text, last_text, last_text if submitted else None,
            p.album or "", self.key(p.first, p.last),
        ))

    # --- writing -----------------------------------------------------------------
    def add(self, p: _P, n: int) -> None:
        self.pid += 1
        day = self.fmt.day
        self.persons.append((self.pid, f"P{n:07d}", p.album, p.first, p.last, self.key(p.first, p.last),
                             p.pesel, day(p.birth), int(p.photo), self.now_text))
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


def _stories(g: _Gen) -> list[tuple[_P, str, Callable[[_P], None]]]:
    """The manual's figures as students. Each: person, what it shows, its orders."""
    today, now = g.today_ord, g.now
    end = g.period_end(today)
    two_years = dt.date(g.today.year + 2, 9, 30).toordinal()

    def prog(level: str = "I", status: str = "ACTIVE", when: int = 0, planned: int = 0
             ) -> tuple[str, str, str, str, int, int]:
        code, name = PROGRAMMES[level][0]
        return (code, name, level, status, when, planned or two_years)

    def person(first: str, last: str, female: bool, album: str | None, born: dt.date,
               programmes: list[tuple[str, str, str, str, int, int]], photo: bool = True,
               pesel: bool = True) -> _P:
        return _P(first, last, female, album, make_pesel(born, 123, female) if pesel else None,
                  born.toordinal(), photo, programmes)

    soon = today + 20
    return [
        (person("Karolina", "Bachta", True, "1234336607", dt.date(2003, 5, 17), [prog()]),
         "rys. 8-11: anulowane zamówienie, potem nowe do odbioru z kodem QR",
         lambda p: (g.order(p, now - 2 * DAY, _A, reason="zmiana telefonu",
                            until=now - 2 * DAY + 120, picked=False),
                    g.order(p, now - 2 * DAY + 120, _D))),
        (person("Zofia", "Wójcik", True, "100001", dt.date(2004, 2, 9), [prog("II")], photo=False),
         "rys. 6: nie może zamówić - brak zdjęcia", lambda p: None),
        (person("Tomasz", "Zieliński", False, "100002", dt.date(2002, 11, 3), [prog("JM")]),
         "rys. 7: zamówienie oczekuje na przekazanie do MC",
         lambda p: g.order(p, now - 1800, _O)),
        (person("Łukasz", "Żółkiewski", False, "100003", dt.date(2001, 7, 21),
                [prog("I", "STRUCK_OFF", today - 20)]),
         "rys. 12-13: skreślony (SKR-102), zamówienie unieważnione przez uczelnię",
         lambda p: g.order(p, now - 90 * DAY, _U, reason=STRIKE_OFF_REASONS[0])),
        (person("Michał", "Nowak", False, "100004", dt.date(2000, 1, 30), [prog("II")], pesel=False),
         "rys. 14: unieważnione, nowe zamówienie niemożliwe - brak numeru PESEL",
         lambda p: g.order(p, now - 80 * DAY, _U, reason="unieważnienie numeru PESEL w rejestrze",
                           expiry=end)),
        (person("Paweł", "Kaczmarek", False, "100005", dt.date(1999, 4, 12),
                [prog("II", "GRADUATED", today - 100)]),
         "rys. 15: zamówienie zakończone błędem, brak uprawnień do nowego",
         lambda p: g.order(p, now - 200 * DAY, _B, error=MC_ERRORS[1], expiry=today - 100)),
        (person("Anna", "Dąbrowska", True, "100006", dt.date(2003, 8, 8), [prog("I", planned=soon)]),
         "rys. 16-17: odebrana, traci ważność w ciągu 30 dni - może zamówić nową",
         lambda p: g.order(p, now - 50 * DAY, _E, expiry=soon)),
        (person("Ewa", "Lewandowska", True, "100007", dt.date(2002, 3, 1),
                [prog("I", "STRUCK_OFF", today - 5)]),
         "skreślona, a mLegitymacja wciąż ważna: do unieważnienia przez skrypt",
         lambda p: g.order(p, now - 60 * DAY, _E, expiry=end)),
        (person("Grzegorz", "Szymański", False, None, dt.date(1990, 6, 6), [prog("DR")],
                photo=False, pesel=False),
         "wszystkie powody naraz: doktorant, bez PESEL, zdjęcia i numeru albumu", lambda p: None),
        (person("Marta", "Kowalska", True, "100009", dt.date(2004, 12, 24), [prog("I")]),
         "do odbioru, ale kody aktywacyjne wygasły",
         lambda p: g.order(p, now - 40 * DAY, _D, codes_expired=True)),
    ]


def build_demo(
    ctx: Context, *, students: int, seed: int = 1, replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoStats:
    ctx.require(Permission.DEMO_DATA)
    started = time.perf_counter()
    with bulk_transaction(ctx.engine) as conn:
        params = _Params.of(ctx, seed, students, conn.dialect.name)
        existing = conn.execute(select(func.count()).select_from(Person)).scalar_one()
        if existing and not replace:
            raise UserError(
                f"Baza zawiera już dane ({existing} osób). Użyj --replace, aby ją wyczyścić, "
                "albo wskaż inny plik (--db)."
            )
        if existing:
            clear(conn)
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
            write(item[:4] + (done,))  # type: ignore[arg-type]
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
                try:
                    yield ready.recv()  # type: ignore[union-attr]
                except EOFError:
                    open_pipes.remove(ready)
    finally:
        for recv in pipes:
            recv.close()
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.terminate()
    if any(w.exitcode not in (0, None) for w in workers):
        raise UserError("Generator danych zakończył się błędem; nic nie zapisano.")
