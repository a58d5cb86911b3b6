"""A realistic synthetic store: deterministic for a seed, bulk-loaded.

The first students tell the manual's stories (figures 6-17) under fixed album numbers,
so a demo and its README can point at them; the rest are drawn at random with every
level, programme status, ineligibility reason and order status represented.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from mleg_tui.domain.names import name_key
from mleg_tui.domain.pesel import make_pesel
from mleg_tui.domain.rules import Level, Programme, ProgrammeStatus, planned_expiry
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.errors import UserError
from mleg_tui.services.context import Context
from mleg_tui.services.demo_names import FEMALE, MALE, MC_ERRORS, PROGRAMMES, STRIKE_OFF_REASONS, SURNAMES
from mleg_tui.services.history import Action, Actor
from mleg_tui.store import writing
from mleg_tui.store.bulk import clear, insert_rows, reset_sequences
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
UTC = dt.timezone.utc


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
    birth: dt.date
    photo: bool
    programmes: list[Programme]
    orders: list[dict[str, Any]] = field(default_factory=list)


class _Gen:
    def __init__(self, ctx: Context, seed: int):
        self.rng = random.Random(seed)
        self.ctx = ctx
        self.today = ctx.clock.today()
        self.now = ctx.clock.now()
        self.rules = ctx.rules
        self.univ = ctx.settings.university
        self.pid = self.eid = self.oid = self.vid = 0
        self.persons: list[tuple[Any, ...]] = []
        self.enrols: list[tuple[Any, ...]] = []
        self.orders: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.stats = DemoStats()

    # --- people ------------------------------------------------------------------
    def person(self, n: int) -> _P:
        r = self.rng
        female = r.random() < 0.55
        first = r.choice(FEMALE if female else MALE)
        last = r.choice(SURNAMES)[0 if female else 1]
        birth = dt.date(1994, 1, 1) + dt.timedelta(days=r.randrange(13 * 365))
        pesel: str | None = make_pesel(birth, r.randrange(1000), female)
        u = r.random()
        if u < 0.02:
            pesel = None
        elif u < 0.03:  # a typo in the register: last digit wrong
            pesel = pesel[:-1] + str((int(pesel[-1]) + 1) % 10)  # type: ignore[index]
        album = None if r.random() < 0.01 else str(100000 + n)
        photo = r.random() >= 0.06
        progs = [self.programme()]
        if r.random() < 0.15:
            progs.append(self.programme(exclude=progs[0].code))
        return _P(first, last, female, album, pesel, birth, photo, progs)

    def programme(self, exclude: str = "") -> Programme:
        r = self.rng
        level = r.choices(["I", "II", "JM", "DR", "PD"], weights=[55, 24, 12, 5, 4])[0]
        code, name = r.choice([p for p in PROGRAMMES[level] if p[0] != exclude] or PROGRAMMES[level])
        years = {"I": 3, "II": 2, "JM": 5, "DR": 4, "PD": 1}[level]
        start = self.today.year - r.randrange(years + 1)
        end = dt.date(start + years, 9, 30) if r.random() < 0.8 else dt.date(start + years, 2, 28)
        u = r.random()
        if u < 0.80:
            return Programme(code, Level(level), ProgrammeStatus.ACTIVE, None, end, name)
        when = self.today - dt.timedelta(days=r.randrange(1, 500))
        status = ProgrammeStatus.GRADUATED if u < 0.91 else ProgrammeStatus.STRUCK_OFF
        return Programme(code, Level(level), status, when, end, name)

    # --- orders ------------------------------------------------------------------
    def random_orders(self, p: _P) -> None:
        r = self.rng
        if r.random() < 0.12:
            return
        entitled = planned_expiry(p.programmes, self.today, self.rules) is not None
        ok_person = entitled and p.photo and p.pesel and p.album
        # Earlier orders, ended one way or another.
        t = self.now - dt.timedelta(days=r.randrange(60, 700), minutes=r.randrange(1440))
        for _ in range(r.choices([0, 1, 2], weights=[60, 30, 10])[0]):
            end = r.choices([S.ODEBRANA, S.ANULOWANE_PRZEZ_UZYTKOWNIKA, S.BLAD], weights=[60, 25, 15])[0]
            self.order(p, t, end, expired=True)
            t += dt.timedelta(days=r.randrange(20, 200))
            if t > self.now - dt.timedelta(days=2):
                break
        # The latest order.
        t = self.now - dt.timedelta(days=r.randrange(0, 170), minutes=r.randrange(1440))
        if ok_person:
            last = r.choices(
                [S.OCZEKUJE, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA, S.BLAD, S.ANULOWANE_PRZEZ_UZYTKOWNIKA],
                weights=[5, 5, 12, 62, 7, 9],
            )[0]
        else:
            # Lost the right since: mostly revoked already, some still live for the sweep.
            last = r.choices([S.UNIEWAZNIONE_PRZEZ_UCZELNIE, S.ODEBRANA, S.BLAD], weights=[70, 20, 10])[0]
        if last in (S.OCZEKUJE, S.W_TRAKCIE):
            t = self.now - dt.timedelta(minutes=r.randrange(5, 600))
        self.order(p, t, last)

    def order(self, p: _P, at: dt.datetime, status: S, *, expired: bool = False,
              expiry: dt.date | None = None, error: tuple[str, str] | None = None,
              reason: str | None = None, codes_expired: bool = False,
              until: dt.datetime | None = None, picked: bool = True) -> None:
        r = self.rng
        local_day = at.astimezone(self.ctx.clock.tz).date()
        exp = expiry or planned_expiry(p.programmes, local_day, self.rules) or self.rules.period_end(local_day)
        if expired and exp >= self.today:
            exp = self.today - dt.timedelta(days=r.randrange(1, 60))
        steps: list[tuple[dt.datetime, str, S | None, S, str, str | None]] = []
        t = at
        steps.append((t, Action.PLACED.value, None, S.OCZEKUJE, Actor.STUDENT.value, None))
        path = {
            S.OCZEKUJE: [],
            S.W_TRAKCIE: [S.W_TRAKCIE],
            S.DO_ODBIORU: [S.W_TRAKCIE, S.DO_ODBIORU],
            S.ODEBRANA: [S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA],
            S.BLAD: [S.W_TRAKCIE, S.BLAD],
            S.ANULOWANE_PRZEZ_UZYTKOWNIKA: [S.W_TRAKCIE, S.DO_ODBIORU]
            + ([S.ODEBRANA] if picked and r.random() < 0.5 else []) + [S.ANULOWANE_PRZEZ_UZYTKOWNIKA],
            S.UNIEWAZNIONE_PRZEZ_UCZELNIE: [S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA, S.UNIEWAZNIONE_PRZEZ_UCZELNIE],
        }[status]
        gaps = {
            S.W_TRAKCIE: dt.timedelta(minutes=r.randrange(1, 15)),
            S.DO_ODBIORU: dt.timedelta(minutes=r.randrange(1, 40)),
            S.ODEBRANA: dt.timedelta(hours=r.randrange(1, 200)),
            S.BLAD: dt.timedelta(minutes=r.randrange(1, 40)),
            S.ANULOWANE_PRZEZ_UZYTKOWNIKA: dt.timedelta(days=r.randrange(1, 40)),
            S.UNIEWAZNIONE_PRZEZ_UCZELNIE: dt.timedelta(days=r.randrange(1, 60)),
        }
        total = sum((gaps[x] for x in path), dt.timedelta())
        deadline = (until or self.now) - dt.timedelta(seconds=10)
        # A story that would run past its deadline is told faster, never in the future.
        scale = min(1.0, (deadline - at) / total) if total else 1.0
        prev = S.OCZEKUJE
        issued: dt.datetime | None = None
        for nxt in path:
            t += gaps[nxt] * max(scale, 0.0)
            if nxt is S.DO_ODBIORU:
                issued = t
            if nxt is S.W_TRAKCIE:
                action, actor, why = Action.SUBMITTED, Actor.MC, None
            elif nxt is S.ANULOWANE_PRZEZ_UZYTKOWNIKA:
                action, actor, why = Action.CANCELLED, Actor.STUDENT, reason or r.choice(
                    ["zmiana telefonu", "ponowna instalacja mObywatela", "zmiana danych osobowych", None])
            elif nxt is S.UNIEWAZNIONE_PRZEZ_UCZELNIE:
                action, actor, why = Action.REVOKED, Actor.SWEEP, reason or r.choice(STRIKE_OFF_REASONS)
            else:
                action, actor, why = Action.MC_STATUS, Actor.MC, None
            steps.append((t, action.value, prev, nxt, actor.value, why))
            prev = nxt
        self.oid += 1
        oid = self.oid
        submitted = status is not S.OCZEKUJE
        err = error or (r.choice(MC_ERRORS) if status is S.BLAD else None)
        ready = status is S.DO_ODBIORU
        if ready and issued is not None:
            valid_until = issued + dt.timedelta(days=30)
            if codes_expired:
                valid_until = min(valid_until, self.now - dt.timedelta(days=1))
        else:
            valid_until = None
        self.orders.append((
            oid, f"{self.univ}-{oid:06d}", self.pid, status.value, at, exp, exp,
            f"{r.getrandbits(128):032x}" if submitted else None,
            f"{r.getrandbits(128):032x}" if ready else None,
            f"{r.randrange(1000000):06d}" if ready else None,
            valid_until, err[0] if err else "", err[1] if err else None,
            len(steps), at, steps[-1][0], steps[-1][0] if submitted else None,
            p.album or "", name_key(p.first, p.last),
        ))
        for when, action_code, old, new, actor_kind, why in steps:
            self.vid += 1
            self.events.append((self.vid, oid, when, action_code, old.value if old else None,
                                new.value, actor_kind, "demo" if actor_kind == "STAFF" else "", why))

    # --- writing -----------------------------------------------------------------
    def add(self, p: _P, n: int) -> None:
        self.pid += 1
        self.persons.append((self.pid, f"P{n:07d}", p.album, p.first, p.last, name_key(p.first, p.last),
                             p.pesel, p.birth, p.photo, self.now))
        for prog in p.programmes:
            self.eid += 1
            self.enrols.append((self.eid, self.pid, prog.code, prog.name, prog.level.value,
                                prog.status.value, prog.status_date, prog.planned_end))

    def flush(self, conn: Any) -> None:
        s = self.stats
        s.persons += insert_rows(conn, "person", PERSON_COLS, self.persons)
        s.enrolments += insert_rows(conn, "enrolment", ENROL_COLS, self.enrols)
        s.orders += insert_rows(conn, "orders", ORDER_COLS, self.orders)
        s.events += insert_rows(conn, "order_event", EVENT_COLS, self.events)
        self.persons, self.enrols, self.orders, self.events = [], [], [], []


def _stories(g: _Gen) -> list[tuple[_P, str, Callable[[_P], None]]]:
    """The manual's figures as students. Each: person, what it shows, its orders."""
    today, now = g.today, g.now
    end = g.rules.period_end(today)
    day = dt.timedelta(days=1)

    def prog(level: str = "I", status: str = "ACTIVE", when: dt.date | None = None,
             planned: dt.date | None = None) -> Programme:
        code, name = PROGRAMMES[level][0]
        return Programme(code, Level(level), ProgrammeStatus(status), when,
                         planned or dt.date(today.year + 2, 9, 30), name)

    def person(first: str, last: str, female: bool, album: str | None, born: dt.date,
               programmes: list[Programme], photo: bool = True, pesel: bool = True) -> _P:
        return _P(first, last, female, album, make_pesel(born, 123, female) if pesel else None,
                  born, photo, programmes)

    soon = today + dt.timedelta(days=20)
    stories: list[tuple[_P, str, Callable[[_P], None]]] = [
        (person("Karolina", "Bachta", True, "1234336607", dt.date(2003, 5, 17), [prog()]),
         "rys. 8-11: anulowane zamówienie, potem nowe do odbioru z kodem QR",
         lambda p: (g.order(p, now - 2 * day, S.ANULOWANE_PRZEZ_UZYTKOWNIKA, reason="zmiana telefonu",
                            until=now - 2 * day + dt.timedelta(minutes=2), picked=False),
                    g.order(p, now - 2 * day + dt.timedelta(minutes=2), S.DO_ODBIORU))),
        (person("Zofia", "Wójcik", True, "100001", dt.date(2004, 2, 9), [prog("II")], photo=False),
         "rys. 6: nie może zamówić - brak zdjęcia", lambda p: None),
        (person("Tomasz", "Zieliński", False, "100002", dt.date(2002, 11, 3), [prog("JM")]),
         "rys. 7: zamówienie oczekuje na przekazanie do MC",
         lambda p: g.order(p, now - dt.timedelta(minutes=30), S.OCZEKUJE)),
        (person("Łukasz", "Żółkiewski", False, "100003", dt.date(2001, 7, 21),
                [prog("I", "STRUCK_OFF", today - 20 * day)]),
         "rys. 12-13: skreślony (SKR-102), zamówienie unieważnione przez uczelnię",
         lambda p: g.order(p, now - 90 * day, S.UNIEWAZNIONE_PRZEZ_UCZELNIE, reason=STRIKE_OFF_REASONS[0])),
        (person("Michał", "Nowak", False, "100004", dt.date(2000, 1, 30), [prog("II")], pesel=False),
         "rys. 14: unieważnione, nowe zamówienie niemożliwe - brak numeru PESEL",
         lambda p: g.order(p, now - 80 * day, S.UNIEWAZNIONE_PRZEZ_UCZELNIE,
                           reason="unieważnienie numeru PESEL w rejestrze", expiry=end)),
        (person("Paweł", "Kaczmarek", False, "100005", dt.date(1999, 4, 12),
                [prog("II", "GRADUATED", today - 100 * day)]),
         "rys. 15: zamówienie zakończone błędem, brak uprawnień do nowego",
         lambda p: g.order(p, now - 200 * day, S.BLAD, error=MC_ERRORS[1], expiry=today - 100 * day)),
        (person("Anna", "Dąbrowska", True, "100006", dt.date(2003, 8, 8), [prog("I", planned=soon)]),
         "rys. 16-17: odebrana, traci ważność w ciągu 30 dni - może zamówić nową",
         lambda p: g.order(p, now - 50 * day, S.ODEBRANA, expiry=soon)),
        (person("Ewa", "Lewandowska", True, "100007", dt.date(2002, 3, 1),
                [prog("I", "STRUCK_OFF", today - 5 * day)]),
         "skreślona, a mLegitymacja wciąż ważna: do unieważnienia przez skrypt",
         lambda p: g.order(p, now - 60 * day, S.ODEBRANA, expiry=end)),
        (person("Grzegorz", "Szymański", False, None, dt.date(1990, 6, 6), [prog("DR")],
                photo=False, pesel=False),
         "wszystkie powody naraz: doktorant, bez PESEL, zdjęcia i numeru albumu", lambda p: None),
        (person("Marta", "Kowalska", True, "100009", dt.date(2004, 12, 24), [prog("I")]),
         "do odbioru, ale kody aktywacyjne wygasły",
         lambda p: g.order(p, now - 40 * day, S.DO_ODBIORU, codes_expired=True)),
    ]
    return stories


def build_demo(
    ctx: Context, *, students: int, seed: int = 1, replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoStats:
    started = time.perf_counter()
    g = _Gen(ctx, seed)
    with writing(ctx.engine) as s:
        conn = s.connection()
        existing = conn.execute(select(func.count()).select_from(Person)).scalar_one()
        if existing and not replace:
            raise UserError(
                f"Baza zawiera już dane ({existing} osób). Użyj --replace, aby ją wyczyścić, "
                "albo wskaż inny plik (--db)."
            )
        if existing:
            clear(conn)
        stories = _stories(g) if students >= 20 else []
        n = 0
        for p, what, make in stories:
            n += 1
            g.add(p, n)
            make(p)
            g.stats.stories.append((p.album or f"(bez albumu, P{n:07d})", what))
        while n < students:
            n += 1
            p = g.person(n)
            g.add(p, n)
            g.random_orders(p)
            if n % CHUNK == 0:
                g.flush(conn)
                if progress:
                    progress(f"{n}/{students} studentów")
        g.flush(conn)
        reset_sequences(conn, ["person", "enrolment", "orders", "order_event"])
    if progress:
        progress("")
    g.stats.seconds = time.perf_counter() - started
    return g.stats
