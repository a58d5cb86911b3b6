"""Reports of refresh and sweep runs (issue 13): every run, from the TUI's services or the
command line, keeps who started it, when, how long, its counts, each failure with why and
each revoked order with the student's name, album number and reason; a run stopped (Esc,
Ctrl+C) is kept as interrupted, one killed as started and not finished."""
from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import pytest

from mleg_tui.domain.events import Actor
from mleg_tui.domain.runs import ItemOutcome, RunKind, RunState
from mleg_tui.errors import UserError
from mleg_tui.services.context import Forbidden, os_login
from mleg_tui.services.importer import import_csv
from mleg_tui.services.mc_sync import refresh
from mleg_tui.services.runs import list_runs, run_report
from mleg_tui.services.sweep import run_sweep
from mleg_tui.services.types import RefreshSelection
from support.sync import (
    TEMPLATE_STUDENTS,
    album,
    order_of,
    register_csv,
    restart_sim,
    statuses,
    student_row,
    wait_for,
)

ALL = TEMPLATE_STUDENTS


def only(*ns: int) -> RefreshSelection:
    return RefreshSelection(albums=[album(n) for n in ns])


def _strike_off(ctx, tmp: Path, *ns: int) -> None:
    path = tmp / f"register-{len(list(tmp.glob('register-*.csv')))}.csv"
    path.write_text(register_csv([student_row(n, programme_status="STRUCK_OFF", status_date="2025-09-01")
                                  for n in ns]), encoding="utf-8")
    import_csv(ctx, path)


def _name(n: int) -> str:
    row = student_row(n)
    return f"{row['first_name']} {row['last_name']}"


def test_a_refresh_from_cron_and_a_sweep_from_the_tui_keep_their_reports(world, tmp_path):
    first = world.cli("refresh")  # no terminal: as cron runs it
    assert first.returncode == 0, first
    ctx = world.ctx()  # as the TUI opens it: a person at it
    (run,) = list_runs(ctx)
    assert (run.kind, run.state, run.actor, run.actor_kind, run.origin) == (
        RunKind.REFRESH, RunState.DONE, os_login(), Actor.SYSTEM, "CLI")
    assert run.submitted == ALL and run.failed == 0 and run.finished_at is not None
    assert run.seconds is not None and run.seconds >= 0 and run.started_at <= run.finished_at
    assert run.summary and run.summary.startswith("Aktualizacja statusów zakończona w ")

    world.sim.advance(1000)
    assert not refresh(ctx, only(1, 2, 3)).failures  # codes issued: live at MC
    _strike_off(ctx, tmp_path, 1, 2)
    swept = run_sweep(ctx)
    assert swept.revoked == 2 and not swept.failures, swept.text()

    runs = list_runs(ctx)
    assert [r.kind for r in runs] == [RunKind.SWEEP, RunKind.REFRESH, RunKind.REFRESH]  # newest first
    assert [r.id for r in runs] == sorted((r.id for r in runs), reverse=True)
    sweep = runs[0]
    assert (sweep.actor, sweep.actor_kind, sweep.origin, sweep.state) == ("ewa.k", Actor.STAFF, "TUI", RunState.DONE)
    assert (sweep.found, sweep.revoked, sweep.pending, sweep.failed) == (2, 2, 0, 0)
    report = run_report(ctx, sweep.id)
    assert [(i.order_ref, i.person, i.album, i.outcome) for i in report.swept] == [
        (order_of(ctx, n).order_ref, _name(n), album(n), ItemOutcome.REVOKED) for n in (1, 2)]
    assert all(i.reason and "skreślenie z listy studentów 1.09.2025" in i.reason for i in report.items)
    text = report.text()
    assert "Uruchomił: ewa.k (pracownik, z aplikacji)" in text
    assert f"{order_of(ctx, 1).order_ref} {_name(1)} ({album(1)}) Do odbioru: utrata uprawnień: " in text
    assert "→ unieważniono" in text

    # The next sweep finds nobody: its report says so, and the one before keeps its list.
    assert run_sweep(ctx).items == []
    assert "nikt nie stracił uprawnień" in run_report(ctx, list_runs(ctx)[0].id).text()
    assert len(run_report(ctx, sweep.id).swept) == 2

    shown = world.cli("runs")
    assert shown.returncode == 0, shown
    lines = shown.stdout.splitlines()
    assert lines[1].split()[0] == str(sweep.id + 1) and "skrypt unieważniający" in lines[1], shown
    assert any(x.split()[0] == str(run.id) and "aktualizacja statusów" in x and f"przekazano {ALL}" in x
               for x in lines), shown
    one = world.cli("runs", "show", str(sweep.id))
    assert one.returncode == 0 and _name(2) in one.stdout and album(2) in one.stdout, one
    data = json.loads(world.cli("runs", "show", str(sweep.id), "--json").stdout)
    assert data["kind"] == "SWEEP" and data["counts"]["revoked"] == 2
    assert {i["album"] for i in data["items"]} == {album(1), album(2)}
    listed = json.loads(world.cli("runs", "--kind", "refresh", "--json").stdout)
    assert [r["kind"] for r in listed] == ["REFRESH", "REFRESH"]


def test_each_failure_is_kept_with_why_and_no_pesel(world, tmp_path):
    ctx = world.ctx()
    assert not refresh(ctx, only(1, 2, 3, 4)).failures
    world.sim.advance(1000)
    known = [world.sim.order(order_of(ctx, n).mc_id) for n in (1, 3)]
    world.sim = restart_sim(world.sim, tmp_path / "other-mc.json")  # an MC that knows only some
    world.sim.preload(known)
    res = world.cli("refresh", "--album", *(album(n) for n in (1, 2, 3, 4)))
    assert res.returncode == 1, res
    run = list_runs(ctx)[0]
    assert run.state is RunState.DONE and run.failed == 2 and run.read == 2
    failures = run_report(ctx, run.id).failures
    assert [(f.order_ref, f.person, f.album) for f in failures] == [
        (order_of(ctx, n).order_ref, _name(n), album(n)) for n in (2, 4)]
    assert all(f.why and "MC nie zna tego zamówienia" in f.why for f in failures)
    shown = world.cli("runs", "show", str(run.id))
    assert "Błędy (2):" in shown.stdout and "MC nie zna tego zamówienia" in shown.stdout, shown
    every = json.dumps(run_report(ctx, run.id).as_json(), ensure_ascii=False) + shown.stdout
    pesels = {student_row(n)["pesel"] for n in range(1, 5)} - {""}
    assert pesels and not any(p in every for p in pesels)


def test_a_refresh_stopped_with_ctrl_c_or_killed_is_kept_as_such(world):
    world.sim.set_knobs(latency_ms=40)
    proc = world.popen("refresh", "--concurrency", "4")
    wait_for(lambda: world.sim.stats()["requests"].get("submit", 0) >= 40 or proc.poll() is not None)
    proc.send_signal(signal.SIGINT)
    assert world.finish(proc, ("refresh",)).returncode == 130
    ctx = world.ctx()
    stopped = list_runs(ctx)[0]
    assert stopped.state is RunState.INTERRUPTED and stopped.finished_at is not None
    assert 0 < stopped.submitted == statuses(ctx)["W_TRAKCIE"] < ALL
    assert "przerwana" in run_report(ctx, stopped.id).text()

    proc = world.popen("refresh", "--concurrency", "4")
    wait_for(lambda: world.sim.stats()["requests"].get("submit", 0) >= stopped.submitted + 40
             or proc.poll() is not None)
    proc.kill()
    world.finish(proc, ("refresh",))
    killed = list_runs(ctx)[0]
    assert killed.id == stopped.id + 1
    assert killed.state is RunState.RUNNING and killed.finished_at is None and killed.seconds is None
    text = world.cli("runs", "show", str(killed.id)).stdout
    assert "nie zakończona (trwa albo przerwana bez zapisu: awaria, kill -9)" in text, text


def test_a_sweep_stopped_midway_says_what_it_did_and_what_it_did_not(world, tmp_path):
    ctx = world.ctx()
    _strike_off(ctx, tmp_path, 1, 2, 3, 4)  # never sent to MC: each ends at once
    stop = threading.Event()

    def progress(n: int, total: int) -> None:
        if n == 2:
            stop.set()

    summary = run_sweep(ctx, on_progress=progress, cancel=stop)
    assert summary.cancelled and summary.revoked == 2
    run = list_runs(ctx)[0]
    assert run.state is RunState.INTERRUPTED and (run.found, run.revoked, run.done) == (4, 2, 2)
    outcomes = [i.outcome for i in run_report(ctx, run.id).items]
    assert outcomes == [ItemOutcome.REVOKED] * 2 + [ItemOutcome.NOT_REACHED] * 2


def test_no_report_for_a_dry_run_a_refused_run_or_a_viewer(world, tmp_path):
    ctx = world.ctx()
    _strike_off(ctx, tmp_path, 1)
    assert len(run_sweep(ctx, dry_run=True).items) == 1  # changes nothing, so no report
    viewer = world.ctx(read_only=True)
    with pytest.raises(Forbidden):
        refresh(viewer)
    with pytest.raises(UserError, match="Nie skonfigurowano adresu MC"):
        refresh(world.ctx(mc_url=""))
    assert list_runs(ctx) == []
    with pytest.raises(UserError, match="Nie ma raportu nr 7"):
        run_report(ctx, 7)
    assert list_runs(viewer) == []  # a viewer may read them


def test_a_refresh_ended_by_an_error_keeps_why(world):
    res = world.cli("refresh", "--album", album(1), MLEG_TUI_MC_TOKEN="wr0ng-t0ken-123456")
    assert res.returncode == 2, res
    run = list_runs(world.ctx())[0]
    assert run.state is RunState.FAILED and run.error and "MC odmówił dostępu (HTTP 401)" in run.error
    assert "wr0ng" not in run.error


def test_a_sweep_stopped_with_ctrl_c_while_mc_confirms_is_kept_as_interrupted(world, tmp_path):
    ctx = world.ctx()
    assert not refresh(ctx).failures  # every order at MC: each revocation waits for MC's word
    _strike_off(ctx, tmp_path, *range(40))
    world.sim.set_knobs(latency_ms=150)
    proc = world.popen("sweep", MLEG_TUI_MC_CONCURRENCY="1")
    wait_for(lambda: world.sim.stats()["requests"].get("revoke", 0) >= 3 or proc.poll() is not None)
    proc.send_signal(signal.SIGINT)
    res = world.finish(proc, ("sweep",))
    assert res.returncode == 130 and "Przerwano" in res.stdout and "Traceback" not in res.stderr, res
    run = list_runs(ctx)[0]
    assert run.kind is RunKind.SWEEP and run.state is RunState.INTERRUPTED and run.finished_at is not None
    assert run.found == 40 and 0 < run.revoked < 40 and run.revoked + run.pending == 40
    outcomes = {i.outcome for i in run_report(ctx, run.id).items}
    assert outcomes == {ItemOutcome.REVOKED, ItemOutcome.PENDING}
