"""The revocation sweep (issue 3, figures 12-14): struck-off, graduated and doctoral-only
students lose their cards with the reason in words; --dry-run changes nothing; one sweep
at a time; a summary a cron mail can be read from."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from mleg_tui.domain.events import Action, Actor
from mleg_tui.services.importer import import_csv
from mleg_tui.services.mc_sync import refresh
from mleg_tui.services.students import student_view
from mleg_tui.services.sweep import run_sweep
from mleg_tui.services.types import RefreshSelection
from mleg_tui.store import reading
from mleg_tui.store.locks import job_lock
from mleg_tui.store.models import Order, OrderEvent
from support.sync import (
    album,
    assert_consistent,
    events,
    order_of,
    orders,
    register_csv,
    student_row,
)

STRUCK = "skreślenie z listy studentów 1.09.2025"


def only(*ns: int) -> RefreshSelection:
    return RefreshSelection(albums=[album(n) for n in ns])


def _ready(world, ctx, *ns: int) -> None:
    assert not refresh(ctx, only(*ns)).failures
    world.sim.advance(1000)
    assert not refresh(ctx, only(*ns)).failures


def _reimport(ctx, tmp: Path, rows: list[dict[str, str]]) -> None:
    path = tmp / f"register-{len(list(tmp.glob('register-*.csv')))}.csv"
    path.write_text(register_csv(rows), encoding="utf-8")
    import_csv(ctx, path)


def _snapshot(ctx) -> tuple[list[tuple], list[tuple]]:
    with reading(ctx.engine) as s:
        o = [tuple(r) for r in s.execute(select(Order.id, Order.status, Order.version, Order.pending_action,
                                                Order.lease_owner).order_by(Order.id)).all()]
        e = [tuple(r) for r in s.execute(select(OrderEvent.id, OrderEvent.order_id)).all()]
    return o, e


def test_struck_off_students_reimported_and_swept(world, tmp_path):
    """Re-imported from the register as struck off (or graduated, or doctoral only):
    --dry-run lists each order with name, album, status and reason and changes nothing;
    the sweep then revokes each, at MC where MC has it, with the reason in words."""
    ctx = world.ctx()
    _ready(world, ctx, 1, 2, 3, 6)
    world.sim.pickup(order_of(ctx, 2).mc_id)
    assert not refresh(ctx, only(2, 4)).failures  # 2 picked up, 4 just sent to MC
    (tmp_path / "register.csv").write_text(register_csv([  # the register's new export
        student_row(1, programme_status="STRUCK_OFF", status_date="2025-09-01"),
        student_row(2, programme_status="STRUCK_OFF", status_date="2025-09-01"),
        student_row(3, programme_status="GRADUATED", status_date="2024-06-30"),
        student_row(3, programme_code="DR-INF", programme_name="Informatyka (doktorat)", level="DR"),
        student_row(4, programme_status="STRUCK_OFF", status_date="2025-09-01"),
        student_row(5, programme_status="STRUCK_OFF", status_date="2025-09-01"),  # never sent
        student_row(6, programme_status="STRUCK_OFF", status_date="2025-12-01"),  # not yet
    ]), encoding="utf-8")
    imported = world.cli("import", str(tmp_path / "register.csv"))
    assert imported.returncode == 0, imported
    before = _snapshot(ctx)
    expected = {1: "Do odbioru", 2: "Odebrana", 3: "Do odbioru", 4: "W trakcie", 5: "Oczekuje"}

    dry = world.cli("sweep", "--dry-run")
    assert dry.returncode == 0, dry
    assert _snapshot(ctx) == before
    lines = dry.stdout.splitlines()
    assert lines[0] == "Podgląd (nic nie zmieniono): do unieważnienia 5 zamówień.", dry
    for n, label in expected.items():
        o = order_of(ctx, n)
        line = next(x for x in lines if o.order_ref in x)
        name = f"{student_row(n)['first_name']} {student_row(n)['last_name']}"
        assert line.startswith(f"  {name} ({album(n)}) {o.order_ref} {label}: utrata uprawnień: "), line
    assert STRUCK in next(x for x in lines if order_of(ctx, 1).order_ref in x)
    three = next(x for x in lines if order_of(ctx, 3).order_ref in x)
    assert "ukończenie studiów I stopnia 30.06.2024, prawo wygasło 31.10.2024" in three
    assert "DR-INF: studia doktoranckie nie uprawniają" in three or "DR-INF: studia" in three
    assert not any(order_of(ctx, 6).order_ref in x for x in lines)

    swept = world.cli("sweep")
    assert swept.returncode == 0, swept
    head = swept.stdout.splitlines()[0]
    assert head == ("Skrypt unieważniający: znaleziono 5 zamówień osób bez uprawnień; "
                    "unieważniono 5, czeka na potwierdzenie MC 0, błędy 0."), swept
    assert "\r" not in swept.stdout and "\x1b" not in swept.stdout
    for n in expected:
        o = order_of(ctx, n)
        assert o.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE" and o.pending_action is None, (n, o.status)
        line = next(x for x in swept.stdout.splitlines() if o.order_ref in x)
        assert line.endswith("→ unieważniono (potwierdzone przez MC)" if n != 5 else "→ unieważniono"), line
        last = events(ctx, o.id)[-1]
        assert (last.action, last.actor_kind, last.new_status) == (Action.REVOKED.value, Actor.SWEEP.value, o.status)
        assert last.reason.startswith("utrata uprawnień: ")
        if n != 5:
            assert world.sim.order(o.mc_id)["status"] == "UNIEWAZNIONE_PRZEZ_UCZELNIE"
            assert "potwierdzone przez MC" in last.reason
    assert STRUCK in events(ctx, order_of(ctx, 1).id)[-1].reason
    assert order_of(ctx, 5).mc_id is None and world.sim.stats()["orders"] == 5  # 5 never reached MC
    assert order_of(ctx, 6).status == "DO_ODBIORU"
    assert_consistent(ctx)

    view = student_view(ctx, album=album(1))  # figures 13-14: why a new order is refused
    assert not view.verdict.eligible and view.orders[0].status.value == "UNIEWAZNIONE_PRZEZ_UCZELNIE"
    assert "nie masz uprawnień do mLegitymacji" in view.verdict.sentence

    again = run_sweep(ctx)  # nothing left: a second run is a no-op
    assert again.items == [] and not again.failures


def test_only_one_sweep_at_a_time(world):
    ctx = world.ctx()
    _reimport(ctx, world.tmp, [student_row(1, programme_status="STRUCK_OFF", status_date="2025-09-01")])
    with job_lock(ctx.engine, "sweep"):  # a sweep running in this (another) process
        second, dry = world.parallel(("sweep",), ("sweep", "--dry-run"))
    assert second.returncode == 2, second
    assert second.stderr.strip() == ("mleg-tui: Inny skrypt unieważniający właśnie działa na tej bazie; "
                                     "spróbuj później."), second
    assert dry.returncode == 0 and "do unieważnienia 1 zamówienie." in dry.stdout, dry  # a preview may run
    assert order_of(ctx, 1).status == "OCZEKUJE"


def test_sweep_with_mc_down_reports_pending_and_fails_for_cron(world, tmp_path):
    """MC unreachable: the revocation is recorded and waits (the next run retries it);
    the mail says so, lists the order with why, and the exit status is 1."""
    ctx = world.ctx()
    _ready(world, ctx, 1)
    _reimport(ctx, tmp_path, [student_row(n, programme_status="STRUCK_OFF", status_date="2025-09-01")
                              for n in (1, 2)])
    world.stop_mc()
    res = world.cli("sweep", MLEG_TUI_MC_MAX_TRIES="1")
    assert res.returncode == 1, res
    lines = res.stdout.splitlines()
    assert lines[0] == ("Skrypt unieważniający: znaleziono 2 zamówienia osób bez uprawnień; "
                        "unieważniono 1, czeka na potwierdzenie MC 1, błędy 1."), res
    o1, o2 = order_of(ctx, 1), order_of(ctx, 2)
    assert o1.status == "DO_ODBIORU" and o1.pending_action == "REVOKE" and STRUCK in o1.pending_reason
    assert o2.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE"  # never sent: ends at once
    assert any(o1.order_ref in x and x.endswith("→ czeka na potwierdzenie MC") for x in lines), res
    errors = lines[lines.index("Błędy:") + 1:]
    assert len(errors) == 1 and o1.order_ref in errors[0] and "MC niedostępny" in errors[0], res
    assert "zostanie ponowione" in errors[0]


def test_sweep_revokes_an_order_that_changed_since_the_preview(world, tmp_path):
    """A refresh moves an order on (new version) between the sweep's preview and its
    revocation: the sweep looks again and revokes it as it is now, not skipping it."""
    ctx = world.ctx()
    assert not refresh(ctx, only(1, 2)).failures
    world.sim.advance(1000)  # both DO_ODBIORU at MC, W_TRAKCIE in the store
    _reimport(ctx, tmp_path, [student_row(n, programme_status="STRUCK_OFF", status_date="2025-09-01")
                              for n in (1, 2)])
    moved = []

    def meanwhile(n: int, total: int) -> None:
        if n == 1:
            moved.append(refresh(ctx, only(2)).changed)

    summary = run_sweep(ctx, on_progress=meanwhile)
    assert moved == [1] and not summary.failures, summary.text()
    assert summary.revoked == 2 and summary.skipped == 0
    for n in (1, 2):
        o = order_of(ctx, n)
        assert o.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE", (n, o.status)
    trail = [e.new_status for e in events(ctx, order_of(ctx, 2).id) if e.new_status]
    assert trail == ["OCZEKUJE", "W_TRAKCIE", "DO_ODBIORU", "UNIEWAZNIONE_PRZEZ_UCZELNIE"]
    assert_consistent(ctx)
    assert len(orders(ctx)) > 2
