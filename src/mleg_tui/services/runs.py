"""Reports of refresh and sweep runs: written as a run starts and as it ends, read by the
TUI's list and `mleg-tui runs`.

A run is recorded before it touches anything (state RUNNING) and completed in the same
call that ends it, whatever ends it: done, stopped (Esc, Ctrl+C), or an error. A run that
never completes its report (kill -9, a power cut) stays RUNNING: "started, not finished".
Only real runs are recorded: a dry run changes nothing, and a run refused before it starts
(no right to it, no MC configured) did nothing to report. Texts kept never hold a PESEL
(any eleven digits in MC's words are masked) nor a code: the failures' causes are MC's
messages and ours, the sweep's reasons are words.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import insert, select, update
from sqlmodel import col

from mleg_tui.domain.events import Actor
from mleg_tui.domain.pesel import mask_in
from mleg_tui.domain.runs import ItemOutcome, RunKind, RunState
from mleg_tui.domain.status import OrderStatus
from mleg_tui.errors import MlegError, UserError
from mleg_tui.services.context import Context
from mleg_tui.services.report_types import RunItemView, RunReport, RunView
from mleg_tui.services.types import RefreshFailure, RefreshSummary, SweepSummary
from mleg_tui.store import reading, writing
from mleg_tui.store.models import Run, RunItem

T = TypeVar("T")
log = logging.getLogger(__name__)
ITEMS_PER_INSERT = 1000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)  # real time, whatever `today` says


def start(ctx: Context, kind: RunKind) -> int:
    """Record a run that starts now; its id."""
    with writing(ctx.engine) as s:
        run = Run(kind=kind.value, state=RunState.RUNNING.value, actor=ctx.login,
                  actor_kind=(Actor.STAFF if ctx.attended else Actor.SYSTEM).value, origin=ctx.origin,
                  as_of=ctx.clock.today(), started_at=_now())
        s.add(run)
        s.flush()
        return run.id or 0


def _failure_item(run_id: int, f: RefreshFailure) -> dict[str, object]:
    return {"run_id": run_id, "order_id": f.order_id or None, "order_ref": f.order_ref, "person": f.person,
            "album": f.album, "outcome": ItemOutcome.FAILED.value, "why": mask_in(f.why)}


def _finish(ctx: Context, run_id: int, state: RunState, values: dict[str, object],
            items: Iterable[dict[str, object]]) -> None:
    now = _now()
    with writing(ctx.engine) as s:
        started = s.execute(select(col(Run.started_at)).where(col(Run.id) == run_id)).scalar_one()
        s.execute(update(Run).where(col(Run.id) == run_id).values(
            state=state.value, finished_at=now, seconds=(now - started).total_seconds(), **values))
        batch: list[dict[str, object]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= ITEMS_PER_INSERT:
                s.execute(insert(RunItem), batch)
                batch = []
        if batch:
            s.execute(insert(RunItem), batch)


def finish_refresh(ctx: Context, run_id: int, summary: RefreshSummary) -> None:
    state = RunState.INTERRUPTED if summary.cancelled else RunState.DONE
    _finish(ctx, run_id, state,
            {"total": summary.total, "done": summary.done, "read": summary.read,
             "submitted": summary.submitted, "changed": summary.changed, "confirmed": summary.confirmed,
             "failed": len(summary.failures), "summary": mask_in(summary.text())},
            (_failure_item(run_id, f) for f in summary.failures))


def finish_sweep(ctx: Context, run_id: int, summary: SweepSummary) -> None:
    state = RunState.INTERRUPTED if summary.cancelled else RunState.DONE
    failed = {f.order_id: f for f in summary.failures}

    def items() -> Iterator[dict[str, object]]:
        for i in summary.items:
            outcome = summary.outcomes.get(i.order_id, ItemOutcome.NOT_REACHED)
            f = failed.pop(i.order_id, None) if outcome is ItemOutcome.FAILED else None
            yield {"run_id": run_id, "order_id": i.order_id, "order_ref": i.order_ref, "person": i.person,
                   "album": i.album, "status": i.status.value, "outcome": outcome.value, "reason": i.reason,
                   "why": mask_in(f.why) if f else ("potwierdzone przez MC" if i.order_id in summary.confirmed_by_mc
                                                    else None)}
        for f in failed.values():  # at MC: earlier revocations still not confirmed
            yield _failure_item(run_id, f)

    _finish(ctx, run_id, state,
            {"total": len(summary.items), "done": len(summary.outcomes), "found": len(summary.items),
             "revoked": summary.revoked, "pending": summary.pending, "skipped": summary.skipped,
             "confirmed": summary.earlier_confirmed, "failed": len(summary.failures),
             "summary": mask_in(summary.text().splitlines()[0])},
            items())


def _ended_by(ctx: Context, run_id: int, e: BaseException) -> None:
    """The run ended by an error or an interrupt before it could report: say so."""
    interrupted = isinstance(e, (KeyboardInterrupt, SystemExit))
    if interrupted:
        why = None
    elif isinstance(e, MlegError):  # ours: a Polish line without personal data (MC's words masked)
        why = mask_in(str(e))
    else:
        why = "błąd programu (szczegóły w dzienniku programu)"
    _finish(ctx, run_id, RunState.INTERRUPTED if interrupted else RunState.FAILED, {"error": why}, ())


@contextmanager
def _recording_errors(ctx: Context, run_id: int) -> Iterator[None]:
    try:
        yield
    except BaseException as e:
        try:
            _ended_by(ctx, run_id, e)
        except Exception:  # noqa: BLE001 - the store failing too: the run's own error is the one to tell
            pass
        raise


def reported(ctx: Context, kind: RunKind, run: Callable[[], T], finish: Callable[[Context, int, T], None]) -> T:
    """Run `run()` with its report: started now, completed with what it returns (or how it
    failed). The report is the store's record; a failure to write its end never hides the
    run's own result."""
    run_id = start(ctx, kind)
    with _recording_errors(ctx, run_id):
        result = run()
    try:
        finish(ctx, run_id, result)
    except Exception as e:  # noqa: BLE001 - the run is done; its report stays "not finished"
        log.warning("the report of run %s could not be completed: %s", run_id, type(e).__name__)
    return result


# -- reading -------------------------------------------------------------------------------------

def _view(ctx: Context, r: Run) -> RunView:
    local = ctx.clock.local
    return RunView(
        id=r.id or 0, kind=RunKind(r.kind), state=RunState(r.state), actor=r.actor,
        actor_kind=Actor(r.actor_kind), origin=r.origin, as_of=r.as_of,
        started_at=local(r.started_at), finished_at=local(r.finished_at) if r.finished_at else None,
        seconds=r.seconds, total=r.total, done=r.done, read=r.read, submitted=r.submitted,
        changed=r.changed, confirmed=r.confirmed, found=r.found, revoked=r.revoked, pending=r.pending,
        skipped=r.skipped, failed=r.failed, summary=r.summary, error=r.error)


def list_runs(ctx: Context, *, limit: int = 100, before: int | None = None,
              kind: RunKind | None = None) -> list[RunView]:
    """Runs newest first, `limit` at a time (`before`: the id of the last one shown)."""
    stmt = select(Run).order_by(col(Run.id).desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(col(Run.id) < before)
    if kind is not None:
        stmt = stmt.where(col(Run.kind) == kind.value)
    with reading(ctx.engine) as s:
        return [_view(ctx, r) for r in s.execute(stmt).scalars()]


def run_report(ctx: Context, run_id: int) -> RunReport:
    """The whole report of one run; a clear message when there is none of that number."""
    with reading(ctx.engine) as s:
        run = s.get(Run, run_id)
        if run is None:
            raise UserError(f"Nie ma raportu nr {run_id}: numery raportów podaje `mleg-tui runs`.")
        items = s.execute(select(RunItem).where(col(RunItem.run_id) == run_id)
                          .order_by(col(RunItem.id))).scalars().all()
        return RunReport(_view(ctx, run), tuple(
            RunItemView(order_id=i.order_id, order_ref=i.order_ref, person=i.person, album=i.album,
                        status=OrderStatus(i.status) if i.status else None, outcome=ItemOutcome(i.outcome),
                        reason=i.reason, why=i.why)
            for i in items))
