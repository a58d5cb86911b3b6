"""The refresh against a hostile MC: answers that never end, that are nested 200k deep,
that break the contract's limits or speak of orders that are not ours. Each is a failure
listed in the summary, nothing of it stored, the run goes on to the end, no traceback,
and neither the token nor a code in any output."""
from __future__ import annotations

import asyncio
import time
from typing import Any

from mleg_tui.services.mc_sync import RefreshSelection, refresh
from support.hostile_mc import HostileServer, Request, Tamper, head, local_address, passthrough
from support.sync import TOKEN, album, assert_consistent, order_of, statuses


def only(*ns: int) -> RefreshSelection:
    return RefreshSelection(albums=[album(n) for n in ns])


def test_a_trickling_mc_cannot_keep_a_cron_refresh_running(world):
    """Every answer a byte a second: each call ends at mc_deadline, the run ends, every
    order is listed, exit status 1."""
    async def trickle(req: Request, out: asyncio.StreamWriter) -> None:
        out.write(head(200, {"Content-Type": "application/json", "Content-Length": "5000"}))
        await srv.stream(out, (b" " for _ in range(5000)), pause=1.0)

    with HostileServer(trickle) as srv:
        start = time.monotonic()
        res = world.cli("refresh", "--album", album(1), album(2), timeout=30, MLEG_TUI_MC_URL=srv.url,
                        MLEG_TUI_MC_DEADLINE="2", MLEG_TUI_MC_READ_TIMEOUT="5")
        elapsed = time.monotonic() - start
    assert res.returncode == 1, res
    assert elapsed < 15, elapsed
    assert "Traceback" not in res.stderr and "Nie udało się zaktualizować (2)" in res.stdout, res
    for n in (1, 2):
        line = next(x for x in res.stdout.splitlines() if album(n) in x)
        assert "brak pełnej odpowiedzi w 2 s (mc_deadline)" in line, line
    ctx = world.ctx()
    assert {order_of(ctx, n).status for n in (1, 2)} == {"OCZEKUJE"}
    assert_consistent(ctx)


def deep_batches(req: Request, status: int, body: Any) -> tuple[int, Any]:
    if req.path.endswith(":batchGet"):
        return 200, b'{"orders": ' + b"[" * 200_000 + b"]" * 200_000 + b', "not_found": []}'
    return status, body


def test_json_nested_200k_deep_is_a_listed_failure_not_the_end_of_the_run(world):
    """The reads' answers nested 200k deep: each page's orders listed, the submissions
    of the same run stored, exit status 1, no traceback."""
    with Tamper(world.sim.url, deep_batches) as mc:
        res = world.cli("refresh", "--album", album(1), album(2), MLEG_TUI_MC_URL=mc.url,
                        MLEG_TUI_MC_MAX_TRIES="2", MLEG_TUI_MC_BACKOFF_INITIAL="0.01")
    assert res.returncode == 1, res
    assert "Traceback" not in res.stderr and "RecursionError" not in res.stdout + res.stderr, res
    assert "przekazano do MC 2" in res.stdout, res
    listed = res.stdout.split("Nie udało się zaktualizować (2):", 1)[1]
    assert listed.count("JSON zagnieżdżony zbyt głęboko") == 2, res
    assert statuses(world.ctx()).get("W_TRAKCIE") == 2


def test_an_mc_far_beyond_the_size_limit_is_a_listed_failure(world):
    """A page answer of 6 MB (an unknown key, well-formed): refused past 4 MiB."""
    def huge(req: Request, status: int, body: Any) -> tuple[int, Any]:
        if req.path.endswith(":batchGet"):
            return status, {**body, "padding": "x" * (6 * 2**20)}
        return status, body

    ctx = world.ctx()
    assert refresh(ctx, only(1, 2)).submitted == 2
    with Tamper(world.sim.url, huge) as mc:
        summary = refresh(world.ctx(mc_url=mc.url), only(1, 2))
    assert len(summary.failures) == 2 and summary.read == 0
    assert all("większa niż 4 MiB" in f.why for f in summary.failures), summary.failures


def test_plain_http_to_another_machine_is_refused_unless_allowed_and_then_warned(world):
    """The token never goes in the clear by accident: a clear refusal (exit 2, nothing
    sent); allowed on purpose, the refresh runs and says it is insecure."""
    res = world.cli("refresh", "--album", album(1), MLEG_TUI_MC_URL="http://mc.example/api")
    assert res.returncode == 2, res
    assert "https://" in res.stderr and "mc_allow_insecure_http" in res.stderr and "Traceback" not in res.stderr
    assert TOKEN not in res.stdout + res.stderr
    addr = local_address()
    if addr is None:
        return  # no address besides loopback here: the refusal is what can be tried
    with Tamper(world.sim.url, passthrough, host=addr) as mc:
        refused = world.cli("refresh", "--album", album(1), MLEG_TUI_MC_URL=mc.url)
        assert refused.returncode == 2 and not mc.server.requests, refused
        allowed = world.cli("refresh", "--album", album(1), MLEG_TUI_MC_URL=mc.url,
                            MLEG_TUI_MC_ALLOW_INSECURE_HTTP="true")
    assert allowed.returncode == 0, allowed
    assert f"({addr}) bez szyfrowania" in allowed.stdout + allowed.stderr, allowed
    assert order_of(world.ctx(), 1).status == "W_TRAKCIE"


# -- answers about orders that are not ours ----------------------------------------------------

QR, CODE = "Q" * 32, "777111"
CODES = {"status": "DO_ODBIORU", "qr_code": QR, "activation_code": CODE,
         "codes_valid_until": "2025-10-03T22:20:32+02:00"}


def is_submit(req: Request) -> bool:
    return req.method == "POST" and req.path == "/v1/orders"


def ready(world, ctx, *ns: int) -> None:
    """These students' orders: submitted, codes issued (DO_ODBIORU in the store)."""
    assert not refresh(ctx, only(*ns)).failures
    world.sim.advance(1000)
    assert not refresh(ctx, only(*ns)).failures
    assert {order_of(ctx, n).status for n in ns} == {"DO_ODBIORU"}


def assert_quiet(res, *secrets: str) -> None:
    text = res.stdout + res.stderr
    assert "Traceback" not in text and "Error" not in text, res
    for secret in secrets:
        assert secret not in text, res


def test_an_mc_id_another_order_holds_is_a_listed_failure_nothing_stored(world):
    """MC answers a submission with the MC id of another order of ours (with codes): once
    an IntegrityError traceback that printed the QR text and the activation code."""
    ctx = world.ctx()
    assert not refresh(ctx, only(1)).failures
    taken = order_of(ctx, 1).mc_id

    def theirs(req: Request, status: int, body: Any) -> tuple[int, Any]:
        if is_submit(req):
            return 200, {**body, "mc_id": taken, **CODES}
        return status, body

    with Tamper(world.sim.url, theirs) as mc:
        res = world.cli("refresh", "--album", album(2), album(3), MLEG_TUI_MC_URL=mc.url)
    assert res.returncode == 1, res
    assert_quiet(res, QR, CODE)
    for n in (2, 3):
        line = next(x for x in res.stdout.splitlines() if album(n) in x)
        assert f"MC podał identyfikator {taken}, który ma już zamówienie {order_of(ctx, 1).order_ref}" in line, line
        o = order_of(ctx, n)
        assert (o.status, o.mc_id, o.qr_code, o.activation_code) == ("OCZEKUJE", None, None, None)
    assert order_of(ctx, 1).mc_id == taken and order_of(ctx, 1).status == "W_TRAKCIE"
    assert_consistent(ctx)


def test_two_answers_with_one_mc_id_in_one_batch_store_neither(world):
    """Within one batch of answers neither of two orders given one MC id is stored: which
    of them MC meant cannot be known."""
    import datetime as dt

    from mleg_tui.mc import MCOrder
    from mleg_tui.services.mc_answers import apply_submissions
    from mleg_tui.services.mc_leases import claim, new_owner

    ctx = world.ctx()
    owner = new_owner()
    claimed = claim(ctx, owner, [order_of(ctx, n).id for n in (1, 2)], dt.timedelta(minutes=5))
    answers = [(c, (MCOrder.from_json({"mc_id": "dup-1", "order_ref": c.order_ref, "status": "W_TRAKCIE"}), True))
               for c in claimed]
    applied = apply_submissions(ctx, owner, answers)
    assert applied.submitted == 0 and not applied.changed
    assert [f.why for f in applied.failures] == ["MC podał ten sam identyfikator dup-1 dla 2 zamówień"] * 2
    assert {(order_of(ctx, n).status, order_of(ctx, n).mc_id) for n in (1, 2)} == {("OCZEKUJE", None)}
    assert_consistent(ctx)


def test_a_read_about_another_order_ref_is_a_listed_failure(world):
    ctx = world.ctx()
    assert not refresh(ctx, only(1, 2)).failures
    world.sim.advance(1000)  # MC has issued the codes: the store must not take them from this

    def foreign(req: Request, status: int, body: Any) -> tuple[int, Any]:
        if req.path.endswith(":batchGet"):
            body["orders"] = [{**o, "order_ref": "OBCA-" + o["order_ref"]} for o in body["orders"]]
        return status, body

    with Tamper(world.sim.url, foreign) as mc:
        res = world.cli("refresh", "--album", album(1), album(2), MLEG_TUI_MC_URL=mc.url)
    assert res.returncode == 1, res
    assert_quiet(res)
    assert res.stdout.count("MC podał stan innego zamówienia (OBCA-") == 2, res
    assert {(order_of(ctx, n).status, order_of(ctx, n).qr_code) for n in (1, 2)} == {("W_TRAKCIE", None)}


def test_two_contradictory_answers_for_one_order_in_one_batch_store_nothing(world):
    ctx = world.ctx()
    assert not refresh(ctx, only(1, 2)).failures
    world.sim.advance(1000)

    def twice(req: Request, status: int, body: Any) -> tuple[int, Any]:
        if req.path.endswith(":batchGet"):
            first = body["orders"][0]
            body["orders"].append({**first, "status": "BLAD", "qr_code": None, "activation_code": None,
                                   "codes_valid_until": None, "error_code": "PHOTO_REJECTED"})
        return status, body

    with Tamper(world.sim.url, twice) as mc:
        summary = refresh(world.ctx(mc_url=mc.url), only(1, 2))
    assert len(summary.failures) == 2 and summary.changed == 0
    assert all("dwa razy" in f.why for f in summary.failures), summary.failures
    assert {order_of(ctx, n).status for n in (1, 2)} == {"W_TRAKCIE"}


def test_fields_beyond_the_limits_are_listed_and_never_stored(world):
    """A 1 MB activation code, a 5 MB QR text, a 5 KB MC id, an escape in MC's reason:
    listed, nothing stored, the student's page still opens."""
    from mleg_tui.cli.textviews import student_text
    from mleg_tui.services.students import student_view

    ctx = world.ctx()
    assert not refresh(ctx, only(1, 2, 3)).failures
    world.sim.advance(1000)
    ids = {order_of(ctx, n).mc_id: n for n in (1, 2, 3)}
    breach = {1: {"activation_code": "7" * 2**20}, 2: {"qr_code": "Q" * (5 * 2**20)},
              3: {"status": "BLAD", "error_code": "PHOTO_REJECTED",
                  "error_message": "zdjęcie\x1b[2J\x1b]52;c;eA==\x07"}}

    for n, over in breach.items():
        def bad(req: Request, status: int, body: Any, n: int = n, over: dict = over) -> tuple[int, Any]:
            if req.path.endswith(":batchGet"):
                body["orders"] = [{**o, **over} if ids.get(o["mc_id"]) == n else o for o in body["orders"]]
            return status, body

        with Tamper(world.sim.url, bad) as mc:
            summary = refresh(world.ctx(mc_url=mc.url), only(n))
        assert len(summary.failures) == 1 and summary.changed == 0, summary.failures
        why = summary.failures[0].why
        assert "niezgodna z umową" in why or "większa niż 4 MiB" in why, why
        assert "\x1b" not in why and "7777" not in why
        o = order_of(ctx, n)
        assert (o.status, o.qr_code, o.activation_code, o.error_message) == ("W_TRAKCIE", None, None, None)

    def long_id(req: Request, status: int, body: Any) -> tuple[int, Any]:
        return (status, {**body, "mc_id": "x" * 5000}) if is_submit(req) else (status, body)

    with Tamper(world.sim.url, long_id) as mc:
        summary = refresh(world.ctx(mc_url=mc.url), only(4))
    assert len(summary.failures) == 1 and "mc_id: za długie" in summary.failures[0].why
    assert order_of(ctx, 4).mc_id is None
    for n in (1, 2, 3, 4):
        assert album(n) in student_text(student_view(ctx, album=album(n)))
    assert_consistent(ctx)


def test_a_submission_answered_with_an_end_nobody_asked_for_changes_nothing(world):
    """A new order (201) is W_TRAKCIE by the contract; a repeat (200) revoked or cancelled
    when no revocation was ever sent cannot be ours. A repeat in BLAD is MC's verdict on
    an order it had from an answer that was lost: taken, with MC's reason."""
    ctx = world.ctx()
    ends = {1: (201, "UNIEWAZNIONE_PRZEZ_UCZELNIE"), 2: (200, "UNIEWAZNIONE_PRZEZ_UCZELNIE"),
            3: (200, "ANULOWANE_PRZEZ_UZYTKOWNIKA"), 4: (200, "BLAD")}
    refs = {order_of(ctx, n).order_ref: n for n in ends}

    def ended(req: Request, status: int, body: Any) -> tuple[int, Any]:
        if is_submit(req) and body.get("order_ref") in refs:
            code, st = ends[refs[body["order_ref"]]]
            extra = {"error_code": "PESEL_MISMATCH", "error_message": "Dane niezgodne z PESEL"} if st == "BLAD" else {}
            return code, {**body, "status": st, **extra}
        return status, body

    with Tamper(world.sim.url, ended) as mc:
        summary = refresh(world.ctx(mc_url=mc.url), only(*ends))
    why = {f.album: f.why for f in summary.failures}
    assert set(why) == {album(1), album(2), album(3)}, why
    assert "HTTP 201" in why[album(1)] and "UNIEWAZNIONE_PRZEZ_UCZELNIE" in why[album(1)]
    assert "nikt go nie unieważnił ani nie anulował" in why[album(2)] and "Anulowane" in why[album(3)]
    for n in (1, 2, 3):
        assert (order_of(ctx, n).status, order_of(ctx, n).mc_id) == ("OCZEKUJE", None)
    o4 = order_of(ctx, 4)
    assert (o4.status, o4.error_code) == ("BLAD", "PESEL_MISMATCH") and o4.mc_id
    assert_consistent(ctx)


def test_a_revoke_answered_about_another_order_keeps_the_request(world):
    from mleg_tui.services import actions
    from mleg_tui.services.mc_sync import confirm_pending

    ctx = world.ctx()
    ready(world, ctx, 1)

    def foreign(req: Request, status: int, body: Any) -> tuple[int, Any]:
        if req.path.endswith(":revoke"):
            return status, {**body, "order_ref": "OBCA-1"}
        return status, body

    with Tamper(world.sim.url, foreign) as mc:
        asked = actions.revoke_orders(ctx, [order_of(ctx, 1).id], "skreślenie")
        (res,) = confirm_pending(world.ctx(mc_url=mc.url), asked)
    assert "innego zamówienia (OBCA-1)" in res.message and res.pending
    o1 = order_of(ctx, 1)
    assert (o1.status, o1.pending_action) == ("DO_ODBIORU", "REVOKE") and o1.qr_code


def test_a_pending_revocation_never_revokes_an_mc_id_another_order_holds(world):
    """An order sent while MC was down (its answer lost) and then revoked: MC answers the
    repeat with another order's MC id. Nothing stored, and no revocation sent for it (it
    would end that other student's card)."""
    from mleg_tui.services import actions

    ctx = world.ctx()
    ready(world, ctx, 1)
    taken = order_of(ctx, 1).mc_id
    world.stop_mc()
    assert len(refresh(world.ctx(mc_max_tries=1), only(2)).failures) == 1
    (pending,) = actions.revoke_orders(ctx, [order_of(ctx, 2).id], "rezygnacja")
    assert pending.pending
    world.restart()

    def theirs(req: Request, status: int, body: Any) -> tuple[int, Any]:
        return (200, {**body, "mc_id": taken}) if is_submit(req) else (status, body)

    with Tamper(world.sim.url, theirs) as mc:
        summary = refresh(world.ctx(mc_url=mc.url), only(2))
        assert not any(r.path.endswith(":revoke") for r in mc.server.requests)
    assert [f.album for f in summary.failures] == [album(2)]
    assert "który ma już zamówienie" in summary.failures[0].why
    o2 = order_of(ctx, 2)
    assert (o2.status, o2.mc_id, o2.pending_action) == ("OCZEKUJE", None, "REVOKE")
    assert world.sim.order(taken)["status"] == "DO_ODBIORU" and order_of(ctx, 1).status == "DO_ODBIORU"


def test_bad_mc_settings_are_one_clear_polish_line(world):
    for name, value, words in (("MC_DEADLINE", "abc", "mc_deadline: to nie liczba; podaj liczbę sekund"),
                               ("MC_MAX_RESPONSE_BYTES", "100", "mc_max_response_bytes: poza zakresem"),
                               ("MC_ALLOW_INSECURE_HTTP", "chyba", "mc_allow_insecure_http: podaj true albo false")):
        res = world.cli("refresh", **{f"MLEG_TUI_{name}": value})
        assert res.returncode == 2 and words in res.stderr and "Traceback" not in res.stderr, res
