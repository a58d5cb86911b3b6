"""The store's conversation with MC: submit waiting orders, read live ones, and confirm
revocations and cancellations that wait for MC.

Every answer from MC is applied in a short transaction with its events, so an interrupted
run (Ctrl+C, kill -9) loses nothing and leaves nothing half-updated; the next run repeats
what was not applied. Submissions are claimed (a lease) so two runs never send one order
twice, and the body sent is kept, so a repeat after a lost response is the same request
under the same Idempotency-Key and MC answers with the same order.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from mleg_tui.domain.status import IllegalTransition, OrderStatus, reachable
from mleg_tui.errors import UserError
from mleg_tui.services.actions import CANCEL, ActionResult
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.history import Action, Actor, StaleOrder, change_status, record, update_order
from mleg_tui.store import reading, writing
from mleg_tui.store.models import Order, Person

if TYPE_CHECKING:
    from mleg_tui.mc import MCClient, MCConfig, MCOrder

S = OrderStatus
LEASE = dt.timedelta(minutes=5)
CHUNK = 100  # one batchGet page; also the unit of claims and reads from the store
READ_STATUSES = (S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)


@dataclass(frozen=True)
class RefreshSelection:
    """Which orders to refresh; all None means every live order."""

    order_ids: list[int] | None = None
    albums: list[str] | None = None
    statuses: frozenset[OrderStatus] | None = None


@dataclass(frozen=True)
class RefreshFailure:
    order_id: int
    order_ref: str
    person: str
    album: str
    why: str

    def __str__(self) -> str:
        return f"{self.order_ref} {self.person} ({self.album or 'bez albumu'}): {self.why}"


@dataclass
class RefreshProgress:
    done: int = 0
    total: int = 0
    errors: int = 0
    changed: int = 0
    changed_ids: list[int] = field(default_factory=list)  # since the last report
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.rate or self.done >= self.total:
            return None
        return (self.total - self.done) / self.rate

    def line(self) -> str:
        eta = self.eta_seconds
        left = f", zostało ~{eta:.0f} s" if eta is not None else ""
        return (f"{self.done}/{self.total} zamówień, zmian {self.changed}, błędów {self.errors}, "
                f"{self.rate:.0f}/s{left}")


@dataclass
class RefreshSummary:
    total: int = 0
    done: int = 0
    changed: int = 0
    submitted: int = 0
    confirmed: int = 0
    confirmed_ids: list[int] = field(default_factory=list)
    failures: list[RefreshFailure] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        parts = [f"Aktualizacja statusów: {self.done} z {self.total} zamówień w {self.seconds:.1f} s "
                 f"({rate:.0f}/s)"]
        changes = ", ".join(f"{S(k).label} {v}" for k, v in sorted(self.by_status.items()))
        parts.append(f"zmieniono {self.changed}" + (f" ({changes})" if changes else ""))
        if self.submitted:
            parts.append(f"przekazano do MC {self.submitted}")
        if self.confirmed:
            parts.append(f"potwierdzono unieważnienia/anulowania {self.confirmed}")
        parts.append(f"błędy {len(self.failures)}")
        text = ": ".join(parts[:1]) + "; " + ", ".join(parts[1:]) + "."
        if self.cancelled:
            text += " Przerwano — pozostałe zamówienia zostaną zaktualizowane przy następnym uruchomieniu."
        return text


def mc_config(ctx: Context, concurrency: int | None = None) -> MCConfig:
    from mleg_tui.mc import MCConfig

    st = ctx.settings
    if not st.mc_url:
        raise UserError(
            "Nie skonfigurowano adresu MC: ustaw MLEG_TUI_MC_URL albo mc_url w pliku "
            "konfiguracyjnym (dla próby: `mleg-tui mc-sim`)."
        )
    return MCConfig(
        base_url=st.mc_url,
        token=st.mc_token.get_secret_value() if st.mc_token else "",
        ca_bundle=st.mc_ca_bundle,
        client_cert=st.mc_client_cert,
        client_key=st.mc_client_key,
        connect_timeout=st.mc_connect_timeout,
        read_timeout=st.mc_read_timeout,
        max_tries=st.mc_max_tries,
        concurrency=concurrency or st.mc_concurrency,
    )


def _owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_owners(owners: set[str]) -> list[str]:
    """Leases held by processes of this host that no longer exist (kill -9)."""
    host = socket.gethostname()[:30]
    dead = []
    for owner in owners:
        h, _, rest = owner.partition(":")
        pid = rest.partition(":")[0]
        if h != host or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            dead.append(owner)
        except PermissionError:
            pass
    return dead


class _Run:
    """One refresh (or confirmation) run: its MC client, counters and the write lock."""

    def __init__(self, ctx: Context, mc: MCClient, report: Callable[[RefreshProgress], None] | None):
        self.ctx = ctx
        self.mc = mc
        self.owner = _owner()
        self.summary = RefreshSummary()
        self.progress = RefreshProgress()
        self._report = report
        self._write_lock = asyncio.Lock()
        self._started = time.perf_counter()
        self._last_report = 0.0
        self.leased: set[int] = set()

    # -- bookkeeping ----------------------------------------------------------------
    def fail(self, o: Order | dict[str, Any], why: str) -> None:
        get = o.get if isinstance(o, dict) else lambda k: getattr(o, k)
        self.summary.failures.append(
            RefreshFailure(get("id"), get("order_ref"), get("person") or "", get("album") or "", why)
        )
        self.progress.errors += 1

    def changed(self, order_id: int, status: OrderStatus) -> None:
        self.summary.changed += 1
        self.summary.by_status[status.value] = self.summary.by_status.get(status.value, 0) + 1
        self.progress.changed += 1
        self.progress.changed_ids.append(order_id)

    def advance(self, n: int, *, force: bool = False) -> None:
        self.progress.done += n
        self.summary.done += n
        now = time.perf_counter()
        self.progress.elapsed = now - self._started
        if self._report and (force or now - self._last_report > 0.1):
            self._last_report = now
            self._report(replace(self.progress, changed_ids=list(self.progress.changed_ids)))
            self.progress.changed_ids.clear()

    async def write(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Store writes run in a thread, one at a time, so MC traffic keeps flowing."""
        async with self._write_lock:
            return await asyncio.to_thread(fn, *args, **kw)

    # -- applying MC's word ------------------------------------------------------------
    def apply(self, s: Any, order: Order, mco: MCOrder, action: Action = Action.MC_STATUS,
              reason: str | None = None, **extra: Any) -> bool:
        """Make the order what MC says; True when its status changed."""
        now = self.ctx.clock.now()
        new, old = S(mco.status), S(order.status)
        ready = new is S.DO_ODBIORU
        values: dict[str, Any] = {
            "mc_id": mco.mc_id,
            # Codes are the student's secret: kept only while they can be used.
            "qr_code": mco.qr_code if ready else None,
            "activation_code": mco.activation_code if ready else None,
            "codes_valid_until": mco.codes_valid_until if ready else None,
            "error_code": (mco.error_code or "").upper() if new is S.BLAD else order.error_code,
            "error_message": mco.error_message if new is S.BLAD else order.error_message,
            "mc_updated_at": mco.updated_at,
            **extra,
        }
        if mco.expiry_date:
            values["expiry_date"] = mco.expiry_date
        if new is not old:
            if not reachable(old, new):
                raise IllegalTransition(old, new)
            change_status(s, order, new, now, action, Actor.MC, "", reason, observed=True, **values)
            return True
        if any(getattr(order, k) != v for k, v in values.items()):
            update_order(s, order, now, **values)
        return False


# -- selections ------------------------------------------------------------------------

def _selected(stmt: Any, sel: RefreshSelection) -> Any:
    if sel.order_ids is not None:
        stmt = stmt.where(Order.id.in_(sel.order_ids))  # type: ignore[union-attr]
    if sel.albums is not None:
        stmt = stmt.where(Order.album.in_(sel.albums))  # type: ignore[attr-defined]
    return stmt


def _ids(ctx: Context, base: Any, sel: RefreshSelection) -> Iterator[list[int]]:
    """Order ids of a selection in chunks, by keyset: memory stays flat at any size."""
    last = 0
    while True:
        stmt = _selected(base.where(Order.id > last), sel).order_by(Order.id).limit(CHUNK)
        with reading(ctx.engine) as s:
            ids = list(s.execute(stmt).scalars())
        if not ids:
            return
        yield ids
        last = ids[-1]


def _wanted(sel: RefreshSelection, status: OrderStatus) -> bool:
    return sel.statuses is None or status in sel.statuses


def _count(ctx: Context, stmt: Any, sel: RefreshSelection) -> int:
    from sqlalchemy import func

    with reading(ctx.engine) as s:
        return int(s.execute(_selected(stmt, sel).with_only_columns(func.count())).scalar_one())


def _to_submit(sel: RefreshSelection) -> Any:
    return select(Order.id).where(Order.status == S.OCZEKUJE.value, Order.pending_action.is_(None))  # type: ignore[union-attr]


def _to_read(ctx: Context, sel: RefreshSelection) -> Any:
    statuses = [x.value for x in READ_STATUSES if _wanted(sel, x)]
    # An expired picked-up card can no longer change anything that matters.
    return select(Order.id).where(
        Order.status.in_(statuses),  # type: ignore[attr-defined]
        Order.mc_id.is_not(None),  # type: ignore[union-attr]
        or_(Order.status != S.ODEBRANA.value, Order.expiry_date >= ctx.clock.today()),
    )


def _pending(sel: RefreshSelection) -> Any:
    return select(Order.id).where(Order.pending_action.is_not(None))  # type: ignore[union-attr]


# -- submissions -------------------------------------------------------------------------

def _body(order: Order, person: Person) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_ref": order.order_ref,
        "album": person.album or "",
        "pesel": person.pesel or "",
        "first_name": person.first_name,
        "last_name": person.last_name,
        "expiry_date": order.planned_expiry.isoformat(),
    }
    if person.birth_date:
        body["birth_date"] = person.birth_date.isoformat()
    return body


def _claim(run: _Run, ids: list[int], *, pending: bool = False) -> list[dict[str, Any]]:
    """Take the lease on these orders if nobody else holds it; returns what to send."""
    ctx = run.ctx
    now = ctx.clock.now()
    claimed: list[dict[str, Any]] = []
    with writing(ctx.engine) as s:
        rows = s.execute(
            select(Order, Person).join(Person, Person.id == Order.person_id).where(Order.id.in_(ids))  # type: ignore[union-attr]
        ).all()
        dead = set(_dead_owners({o.lease_owner for o, _ in rows if o.lease_owner}))
        for order, person in rows:
            if order.status != S.OCZEKUJE.value or (order.pending_action is not None) != pending:
                continue
            if order.lease_owner and order.lease_until and order.lease_until > now and order.lease_owner not in dead:
                continue  # another refresh is sending it right now
            body = order.submitted_body or json.dumps(_body(order, person), ensure_ascii=False)
            update_order(s, order, now, lease_owner=run.owner, lease_until=now + LEASE, submitted_body=body)
            run.leased.add(order.id or 0)
            claimed.append({"id": order.id, "order_ref": order.order_ref, "body": body,
                            "person": person.full_name, "album": person.album})
    return claimed


def _release(run: _Run, ids: list[int]) -> None:
    if not ids:
        return
    with writing(run.ctx.engine) as s:
        s.execute(
            update(Order)
            .where(Order.id.in_(ids), Order.lease_owner == run.owner)  # type: ignore[union-attr]
            .values(lease_owner=None, lease_until=None)
        )
    run.leased.difference_update(ids)


async def _submit_one(run: _Run, item: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    from mleg_tui.mc import MCError, SubmitRequest

    b = json.loads(item["body"])
    req = SubmitRequest(
        order_ref=b["order_ref"], album=b["album"], pesel=b["pesel"], first_name=b["first_name"],
        last_name=b["last_name"], expiry_date=dt.date.fromisoformat(b["expiry_date"]),
        birth_date=dt.date.fromisoformat(b["birth_date"]) if b.get("birth_date") else None,
    )
    try:
        return item, await run.mc.submit(req)
    except MCError as e:
        return item, e


def _apply_submissions(run: _Run, results: list[tuple[dict[str, Any], Any]]) -> None:
    from mleg_tui.mc import MCAuthError, MCError, MCRejected

    now = run.ctx.clock.now()
    with writing(run.ctx.engine) as s:
        for item, outcome in results:
            order = s.get(Order, item["id"])
            if order is None or order.lease_owner != run.owner:
                continue
            run.leased.discard(order.id or 0)
            if isinstance(outcome, MCAuthError):
                update_order(s, order, now, lease_owner=None, lease_until=None)
                continue
            if isinstance(outcome, MCRejected):
                # MC will not take the order as it stands: it ends here, visibly, with MC's
                # reason, so the office can correct the data and the student order again.
                code = (outcome.code or "REJECTED").upper()
                change_status(s, order, S.BLAD, now, Action.MC_STATUS, Actor.MC, "",
                              f"MC odrzucił zamówienie: {outcome}", error_code=code,
                              error_message=str(outcome), lease_owner=None, lease_until=None)
                run.changed(order.id or 0, S.BLAD)
                continue
            if isinstance(outcome, MCError):
                update_order(s, order, now, lease_owner=None, lease_until=None)
                run.fail(item, str(outcome))
                continue
            mco, created = outcome
            if order.status != S.OCZEKUJE.value:
                update_order(s, order, now, lease_owner=None, lease_until=None, mc_id=mco.mc_id)
                continue
            note = None if created else "MC miał już to zamówienie (powtórzone przesłanie)"
            try:
                with s.begin_nested():
                    run.apply(s, order, mco, Action.SUBMITTED, note, lease_owner=None, lease_until=None)
            except (IllegalTransition, StaleOrder) as e:
                run.fail(item, str(e))
                continue
            run.summary.submitted += 1
            run.changed(order.id or 0, S(mco.status))


async def _pipeline(run: _Run, chunks: Iterator[list[int]], work: Callable[[list[int]], Awaitable[int]],
                    cancel: threading.Event | None) -> None:
    """Run `work` over the chunks, `concurrency` at a time, stopping when cancelled."""
    limit = max(1, run.mc.cfg.concurrency)
    tasks: set[asyncio.Task[int]] = set()
    try:
        for chunk in chunks:
            while len(tasks) >= limit:
                done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for t in done:
                    t.result()
            if cancel is not None and cancel.is_set():
                raise asyncio.CancelledError
            tasks.add(asyncio.ensure_future(work(chunk)))
        while tasks:
            done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                t.result()
    finally:
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def _submissions(run: _Run, sel: RefreshSelection, cancel: threading.Event | None) -> None:
    per_chunk = max(1, CHUNK // 4)

    async def work(ids: list[int]) -> int:
        claimed = await run.write(_claim, run, ids)
        results = await asyncio.gather(*(_submit_one(run, item) for item in claimed))
        await run.write(_apply_submissions, run, list(results))
        _raise_auth(results)
        run.advance(len(ids))  # those another run holds are its to report
        return len(ids)

    def chunks() -> Iterator[list[int]]:
        for ids in _ids(run.ctx, _to_submit(sel), sel):
            for i in range(0, len(ids), per_chunk):
                yield ids[i:i + per_chunk]

    await _pipeline(run, chunks(), work, cancel)


def _raise_auth(results: list[tuple[dict[str, Any], Any]]) -> None:
    from mleg_tui.mc import MCAuthError

    for _, outcome in results:
        if isinstance(outcome, MCAuthError):
            raise outcome


# -- reads -----------------------------------------------------------------------------------

def _apply_page(run: _Run, ids: list[int], orders: list[MCOrder], not_found: list[str]) -> None:
    by_mc = {o.mc_id: o for o in orders}
    missing = set(not_found)
    with writing(run.ctx.engine) as s:
        rows = s.execute(
            select(Order, Person.first_name, Person.last_name).join(Person, Person.id == Order.person_id)
            .where(Order.id.in_(ids))  # type: ignore[union-attr]
        ).all()
        for order, first, last in rows:
            info = {"id": order.id, "order_ref": order.order_ref, "person": f"{first} {last}",
                    "album": order.album}
            mco = by_mc.get(order.mc_id or "")
            if mco is None:
                why = "MC nie zna tego zamówienia" if order.mc_id in missing else "MC nie podał stanu zamówienia"
                run.fail(info, f"{why} (mc_id {order.mc_id})")
                continue
            try:
                with s.begin_nested():
                    if run.apply(s, order, mco):
                        run.changed(order.id or 0, S(mco.status))
            except IllegalTransition:
                run.fail(info, f"niezgodność: MC podaje „{S(mco.status).label}”, w bazie „{S(order.status).label}”")
            except StaleOrder as e:
                run.fail(info, str(e))


async def _reads(run: _Run, sel: RefreshSelection, cancel: threading.Event | None) -> None:
    from mleg_tui.mc import MCAuthError, MCError

    async def work(ids: list[int]) -> int:
        with reading(run.ctx.engine) as s:
            mc_ids = [m for m in s.execute(select(Order.mc_id).where(Order.id.in_(ids))).scalars() if m]  # type: ignore[union-attr]
        try:
            orders, not_found = await run.mc.batch_get(mc_ids)
        except MCAuthError:
            raise
        except MCError as e:
            await run.write(_fail_ids, run, ids, str(e))
            run.advance(len(ids))
            return len(ids)
        await run.write(_apply_page, run, ids, orders, not_found)
        run.advance(len(ids))
        return len(ids)

    await _pipeline(run, _ids(run.ctx, _to_read(run.ctx, sel), sel), work, cancel)


def _fail_ids(run: _Run, ids: list[int], why: str) -> None:
    with reading(run.ctx.engine) as s:
        for order, first, last in s.execute(
            select(Order, Person.first_name, Person.last_name).join(Person, Person.id == Order.person_id)
            .where(Order.id.in_(ids))  # type: ignore[union-attr]
        ).all():
            run.fail({"id": order.id, "order_ref": order.order_ref, "person": f"{first} {last}",
                      "album": order.album}, why)


# -- pending revocations and cancellations ----------------------------------------------------

async def _confirm_one(run: _Run, order_id: int) -> None:
    from mleg_tui.mc import MCAuthError, MCConflict, MCError

    with reading(run.ctx.engine) as s:
        row = s.execute(
            select(Order, Person).join(Person, Person.id == Order.person_id).where(Order.id == order_id)
        ).first()
    if row is None or row[0].pending_action is None:
        return
    order, person = row
    info = {"id": order.id, "order_ref": order.order_ref, "person": person.full_name, "album": person.album}
    mc_id = order.mc_id
    if mc_id is None:
        if order.status == S.OCZEKUJE.value:
            # Sent once but never confirmed: send the same body again to learn its MC id.
            claimed = await run.write(_claim, run, [order_id], pending=True)
            if not claimed:
                run.fail(info, "inna aktualizacja właśnie przesyła to zamówienie do MC")
                return
            result = await _submit_one(run, claimed[0])
            await run.write(_apply_submissions, run, [result])
            _raise_auth([result])
            with reading(run.ctx.engine) as s:
                mc_id = s.execute(select(Order.mc_id).where(Order.id == order_id)).scalar_one()
            if mc_id is None:
                if not isinstance(result[1], MCError):
                    return
                run.fail(info, str(result[1]))
                return
        else:
            run.fail(info, "brak identyfikatora MC")
            return
    by = "STUDENT" if order.pending_action == CANCEL else "UNIVERSITY"
    try:
        mco = await run.mc.revoke(mc_id, by, order.pending_reason or "")
        conflict = False
    except MCConflict as e:
        if e.order is None:
            run.fail(info, str(e))
            return
        mco, conflict = e.order, True
    except MCAuthError:
        raise
    except MCError as e:
        run.fail(info, f"{e} — zlecenie zostaje i zostanie ponowione")
        return
    await run.write(_apply_confirmation, run, order_id, mco, conflict, info)


def _apply_confirmation(run: _Run, order_id: int, mco: MCOrder, conflict: bool, info: dict[str, Any]) -> None:
    clear = {"pending_action": None, "pending_reason": None, "pending_actor": None,
             "pending_actor_kind": None, "pending_since": None}
    with writing(run.ctx.engine) as s:
        order = s.get(Order, order_id)
        if order is None or order.pending_action is None:
            return
        now = run.ctx.clock.now()
        kind, reason = order.pending_action, order.pending_reason
        actor_kind = Actor(order.pending_actor_kind or Actor.STAFF.value)
        new = S(mco.status)
        try:
            if conflict:
                what = "anulowanie" if kind == CANCEL else "unieważnienie"
                note = f"MC: zamówienie zakończyło się inaczej ({new.label}); {what} nie było potrzebne"
                if new.value == order.status:
                    update_order(s, order, now, **clear)
                    record(s, order, now, Action.MC_CONFLICT, Actor.MC, "", note)
                else:
                    run.apply(s, order, mco, Action.MC_CONFLICT, note, **clear)
                    run.changed(order_id, new)
            else:
                action = Action.CANCELLED if kind == CANCEL else Action.REVOKED
                old = S(order.status)
                if not reachable(old, new):
                    raise IllegalTransition(old, new)
                values = {"qr_code": None, "activation_code": None, "codes_valid_until": None,
                          "mc_id": mco.mc_id, "mc_updated_at": mco.updated_at, **clear}
                change_status(s, order, new, now, action, actor_kind, order.pending_actor or "",
                              f"{reason} (potwierdzone przez MC)", observed=True, **values)
                run.changed(order_id, new)
                run.summary.confirmed += 1
                run.summary.confirmed_ids.append(order_id)
        except (IllegalTransition, StaleOrder) as e:
            run.fail(info, str(e))


async def _confirmations(run: _Run, sel: RefreshSelection, cancel: threading.Event | None) -> None:
    async def work(ids: list[int]) -> int:
        for order_id in ids:
            await _confirm_one(run, order_id)
            run.advance(1)
        return len(ids)

    def chunks() -> Iterator[list[int]]:
        for ids in _ids(run.ctx, _pending(sel), sel):
            yield from ([i] for i in ids)

    await _pipeline(run, chunks(), work, cancel)


# -- entry points ---------------------------------------------------------------------------

async def _run(ctx: Context, sel: RefreshSelection, phases: tuple[str, ...],
               on_progress: Callable[[RefreshProgress], None] | None,
               cancel: threading.Event | None, concurrency: int | None) -> RefreshSummary:
    from mleg_tui.mc import MCClient

    cfg = mc_config(ctx, concurrency)
    started = time.perf_counter()
    async with MCClient(cfg) as mc:
        run = _Run(ctx, mc, on_progress)
        _set_total(run, sel, phases)
        run.advance(0, force=True)
        main = asyncio.ensure_future(_phases(run, sel, phases, cancel))
        try:
            while not main.done():
                if cancel is not None and cancel.is_set():
                    main.cancel()
                await asyncio.wait({main}, timeout=0.05)
            main.result()
        except asyncio.CancelledError:
            run.summary.cancelled = True
        finally:
            if run.leased:
                await asyncio.to_thread(_release, run, sorted(run.leased))
        run.summary.seconds = time.perf_counter() - started
        run.advance(0, force=True)
        return run.summary


def _set_total(run: _Run, sel: RefreshSelection, phases: tuple[str, ...]) -> None:
    """Done so far plus what the phases still to run will go through."""
    ctx, left = run.ctx, 0
    if "submit" in phases and _wanted(sel, S.OCZEKUJE):
        left += _count(ctx, _to_submit(sel), sel)
    if "read" in phases:
        left += _count(ctx, _to_read(ctx, sel), sel)
    if "confirm" in phases:
        left += _count(ctx, _pending(sel), sel)
    run.progress.total = run.summary.total = run.progress.done + left


async def _phases(run: _Run, sel: RefreshSelection, phases: tuple[str, ...], cancel: threading.Event | None) -> None:
    if "submit" in phases and _wanted(sel, S.OCZEKUJE):
        await _submissions(run, sel, cancel)
    if "read" in phases:
        # Orders just submitted are read too: MC may have issued their codes already.
        _set_total(run, sel, tuple(p for p in phases if p != "submit"))
        await _reads(run, sel, cancel)
    if "confirm" in phases:
        await _confirmations(run, sel, cancel)


def _guard(fn: Callable[[], RefreshSummary]) -> RefreshSummary:
    from mleg_tui.mc import MCAuthError

    try:
        return fn()
    except MCAuthError as e:
        raise UserError(str(e)) from None


def refresh(
    ctx: Context,
    selection: RefreshSelection = RefreshSelection(),
    *,
    on_progress: Callable[[RefreshProgress], None] | None = None,
    cancel: threading.Event | None = None,
    concurrency: int | None = None,
) -> RefreshSummary:
    """Submit waiting orders, read live ones, confirm pending revocations (blocking)."""
    ctx.require(Permission.REFRESH)
    return _guard(lambda: asyncio.run(
        _run(ctx, selection, ("submit", "read", "confirm"), on_progress, cancel, concurrency)))


def confirm_orders(ctx: Context, order_ids: list[int], *, cancel: threading.Event | None = None) -> RefreshSummary:
    """Send these orders' pending revocations/cancellations to MC now."""
    return _guard(lambda: asyncio.run(
        _run(ctx, RefreshSelection(order_ids=order_ids), ("confirm",), None, cancel, None)))


def confirm_all(ctx: Context, *, cancel: threading.Event | None = None) -> RefreshSummary:
    """Send every pending revocation/cancellation to MC (the sweep does this each run)."""
    return _guard(lambda: asyncio.run(
        _run(ctx, RefreshSelection(), ("confirm",), None, cancel, None)))


def confirm_pending(ctx: Context, results: list[ActionResult]) -> list[ActionResult]:
    """After a revoke/cancel: ask MC at once; what MC cannot confirm now stays pending."""
    ids = [r.order_id for r in results if r.pending]
    if not ids:
        return results
    summary = confirm_orders(ctx, ids)
    failed = {f.order_id: f.why for f in summary.failures}
    with reading(ctx.engine) as s:
        now = {o.id: o for o in s.execute(select(Order).where(Order.id.in_(ids))).scalars()}  # type: ignore[union-attr]
    out = []
    for r in results:
        o = now.get(r.order_id)
        if not r.pending or o is None:
            out.append(r)
        elif o.pending_action is None:
            st = S(o.status)
            out.append(replace(r, status=st, pending=False,
                               message=f"Zamówienie {r.order_ref}: {r.old_status.label} → {st.label} (potwierdzone przez MC)."))
        else:
            why = failed.get(r.order_id, "brak odpowiedzi MC")
            out.append(replace(r, message=f"{r.message} MC: {why}."))
    return out


def run_refresh_cli(ctx: Context, args: Any) -> int:
    """`mleg-tui refresh`: live progress on a terminal, a summary, failures listed."""
    import sys

    from mleg_tui.domain.status import parse_status

    sel = RefreshSelection(
        albums=list(args.album) or None,
        statuses=frozenset(parse_status(x) for x in args.status) or None,
    )
    tty = sys.stderr.isatty()

    def show(p: RefreshProgress) -> None:
        sys.stderr.write(f"\r\033[K{p.line()}")
        sys.stderr.flush()

    summary = refresh(ctx, sel, on_progress=show if tty else None, concurrency=args.concurrency)
    if tty:
        sys.stderr.write("\r\033[K")
    print(summary.text())
    if summary.failures:
        print(f"Nie udało się zaktualizować ({len(summary.failures)}):")
        for f in summary.failures:
            print(f"  {f}")
        return 1
    return 0
