"""The status refresh against a simulated MC over loopback HTTP (issue 3): the manual's
story from OCZEKUJE to DO_ODBIORU/ODEBRANA/BLAD, interrupted runs (kill -9, Ctrl+C), two
runs at once, revocations while MC is down, MC's word in conflicts, and a flaky MC."""
from __future__ import annotations

import datetime as dt
import logging
import re
import signal

import httpx

from mleg_tui.cli.textviews import student_text
from mleg_tui.domain.events import Action, Actor
from mleg_tui.services import actions
from mleg_tui.services.context import os_login
from mleg_tui.services.importer import import_csv
from mleg_tui.services.mc_sync import confirm_pending, refresh
from mleg_tui.services.students import student_view
from mleg_tui.services.types import RefreshSelection
from support.sync import (
    FLAKY,
    TEMPLATE_STUDENTS,
    TOKEN,
    album,
    assert_consistent,
    assert_no_secrets,
    assert_once_at_mc,
    events,
    issued_codes,
    order_of,
    orders,
    register_csv,
    restart_sim,
    statuses,
    student_row,
    wait_for,
)

ALL = TEMPLATE_STUDENTS


def only(*ns: int) -> RefreshSelection:
    return RefreshSelection(albums=[album(n) for n in ns])


def test_story_from_oczekuje_to_do_odbioru_odebrana_blad(world):
    """`mleg-tui refresh` takes every waiting order to MC; MC issues codes or fails some;
    a student picks up; the help desk then sees the QR code text (never the activation
    code), every change recorded with actor MC, and codes left unused shown as expired."""
    world.sim.set_knobs(blad=0.2)
    first = world.cli("refresh")
    assert first.returncode == 0, first
    assert f"przekazano do MC {ALL}" in first.stdout, first
    assert re.search(r"zakończona w \d+,\d s: ", first.stdout) and not re.search(r"\d\.\d", first.stdout), first
    assert "\r" not in first.stdout + first.stderr and "\x1b" not in first.stderr  # not a tty
    ctx = world.ctx()
    assert statuses(ctx) == {"W_TRAKCIE": ALL}

    world.sim.advance(1000)  # MC issues the codes (or ends in BLAD)
    picked = order_of(ctx, 1)
    if world.sim.order(picked.mc_id)["status"] != "DO_ODBIORU":
        picked = next(o for o in orders(ctx) if world.sim.order(o.mc_id)["status"] == "DO_ODBIORU")
    world.sim.pickup(picked.mc_id)
    summary = refresh(ctx)
    assert not summary.failures and summary.submitted == 0
    counts = statuses(ctx)
    assert counts.get("ODEBRANA") == 1 and counts.get("BLAD", 0) > 0 and counts.get("W_TRAKCIE") is None
    assert counts["DO_ODBIORU"] + counts["BLAD"] + 1 == ALL
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx)

    failed = next(o for o in orders(ctx) if o.status == "BLAD")
    assert failed.error_code in {"PESEL_MISMATCH", "PHOTO_REJECTED", "PERSON_NOT_FOUND", "DUPLICATE_ACTIVE_CARD"}
    assert failed.error_message and failed.qr_code is None
    trail = [(e.action, e.actor_kind, e.actor, e.old_status, e.new_status) for e in events(ctx, picked.id)]
    assert trail == [  # MC's word, with the login whose refresh read it (the CLI's: the system's)
        (Action.PLACED.value, Actor.STUDENT.value, "ewa.k", None, "OCZEKUJE"),
        (Action.SUBMITTED.value, Actor.MC.value, os_login(), "OCZEKUJE", "W_TRAKCIE"),
        (Action.MC_STATUS.value, Actor.MC.value, "ewa.k", "W_TRAKCIE", "ODEBRANA"),
    ]

    ready = next(o for o in orders(ctx) if o.status == "DO_ODBIORU")
    at_mc = world.sim.order(ready.mc_id)
    assert ready.qr_code == at_mc["qr_code"] and ready.activation_code == at_mc["activation_code"]
    n = int(ready.album) - 200000
    shown = world.cli("student", album(n))
    assert shown.returncode == 0, shown
    assert f"Kod QR: {at_mc['qr_code']}" in shown.stdout and "Do odbioru".upper() in shown.stdout
    assert "KODY WYGASŁY" not in shown.stdout
    assert f"system MC (uruchomił {os_login()}) · przekazanie do systemu MC · Oczekuje → W trakcie" in shown.stdout

    # A month later the codes were never used: the view says so.
    later = (ready.codes_valid_until + dt.timedelta(days=2)).date().isoformat()
    text = student_text(student_view(world.ctx(today=later), album=album(n)))
    assert f"Kod QR: {at_mc['qr_code']} (KODY WYGASŁY" in text, text


def _submitted_again(ctx) -> int:
    return sum(1 for o in orders(ctx) for e in events(ctx, o.id)
               if e.action == Action.SUBMITTED.value and e.reason and "powtórzone" in e.reason)


def _midway(world, proc, submits: int) -> None:
    """Wait until the refresh has sent `submits` orders (and not finished)."""
    wait_for(lambda: world.sim.stats()["requests"].get("submit", 0) >= submits or proc.poll() is not None)
    assert proc.poll() is None, "the refresh ended before it could be interrupted"


def test_refresh_killed_midway_and_run_again(world):
    """kill -9 in the middle of submissions: what was applied stays applied with its
    events, the rest stays OCZEKUJE; the next run finishes, sending each order to MC
    exactly once (an order whose answer was lost is sent again with the same body and
    MC answers with the same order)."""
    world.sim.set_knobs(latency_ms=40)
    proc = world.popen("refresh", "--concurrency", "4")
    _midway(world, proc, 60)
    proc.kill()
    world.finish(proc, ("refresh",))
    ctx = world.ctx()
    mid = statuses(ctx)
    assert 0 < mid.get("W_TRAKCIE", 0) < ALL and mid["OCZEKUJE"] + mid["W_TRAKCIE"] == ALL, mid
    assert_consistent(ctx, leases_free=False)  # leases of the dead run may remain

    world.sim.set_knobs(latency_ms=0)
    again = world.cli("refresh")
    assert again.returncode == 0, again
    assert statuses(ctx) == {"W_TRAKCIE": ALL}
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx)
    # Sent twice: only what was in flight or not yet stored when the run died (at most
    # AHEAD x concurrency claimed + what arrived in the last APPLY_EVERY); each such repeat is
    # MC's 200 with the same order, recorded as such.
    extra = world.sim.stats()["requests"]["submit"] - ALL
    assert 0 <= _submitted_again(ctx) <= extra <= 40, (extra, _submitted_again(ctx))


def test_refresh_interrupted_with_ctrl_c_and_run_again(world):
    """Ctrl+C: the run stops cleanly (answers received are stored, leases given back),
    says so, and exits 130 so cron sees it did not finish; the next run completes."""
    world.sim.set_knobs(latency_ms=40)
    proc = world.popen("refresh", "--concurrency", "4")
    _midway(world, proc, 40)
    proc.send_signal(signal.SIGINT)
    res = world.finish(proc, ("refresh",))
    assert res.returncode == 130, res
    assert "przerwana" in res.stdout, res
    assert "Traceback" not in res.stderr, res
    ctx = world.ctx()
    assert_consistent(ctx)  # a clean stop leaves no lease behind
    assert 0 < statuses(ctx).get("W_TRAKCIE", 0) < ALL

    world.sim.set_knobs(latency_ms=0)
    again = world.cli("refresh")
    assert again.returncode == 0, again
    assert statuses(ctx) == {"W_TRAKCIE": ALL}
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx)


def test_refresh_stopped_from_the_tui_stores_what_came_back(world):
    """The TUI's Esc (the cancel event): answers already received are stored, requests
    in flight dropped, leases given back; nothing half-written."""
    import threading

    world.sim.set_knobs(latency_ms=20)
    ctx = world.ctx(mc_concurrency=4)
    stop = threading.Event()

    lines: list[str] = []

    def progress(p) -> None:
        lines.append(p.line())
        if p.done >= 30:
            stop.set()

    summary = refresh(ctx, on_progress=progress, cancel=stop)
    assert summary.cancelled and not summary.failures
    assert re.fullmatch(r"Aktualizacja statusów przerwana po \d+,\d s: .*", summary.text().split(" Pozostałe")[0])
    # The live line as the dialog shows it: a rate with a decimal comma below 10 a second.
    assert all(re.fullmatch(r"\d+/\d+ · zmienione: \d+ · błędy: \d+ · (\d\d+|\d,\d)/s · pozostało: .+", line)
               for line in lines), lines
    done = statuses(ctx).get("W_TRAKCIE", 0)
    assert 30 <= done < ALL and done == summary.submitted  # what it reported is what it stored
    assert_consistent(ctx)


def test_two_refreshes_at_once_never_submit_an_order_twice(world):
    """Two `mleg-tui refresh` processes over the same store (a cron job and a person):
    leases split the orders between them; MC sees each order exactly once."""
    world.sim.set_knobs(latency_ms=40)
    a, b = world.parallel(("refresh", "--concurrency", "4"), ("refresh", "--concurrency", "4"))
    assert a.returncode == 0 and b.returncode == 0, (a, b)
    stats = world.sim.stats()
    assert stats["max_in_flight"] > 4, "the two runs did not overlap"  # 4 each
    assert stats["requests"]["submit"] == ALL  # not one order sent twice
    ctx = world.ctx()
    assert statuses(ctx) == {"W_TRAKCIE": ALL}
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx)


def _ready(world, ctx, *ns: int) -> None:
    """These students' orders: submitted, codes issued (DO_ODBIORU in the store)."""
    assert not refresh(ctx, only(*ns)).failures
    world.sim.advance(1000)
    assert not refresh(ctx, only(*ns)).failures
    assert {order_of(ctx, n).status for n in ns} == {"DO_ODBIORU"}


def test_revocation_while_mc_is_down_waits_then_is_confirmed(world):
    """MC down: the revocation is recorded as pending, with its reason, in the student
    view; a refresh then also fails visibly (exit 1, each order with why). MC up: the
    next refresh confirms one, the next sweep (cron) the other."""
    ctx = world.ctx()
    _ready(world, ctx, 1, 2)
    world.sim.pickup(order_of(ctx, 2).mc_id)
    assert not refresh(ctx, only(2)).failures
    codes = issued_codes(world.sim)
    world.stop_mc()

    down = {"MLEG_TUI_MC_MAX_TRIES": "1"}
    reason = "skreślenie z listy studentów (SKR-102)"
    r1 = world.cli("revoke", album(1), "--reason", reason, **down)
    assert r1.returncode == 0, r1
    assert "czeka na potwierdzenie MC" in r1.stdout and "MC niedostępny" in r1.stdout, r1
    r2 = world.cli("revoke", album(2), "--reason", "rezygnacja ze studiów", **down)
    assert r2.returncode == 0, r2
    shown = world.cli("student", album(1), **down)
    assert "Oczekuje na potwierdzenie MC: unieważnienie" in shown.stdout, shown
    assert f"powód: {reason}" in shown.stdout, shown
    failed = world.cli("refresh", "--album", album(1), album(2), **down)
    assert failed.returncode == 1, failed
    listed = failed.stdout.split("Nie udało się", 1)[1]
    for n in (1, 2):
        o = order_of(ctx, n)
        assert o.status in ("DO_ODBIORU", "ODEBRANA") and o.pending_action == "REVOKE"
        line = next(x for x in listed.splitlines() if o.order_ref in x)
        assert album(n) in line and "MC niedostępny" in line, line

    world.restart()
    up = world.cli("refresh", "--album", album(1))
    assert up.returncode == 0, up
    o1 = order_of(ctx, 1)
    assert o1.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE" and o1.pending_action is None
    assert o1.qr_code is None and o1.activation_code is None
    last = events(ctx, o1.id)[-1]
    assert (last.action, last.new_status, last.actor_kind) == (Action.REVOKED.value, o1.status, Actor.STAFF.value)
    assert reason in last.reason and "potwierdzone przez MC" in last.reason
    assert order_of(ctx, 2).pending_action == "REVOKE"  # not in that refresh's selection

    swept = world.cli("sweep")
    assert swept.returncode == 0, swept
    o2 = order_of(ctx, 2)
    assert o2.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE" and o2.pending_action is None
    assert world.sim.order(o2.mc_id)["status"] == "UNIEWAZNIONE_PRZEZ_UCZELNIE"
    assert_consistent(ctx)
    assert_no_secrets(world.seen, codes)


def _mc_revoke(world, mc_id: str, by: str) -> None:
    """MC carries out a request whose answer never reached us (the 'lost response')."""
    r = httpx.post(f"{world.sim.url}/v1/orders/{mc_id}:revoke", json={"by": by, "reason": "x"},
                   headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text


def test_mc_says_the_order_ended_otherwise(world):
    """409 from MC: the order takes MC's state, with an event saying so. A card the student
    removed in the app shows as ANULOWANE_PRZEZ_UZYTKOWNIKA after a refresh. A pending
    request that MC carried out (the answer was lost) is confirmed by the next read."""
    ctx = world.ctx()
    _ready(world, ctx, 1, 2, 3, 4, 5)
    world.sim.set_knobs(blad=1.0)  # the next order submitted ends in BLAD at MC
    assert not refresh(ctx, only(6)).failures
    world.sim.advance(1000)  # ... which the store has not read yet (W_TRAKCIE)

    # The student removed the card in mObywatel, then the office revokes it.
    world.sim.remove(order_of(ctx, 1).mc_id)
    res = confirm_pending(ctx, actions.revoke_orders(ctx, [order_of(ctx, 1).id], "skreślenie"))
    o1 = order_of(ctx, 1)
    assert o1.status == "ANULOWANE_PRZEZ_UZYTKOWNIKA" and o1.pending_action is None, res
    last = events(ctx, o1.id)[-1]
    assert (last.action, last.actor_kind, last.new_status) == (Action.MC_CONFLICT.value, "MC", o1.status)
    assert "zakończyło się inaczej" in last.reason

    # MC ended the order in BLAD before the revocation reached it.
    confirm_pending(ctx, actions.revoke_orders(ctx, [order_of(ctx, 6).id], "skreślenie"))
    o6 = order_of(ctx, 6)
    assert o6.status == "BLAD" and o6.error_code and o6.pending_action is None
    assert events(ctx, o6.id)[-1].action == Action.MC_CONFLICT.value

    # The student removes the card in the app; the office learns it by a refresh.
    world.sim.remove(order_of(ctx, 2).mc_id)
    assert not refresh(ctx, only(2)).failures
    o2 = order_of(ctx, 2)
    assert o2.status == "ANULOWANE_PRZEZ_UZYTKOWNIKA" and o2.qr_code is None
    assert events(ctx, o2.id)[-1].actor_kind == Actor.MC.value

    # Pending while MC was down, yet carried out at MC: the read confirms it.
    world.stop_mc()
    actions.revoke_orders(ctx, [order_of(ctx, 3).id], "utrata uprawnień")
    actions.cancel_order(ctx, album(4), reason="nowy telefon")
    actions.revoke_orders(ctx, [order_of(ctx, 5).id], "utrata uprawnień")
    world.restart()
    _mc_revoke(world, order_of(ctx, 3).mc_id, "UNIVERSITY")
    _mc_revoke(world, order_of(ctx, 4).mc_id, "STUDENT")
    world.sim.remove(order_of(ctx, 5).mc_id)  # ... while the student removed this one
    summary = refresh(ctx, only(3, 4, 5))
    assert not summary.failures, [str(f) for f in summary.failures]
    o3, o4, o5 = order_of(ctx, 3), order_of(ctx, 4), order_of(ctx, 5)
    assert (o3.status, o4.status, o5.status) == (
        "UNIEWAZNIONE_PRZEZ_UCZELNIE", "ANULOWANE_PRZEZ_UZYTKOWNIKA", "ANULOWANE_PRZEZ_UZYTKOWNIKA")
    assert events(ctx, o3.id)[-1].action == Action.REVOKED.value
    assert "utrata uprawnień" in events(ctx, o3.id)[-1].reason
    assert events(ctx, o4.id)[-1].action == Action.CANCELLED.value
    assert events(ctx, o5.id)[-1].action == Action.MC_CONFLICT.value
    assert_consistent(ctx)
    assert not refresh(ctx).failures  # nothing left to retry


def _typo(n: int) -> str:
    """Student n's PESEL with the last digit mistyped (the checksum fails)."""
    pesel = student_row(n)["pesel"]
    return pesel[:-1] + str((int(pesel[-1]) + 1) % 10)


def test_rejected_submission_ends_in_blad_with_mcs_reason(world, tmp_path):
    """A PESEL typo in the register (after the order was placed): MC refuses the order
    (400) and it ends BLAD with MC's reason; the others go on."""
    ctx = world.ctx()
    (tmp_path / "fix.csv").write_text(register_csv([student_row(7, pesel=_typo(7))]), encoding="utf-8")
    import_csv(ctx, tmp_path / "fix.csv")
    summary = refresh(ctx, only(7, 8))
    assert not summary.failures
    o7, o8 = order_of(ctx, 7), order_of(ctx, 8)
    assert o8.status == "W_TRAKCIE"
    assert o7.status == "BLAD" and o7.mc_id is None
    assert o7.error_code == "PARAM_INVALID" and "pesel" in (o7.error_message or "").lower()
    last = events(ctx, o7.id)[-1]
    assert last.actor_kind == Actor.MC.value and "MC odrzucił zamówienie" in last.reason
    assert world.sim.stats()["orders"] == 1

    # The same typo, but the order was sent while MC was down and then revoked (pending:
    # it may be at MC). MC up: the repeat is refused; the order ends BLAD, nothing pending.
    (tmp_path / "typo9.csv").write_text(register_csv([student_row(9, pesel=_typo(9))]), encoding="utf-8")
    import_csv(ctx, tmp_path / "typo9.csv")
    world.stop_mc()
    down = refresh(world.ctx(mc_max_tries=1), only(9))
    assert len(down.failures) == 1 and "MC niedostępny" in down.failures[0].why
    (pending,) = actions.revoke_orders(ctx, [order_of(ctx, 9).id], "rezygnacja")
    assert pending.pending
    world.restart()
    summary = refresh(ctx, only(9))
    o9 = order_of(ctx, 9)
    assert o9.status == "BLAD" and o9.pending_action is None, (o9.status, summary.failures)
    assert not summary.failures
    assert "unieważnienie nie było potrzebne" in events(ctx, o9.id)[-1].reason
    assert_consistent(ctx)


def test_orders_not_refreshed_are_listed_and_exit_nonzero(world, tmp_path):
    """MC no longer knows some orders (here: a new MC instance that knows only some):
    exit status 1, each order listed with why; the rest refreshed."""
    ctx = world.ctx()
    _ready(world, ctx, 1, 2, 3, 4)
    known = [world.sim.order(order_of(ctx, n).mc_id) for n in (1, 3)]
    world.sim = restart_sim(world.sim, tmp_path / "other-mc.json")
    world.sim.preload(known)
    world.sim.pickup(known[0]["mc_id"])
    res = world.cli("refresh", "--album", *(album(n) for n in (1, 2, 3, 4)))
    assert res.returncode == 1, res
    assert "Nie udało się zaktualizować (2)" in res.stdout, res
    for n in (2, 4):
        o = order_of(ctx, n)
        line = next(x for x in res.stdout.splitlines() if o.order_ref in x)
        assert album(n) in line and "MC nie zna tego zamówienia" in line and o.mc_id in line
    assert order_of(ctx, 1).status == "ODEBRANA" and order_of(ctx, 3).status == "DO_ODBIORU"


def test_wrong_token_is_a_clear_error_and_never_echoed(world):
    world.sim.set_knobs(echo_auth=True)  # a careless server that echoes the header back
    wrong = "wr0ng-t0ken-123456"
    res = world.cli("refresh", "--album", album(1), MLEG_TUI_MC_TOKEN=wrong)
    assert res.returncode == 2, res
    assert "MC odmówił dostępu (HTTP 401)" in res.stderr and "Traceback" not in res.stderr
    assert wrong not in res.stdout + res.stderr
    assert order_of(world.ctx(), 1).status == "OCZEKUJE"


def test_whole_story_against_an_mc_failing_a_third_of_requests(world, tmp_path, caplog):
    """5xx, 429 storms, garbled bodies and reset connections (~1/3 of all requests, some
    after MC did the work): with enough tries the story ends as with a healthy MC, each
    order created once at MC, and neither the token nor a code in any output or log."""
    from mleg_tui.services.sweep import run_sweep

    caplog.set_level(logging.DEBUG, logger="mleg_tui")
    world.sim.set_knobs(**FLAKY, blad=0.2, echo_auth=True)  # echo_auth: bodies echo the token
    group = list(range(20, 40))
    first = world.cli("refresh", "--album", *(album(n) for n in group), MLEG_TUI_MC_MAX_TRIES="12",
                      MLEG_TUI_MC_BACKOFF_INITIAL="0.05")
    assert first.returncode == 0, first
    ctx = world.ctx(mc_max_tries=12, mc_backoff_initial=0.05)
    assert {order_of(ctx, n).status for n in group} == {"W_TRAKCIE"}

    world.sim.advance(1000)
    ready = [n for n in group if world.sim.order(order_of(ctx, n).mc_id)["status"] == "DO_ODBIORU"]
    assert len(ready) >= 5 and len(ready) < len(group)
    world.sim.pickup(order_of(ctx, ready[0]).mc_id)
    world.sim.remove(order_of(ctx, ready[1]).mc_id)
    summary = refresh(ctx, only(*group))
    assert not summary.failures, [str(f) for f in summary.failures]
    codes = issued_codes(world.sim)

    actions.revoke_orders(ctx, [order_of(ctx, ready[2]).id], "rezygnacja ze studiów")
    actions.cancel_order(ctx, album(ready[3]), reason="nowy telefon")
    import_csv(ctx, _struck_off_file(tmp_path, ready[4]))
    swept = run_sweep(ctx)  # revokes the struck-off one, confirms all three at MC
    assert not swept.failures and swept.revoked == 1, swept.text()

    got = {n: order_of(ctx, n).status for n in group}
    assert {got[n] for n in group if n not in ready} == {"BLAD"}
    assert [got[n] for n in ready[:5]] == [
        "ODEBRANA", "ANULOWANE_PRZEZ_UZYTKOWNIKA", "UNIEWAZNIONE_PRZEZ_UCZELNIE",
        "ANULOWANE_PRZEZ_UZYTKOWNIKA", "UNIEWAZNIONE_PRZEZ_UCZELNIE"]
    assert {got[n] for n in ready[5:]} == {"DO_ODBIORU"}
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx, faults=True)
    faults = world.sim.stats()["faults"]
    assert sum(faults.values()) >= 5 and len({k.split("_")[0] for k in faults}) >= 3, faults
    assert_no_secrets([caplog.text], codes)


def _struck_off_file(tmp_path, n: int):
    path = tmp_path / f"struck-{n}.csv"
    path.write_text(register_csv([student_row(n, programme_status="STRUCK_OFF", status_date="2025-09-01")]),
                    encoding="utf-8")
    return path


def test_summary_counts_orders_in_polish():
    from mleg_tui.services.types import RefreshSummary

    assert "odczytano stan 1 zamówienia;" in RefreshSummary(read=1).text()
    assert "odczytano stan 3 zamówień;" in RefreshSummary(read=3).text()
    assert "odczytano stan 22 zamówień;" in RefreshSummary(read=22).text()


def test_reads_go_by_pages_of_100_with_bounded_concurrency(world):
    """Live orders are read by batchGet pages of 100 ids, `mc_concurrency` pages at a time."""
    ctx = world.ctx(mc_concurrency=2)
    assert refresh(ctx).submitted == ALL
    world.sim.reset_stats()
    world.sim.set_knobs(latency_ms=30)
    summary = refresh(ctx)
    assert summary.read == ALL and not summary.failures
    stats = world.sim.stats()
    assert stats["requests"] == {"batch_get": -(-ALL // 100)}
    assert stats["max_in_flight"] == 2


def test_a_stopped_read_asks_no_further_page_and_drops_the_ones_in_flight(world):
    """Pages are asked for as slots free up, not all at once: stopped after the first page
    came back, the run has asked for at most one more, and none is left in flight."""
    import threading

    ctx = world.ctx(mc_concurrency=1)
    assert refresh(ctx).submitted == ALL
    world.sim.reset_stats()
    world.sim.set_knobs(latency_ms=300)
    stop = threading.Event()

    def progress(p) -> None:
        if p.done >= 100:
            stop.set()

    summary = refresh(ctx, on_progress=progress, cancel=stop)
    assert summary.cancelled and summary.read == 100
    wait_for(lambda: world.sim.stats()["in_flight"] == 0, timeout=3)
    assert world.sim.stats()["requests"]["batch_get"] <= 2 < -(-ALL // 100)
    assert_consistent(ctx)
