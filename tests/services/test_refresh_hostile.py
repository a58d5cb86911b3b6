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
