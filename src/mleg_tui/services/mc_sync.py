"""The store's conversation with MC: submit waiting orders, read live ones, and confirm
revocations and cancellations that wait for MC.

MC's answers are applied in short transactions with their events (services.mc_answers), so
an interrupted run (Ctrl+C, kill -9) loses nothing and leaves nothing half-updated; the
next run repeats what was not applied. Submissions are claimed (a lease, services.mc_leases) so two runs never
send one order twice, and the body sent is kept, so a repeat after a lost response is the
same request under the same Idempotency-Key and MC answers with the same order.

Submissions stream: at most AHEAD x concurrency orders are claimed and not yet answered, and
the answers are stored by one writer in batches as they arrive (never more than
APPLY_EVERY late), so a kill -9 costs at most those few orders a repeat. Reads go by
batchGet pages of 100, each page stored in one transaction.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from mleg_tui.domain.events import PendingAction
from mleg_tui.domain.runs import RunKind
from mleg_tui.domain.status import OrderStatus
from mleg_tui.errors import UserError
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.mc_answers import Applied, apply_confirmation, apply_page, apply_submissions, fail_ids
from mleg_tui.services.mc_leases import Claimed, claim, new_owner, release, request_of
from mleg_tui.services.types import ActionResult, RefreshFailure, RefreshProgress, RefreshSelection, RefreshSummary
from mleg_tui.store import reading
from mleg_tui.store.models import Order, Person
from mleg_tui.store.queries import card_in_use, not_pending, pending

if TYPE_CHECKING:
    from mleg_tui.mc import MCClient, MCConfig, MCError, MCOrder

__all__ = ["confirm_all", "confirm_orders", "confirm_pending", "mc_config", "refresh"]

S = OrderStatus
MIN_LEASE = dt.timedelta(minutes=5)
CHUNK = 100  # ids read from the store at a time; one batchGet page
APPLY_EVERY = 0.2  # seconds an answer from MC may wait before it is stored
APPLY_BATCH = 200  # ... or this many answers
# Orders claimed and not yet answered, per slot of concurrency. Claims queue behind the
# store's one writer; with fewer in hand the slots ran dry while a batch of answers was
# being stored (2x: 255-261 submissions/s against 271-274 with 4x, 50 ms latency, c=16).
# After a kill -9 these many wait for their lease to run out before another run sends them.
AHEAD = 4
READ_STATUSES = (S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)


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
        backoff_initial=st.mc_backoff_initial,
        backoff_max=st.mc_backoff_max,
        concurrency=concurrency or st.mc_concurrency,
        deadline=st.mc_deadline,
        max_response=st.mc_max_response_bytes,
        allow_insecure_http=st.mc_allow_insecure_http,
    )


def lease_for(cfg: MCConfig) -> dt.timedelta:
    """Long enough for one submission with all its tries: a lease must not run out while
    its holder is still sending (another run would send the order too)."""
    one_try = cfg.connect_timeout + cfg.read_timeout + cfg.backoff_max
    return max(MIN_LEASE, dt.timedelta(seconds=2 * cfg.max_tries * one_try))


class _Run:
    """One refresh (or confirmation) run: its MC client, lease owner, counters, and the
    one-at-a-time store writer."""

    def __init__(self, ctx: Context, mc: MCClient, report: Callable[[RefreshProgress], None] | None):
        self.ctx = ctx
        self.mc = mc
        self.owner = new_owner()
        self.lease = lease_for(mc.cfg)
        self.summary = RefreshSummary()
        self.progress = RefreshProgress()
        self.leased: set[int] = set()
        self.fatal: MCError | None = None  # e.g. the token refused: stop the run
        self._report = report
        self._write_lock = asyncio.Lock()
        self._started = time.perf_counter()
        self._last_report = 0.0

    def tally(self, applied: Applied, done: int = 0) -> None:
        for order_id, status in applied.changed:
            self.summary.changed += 1
            self.summary.by_status[status.value] = self.summary.by_status.get(status.value, 0) + 1
            self.progress.changed += 1
            self.progress.changed_ids.append(order_id)
        self.summary.confirmed += len(applied.confirmed)
        self.summary.confirmed_ids.extend(applied.confirmed)
        self.summary.submitted += applied.submitted
        for f in applied.failures:
            self.fail(f)
        self.advance(done)

    def fail(self, failure: RefreshFailure) -> None:
        self.summary.failures.append(failure)
        self.progress.errors += 1

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
        """Store writes run in a thread, one at a time, so MC traffic keeps flowing. A
        write once started is waited for even if the run is being stopped, so the run
        never stops between a commit and what it reports."""
        async with self._write_lock:
            fut = asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kw))
            try:
                return await asyncio.shield(fut)
            except asyncio.CancelledError:
                await asyncio.wait([fut])
                raise
            except IntegrityError:
                # Only an MC id taken by two orders at once (two runs, PostgreSQL) gets past
                # the checks; the database's message would carry the row, codes and all.
                raise UserError("MC podał identyfikator zamówienia, który ma już inne zamówienie; "
                                "tej partii odpowiedzi nie zapisano, następna aktualizacja ją powtórzy.") from None


# -- selections ------------------------------------------------------------------------

def _selected(stmt: Any, sel: RefreshSelection) -> Any:
    if sel.order_ids is not None:
        stmt = stmt.where(col(Order.id).in_(sel.order_ids))
    if sel.albums is not None:
        stmt = stmt.where(col(Order.album).in_(sel.albums))
    return stmt


def _keyset(ctx: Context, base: Any, sel: RefreshSelection, size: int = CHUNK) -> Iterator[list[Any]]:
    """Rows (id first) of a selection, `size` at a time by keyset: memory stays flat."""
    last = 0
    while True:
        stmt = _selected(base.where(col(Order.id) > last), sel).order_by(col(Order.id)).limit(size)
        with reading(ctx.engine) as s:
            rows = list(s.execute(stmt).all())
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _wanted(sel: RefreshSelection, status: OrderStatus) -> bool:
    return sel.statuses is None or status in sel.statuses


def _count(ctx: Context, stmt: Any, sel: RefreshSelection) -> int:
    with reading(ctx.engine) as s:
        return int(s.execute(_selected(stmt, sel).with_only_columns(func.count())).scalar_one())


def _to_submit() -> Any:
    return select(col(Order.id)).where(col(Order.status) == S.OCZEKUJE.value, not_pending())


def _to_read(ctx: Context, sel: RefreshSelection) -> Any:
    statuses = [x.value for x in READ_STATUSES if _wanted(sel, x)]
    return select(col(Order.id), col(Order.mc_id)).where(
        col(Order.status).in_(statuses), col(Order.mc_id).is_not(None), card_in_use(ctx.clock.today()))


def _pending() -> Any:
    return select(col(Order.id)).where(pending())


# -- submissions -------------------------------------------------------------------------

async def _submit_one(run: _Run, item: Claimed) -> tuple[MCOrder, bool] | MCError:
    from mleg_tui.mc import MCError

    try:
        return await run.mc.submit(request_of(item))
    except MCError as e:
        return e


class _Applier:
    """Answers to submissions, stored by one writer in batches as they arrive: at most
    APPLY_EVERY seconds late, and under load in larger batches (one transaction each)."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.items: list[tuple[Claimed, Any]] = []
        self.wake = asyncio.Event()
        self.closing = False
        self.task = asyncio.ensure_future(self._loop())

    def add(self, item: Claimed, outcome: Any) -> None:
        self.items.append((item, outcome))
        if len(self.items) >= APPLY_BATCH:
            self.wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), APPLY_EVERY)
            except TimeoutError:
                pass
            self.wake.clear()
            if self.items:
                batch, self.items = self.items, []
                run = self.run
                applied = await run.write(apply_submissions, run.ctx, run.owner, batch)
                run.leased.difference_update(c.id for c, _ in batch)
                run.tally(applied, done=len(batch))
            elif self.closing:
                return

    async def close(self) -> None:
        """Store every answer received so far."""
        self.closing = True
        self.wake.set()
        await self.task


async def _submissions(run: _Run, sel: RefreshSelection) -> None:
    from mleg_tui.mc import MCAuthError

    conc = max(1, run.mc.cfg.concurrency)
    window = asyncio.Semaphore(AHEAD * conc)  # claimed and not yet answered
    applier = _Applier(run)
    senders: set[asyncio.Task[None]] = set()

    async def send(item: Claimed) -> None:
        try:
            outcome = await _submit_one(run, item)
            applier.add(item, outcome)
            if isinstance(outcome, MCAuthError):
                run.fatal = outcome
        finally:
            window.release()

    try:
        for rows in _keyset(run.ctx, _to_submit(), sel):
            ids = [r[0] for r in rows]
            for i in range(0, len(ids), conc):
                part = ids[i:i + conc]
                for _ in part:
                    await window.acquire()
                if applier.task.done():
                    applier.task.result()  # the store failed: stop here, with its error
                if run.fatal:
                    break
                # Noted before the claim: stopped while it commits, the run still gives
                # back whatever it got (release touches only rows this run holds).
                run.leased.update(part)
                claimed = await run.write(claim, run.ctx, run.owner, part, run.lease)
                for _ in range(len(part) - len(claimed)):
                    window.release()
                run.leased.difference_update(set(part) - {c.id for c in claimed})
                run.advance(len(part) - len(claimed))  # another run holds them: its to report
                for item in claimed:
                    task = asyncio.ensure_future(send(item))
                    senders.add(task)
                    task.add_done_callback(senders.discard)
            if run.fatal:
                break
        if senders:
            await asyncio.wait(set(senders))
    finally:
        for task in senders:
            task.cancel()
        if senders:
            await asyncio.gather(*senders, return_exceptions=True)
        await applier.close()
    if run.fatal:
        raise run.fatal


# -- reads -----------------------------------------------------------------------------------

async def _pipeline(run: _Run, chunks: Iterator[Any], work: Callable[[Any], Awaitable[None]]) -> None:
    """Run `work` over the chunks, `concurrency` at a time."""
    limit = max(1, run.mc.cfg.concurrency)
    tasks: set[asyncio.Task[None]] = set()
    try:
        for chunk in chunks:
            while len(tasks) >= limit:
                done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for t in done:
                    t.result()
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


async def _reads(run: _Run, sel: RefreshSelection) -> None:
    from mleg_tui.mc import MCAuthError, MCError

    async def work(rows: list[Any]) -> None:
        ids = [r[0] for r in rows]
        try:
            orders, not_found = await run.mc.batch_get([r[1] for r in rows])
        except MCAuthError:
            raise
        except MCError as e:
            run.tally(await asyncio.to_thread(fail_ids, run.ctx, ids, str(e)), done=len(ids))
            return
        applied = await run.write(apply_page, run.ctx, ids, orders, not_found)
        run.summary.read += len(orders)
        run.tally(applied, done=len(ids))

    page = max(1, min(run.mc.cfg.batch_size, CHUNK))
    await _pipeline(run, _keyset(run.ctx, _to_read(run.ctx, sel), sel, page), work)


# -- pending revocations and cancellations ----------------------------------------------------

async def _confirm_one(run: _Run, order_id: int) -> None:
    from mleg_tui.mc import MCAuthError, MCConflict, MCError

    ctx = run.ctx
    with reading(ctx.engine) as s:
        row = s.execute(
            select(Order, Person).join(Person, col(Person.id) == Order.person_id).where(col(Order.id) == order_id)
        ).first()
    if row is None or row[0].pending_action is None:
        return
    order, person = row

    def fail(why: str) -> None:
        run.fail(RefreshFailure(order_id, order.order_ref, person.full_name, person.album or "", why))

    mc_id = order.mc_id
    if mc_id is None:
        if order.status != S.OCZEKUJE.value:
            fail("brak identyfikatora MC")
            return
        # Sent once but never confirmed: send the same body again to learn its MC id.
        run.leased.add(order_id)
        claimed = await run.write(claim, ctx, run.owner, [order_id], run.lease, pending=True)
        if not claimed:
            run.leased.discard(order_id)
            fail("inna aktualizacja właśnie przesyła to zamówienie do MC")
            return
        outcome = await _submit_one(run, claimed[0])
        applied = await run.write(apply_submissions, ctx, run.owner, [(claimed[0], outcome)])
        run.leased.discard(order_id)
        run.tally(applied)
        if isinstance(outcome, MCAuthError):
            raise outcome
        if isinstance(outcome, MCError) or applied.failures:
            # A failure listed, or MC refused the order (BLAD, nothing to revoke); an answer
            # not taken (another order's MC id, say) is never used to revoke anything.
            return
        mc_id = outcome[0].mc_id
    by = PendingAction(order.pending_action).mc_by
    try:
        mco = await run.mc.revoke(mc_id, by, order.pending_reason or "")
        conflict = False
    except MCConflict as e:
        if e.order is None:
            fail(f"{e} — zlecenie zostaje i zostanie ponowione")
            return
        mco, conflict = e.order, True
    except MCAuthError:
        raise
    except MCError as e:
        fail(f"{e} — zlecenie zostaje i zostanie ponowione")
        return
    run.tally(await run.write(apply_confirmation, ctx, order_id, mco, conflict))


async def _confirmations(run: _Run, sel: RefreshSelection) -> None:
    async def work(rows: list[Any]) -> None:
        await _confirm_one(run, rows[0])
        run.advance(1)

    def one_at_a_time() -> Iterator[list[Any]]:
        for rows in _keyset(run.ctx, _pending(), sel):
            yield from ([r[0]] for r in rows)

    await _pipeline(run, one_at_a_time(), work)


# -- entry points ---------------------------------------------------------------------------

async def _run(ctx: Context, sel: RefreshSelection, phases: tuple[str, ...],
               on_progress: Callable[[RefreshProgress], None] | None,
               cancel: threading.Event | None, concurrency: int | None) -> RefreshSummary:
    from mleg_tui.mc import MCClient

    cfg = mc_config(ctx, concurrency)
    started = time.perf_counter()
    async with MCClient(cfg) as mc:
        run = _Run(ctx, mc, on_progress)
        await asyncio.to_thread(_set_total, run, sel, phases)
        run.advance(0, force=True)
        main = asyncio.ensure_future(_phases(run, sel, phases))
        try:
            try:
                while not main.done() and not (cancel is not None and cancel.is_set()):
                    await asyncio.wait({main}, timeout=0.05)
            except asyncio.CancelledError:  # Ctrl+C: asyncio.run cancels this task
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
            if not main.done():
                # Stop cleanly: requests in flight are dropped, answers already received
                # are stored, and what is left stays for the next run.
                run.summary.cancelled = True
                main.cancel()
                await asyncio.gather(main, return_exceptions=True)
            if not main.cancelled():
                main.result()
        finally:
            if run.leased:
                await asyncio.to_thread(release, ctx, run.owner, sorted(run.leased))
        run.summary.seconds = time.perf_counter() - started
        run.advance(0, force=True)
        return run.summary


def _set_total(run: _Run, sel: RefreshSelection, phases: tuple[str, ...]) -> None:
    """Done so far plus what the phases still to run will go through."""
    ctx, left = run.ctx, 0
    if "submit" in phases and _wanted(sel, S.OCZEKUJE):
        left += _count(ctx, _to_submit(), sel)
    if "read" in phases:
        left += _count(ctx, _to_read(ctx, sel), sel)
    if "confirm" in phases:
        left += _count(ctx, _pending(), sel)
    run.progress.total = run.summary.total = run.progress.done + left


async def _phases(run: _Run, sel: RefreshSelection, phases: tuple[str, ...]) -> None:
    if "submit" in phases and _wanted(sel, S.OCZEKUJE):
        await _submissions(run, sel)
    if "read" in phases:
        # Orders just submitted are read too: MC may have issued their codes already.
        await asyncio.to_thread(_set_total, run, sel, tuple(p for p in phases if p != "submit"))
        await _reads(run, sel)
    if "confirm" in phases:
        await _confirmations(run, sel)


def _guard(fn: Callable[[], RefreshSummary]) -> RefreshSummary:
    from mleg_tui.mc import MCAuthError

    try:
        return fn()
    except MCAuthError as e:
        raise UserError(str(e)) from None


def refresh(
    ctx: Context,
    selection: RefreshSelection | None = None,
    *,
    on_progress: Callable[[RefreshProgress], None] | None = None,
    cancel: threading.Event | None = None,
    concurrency: int | None = None,
) -> RefreshSummary:
    """Submit waiting orders, read live ones, confirm pending revocations (blocking); the
    run's report is kept in the store (services.runs)."""
    from mleg_tui.services import runs

    ctx.require(Permission.REFRESH)
    mc_config(ctx, concurrency)  # no MC configured: said before anything is recorded
    return runs.reported(ctx, RunKind.REFRESH, lambda: _guard(lambda: asyncio.run(
        _run(ctx, selection or RefreshSelection(), ("submit", "read", "confirm"), on_progress, cancel,
             concurrency))), runs.finish_refresh)


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
        now = {o.id: o for o in s.execute(select(Order).where(col(Order.id).in_(ids))).scalars()}
    out = []
    for r in results:
        o = now.get(r.order_id)
        if not r.pending or o is None:
            out.append(r)
        elif o.pending_action is None:
            st = S(o.status)
            how = "potwierdzone przez MC" if r.order_id in summary.confirmed_ids else "MC zakończył je inaczej"
            out.append(replace(r, status=st, pending=False,
                               message=f"Zamówienie {r.order_ref}: {r.old_status.label} → {st.label} ({how})."))
        else:
            why = failed.get(r.order_id, "brak odpowiedzi MC")
            out.append(replace(r, message=f"{r.message} MC: {why}."))
    return out
