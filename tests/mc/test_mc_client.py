"""The MC client against the simulator over real loopback HTTP: contract, retries, faults."""
from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import subprocess
import sys
import time

import pytest

from mleg_tui.errors import MlegError
from mleg_tui.mc import (
    MCAuthError,
    MCClient,
    MCConflict,
    MCNotFound,
    MCOrder,
    MCProtocolError,
    MCRejected,
    MCUnavailable,
)
from mleg_tui.mc.errors import scrub
from mleg_tui.simulator.server import start_simulator
from support.mc import TOKEN, fast_config, make_req, until

# -- models ---------------------------------------------------------------------------------


def test_order_parsing_and_secrets_out_of_repr():
    obj = {
        "mc_id": "ab12", "order_ref": "UW-1", "status": "DO_ODBIORU",
        "expiry_date": "2025-10-31", "qr_code": "87aa907615be4d5e81767a4575b92725",
        "activation_code": "482913", "codes_valid_until": "2025-10-03T22:20:32+02:00",
        "updated_at": "2025-09-03T22:20:32+02:00", "something_new": [1, 2],
    }
    order = MCOrder.from_json(obj)
    assert order.expiry_date == dt.date(2025, 10, 31)
    assert order.codes_valid_until.utcoffset() == dt.timedelta(hours=2)
    assert order.activation_code == "482913"
    assert "482913" not in repr(order) and "482913" not in str(order)
    assert MCOrder.from_json(order.to_json()) == order
    req = make_req(3)
    assert req.pesel not in repr(req)
    assert "birth_date" not in req.to_json() and "photo_sha256" not in req.to_json()


@pytest.mark.parametrize("bad", [
    {"status": "W_TRAKCIE"},
    {"mc_id": "x"},
    {"mc_id": "x", "status": "OCZEKUJE"},
    {"mc_id": "x", "status": "BLAD", "expiry_date": "31.10.2025"},
    {"mc_id": "x", "status": "BLAD", "updated_at": "2025-09-03T22:20:32"},  # no offset
    {"mc_id": "x", "status": "BLAD", "qr_code": 5},
    ["not", "an", "object"],
])
def test_malformed_order_is_protocol_error(bad):
    with pytest.raises(MCProtocolError):
        MCOrder.from_json(bad)


def test_error_classes_and_scrub():
    for cls in (MCUnavailable, MCNotFound, MCConflict, MCRejected, MCAuthError, MCProtocolError):
        assert issubclass(cls, MlegError)
    text = scrub(f"bad header Bearer {TOKEN} and {TOKEN} again, code 482913", (TOKEN, "482913"))
    assert TOKEN not in text and "482913" not in text


# -- the contract ---------------------------------------------------------------------------


async def test_submit_created_then_repeat(mc, sim):
    first, created = await mc.submit(make_req(1))
    assert created and first.status == "W_TRAKCIE" and first.order_ref == "UW-000001"
    again, created = await mc.submit(make_req(1))
    assert not created and again.mc_id == first.mc_id
    assert sim.stats()["orders"] == 1


async def test_submit_changed_body_conflicts(mc):
    order, _ = await mc.submit(make_req(1))
    with pytest.raises(MCConflict) as info:
        await mc.submit(make_req(1, last_name="Kowalska"))
    assert info.value.http_status == 409 and info.value.code == "conflict"
    assert info.value.order is not None and info.value.order.mc_id == order.mc_id


async def test_submit_rejected_fields(mc):
    bad = make_req(1).pesel[:-1] + str((int(make_req(1).pesel[-1]) + 1) % 10)
    with pytest.raises(MCRejected) as info:
        await mc.submit(make_req(1, pesel=bad))
    assert info.value.param_name == "pesel" and info.value.code == "param_invalid"
    assert bad not in str(info.value)
    with pytest.raises(MCRejected) as info:
        await mc.submit(make_req(2, album=""))
    assert (info.value.code, info.value.param_name) == ("param_missing", "album")
    with pytest.raises(MCRejected) as info:  # birth date disagreeing with the PESEL
        await mc.submit(make_req(3, birth_date=dt.date(2001, 1, 1)))
    assert info.value.param_name == "pesel"
    with pytest.raises(MCRejected) as info:
        await mc.submit(make_req(4, photo_sha256="nothex"))
    assert info.value.param_name == "photo_sha256"


async def test_get_and_not_found(mc):
    order, _ = await mc.submit(make_req(1))
    assert (await mc.get(order.mc_id)).mc_id == order.mc_id
    with pytest.raises(MCNotFound) as info:
        await mc.get("no-such/id:x")
    assert info.value.http_status == 404 and not info.value.retryable


async def test_base_url_with_path_and_odd_ids():
    with start_simulator(base_path="/api", token=TOKEN) as sim:
        assert sim.url.endswith("/api")
        odd = "id:with.colon-and_more:Z9"  # every character the contract allows in an id
        sim.preload([{"mc_id": odd, "order_ref": "P-1", "status": "DO_ODBIORU"}])
        async with MCClient(fast_config(sim.url + "/")) as mc:
            assert (await mc.get(odd)).status == "DO_ODBIORU"
            assert (await mc.batch_get([odd]))[0][0].mc_id == odd
            assert (await mc.revoke(odd, "UNIVERSITY", "skreślenie")).mc_id == odd
            assert await mc.health()


async def test_batch_get_found_and_not_found(mc, sim):
    known = [(await mc.submit(make_req(i)))[0].mc_id for i in range(5)]
    ids = known + [f"unknown-{i}" for i in range(95)]
    with pytest.raises(ValueError):
        await mc.batch_get(ids + ["one-too-many"])
    sim.reset_stats()
    orders, not_found = await mc.batch_get(ids)
    assert sorted(o.mc_id for o in orders) == sorted(known) and len(not_found) == 95
    assert sim.stats()["requests"] == {"batch_get": 1}


async def test_lifecycle_codes_then_pickup(mc, sim):
    order, _ = await mc.submit(make_req(1))
    sim.advance(2)
    assert (await mc.get(order.mc_id)).status == "W_TRAKCIE"
    sim.advance(10)  # past issue_delay * (1 + jitter)
    ready = await mc.get(order.mc_id)
    assert ready.status == "DO_ODBIORU"
    assert len(ready.qr_code) == 32 and int(ready.qr_code, 16) >= 0
    assert len(ready.activation_code) == 6 and ready.activation_code.isdigit()
    assert ready.codes_valid_until - ready.updated_at == dt.timedelta(days=30)
    assert sim.pickup(order.mc_id)["status"] == "ODEBRANA"
    done = await mc.get(order.mc_id)
    assert done.status == "ODEBRANA"
    assert (done.qr_code, done.activation_code, done.codes_valid_until) == (None, None, None)


async def test_automatic_pickup_and_blad(sim, mc):
    sim.set_knobs(pickup=1.0, pickup_delay=30)
    picked, _ = await mc.submit(make_req(1))
    sim.set_knobs(blad=1.0)
    failed, _ = await mc.submit(make_req(2))
    sim.advance(8)
    assert (await mc.get(picked.mc_id)).status == "DO_ODBIORU"
    sim.advance(60)
    orders, _ = await mc.batch_get([picked.mc_id, failed.mc_id])
    by_id = {o.mc_id: o for o in orders}
    assert by_id[picked.mc_id].status == "ODEBRANA"
    blad = by_id[failed.mc_id]
    assert blad.status == "BLAD" and blad.qr_code is None
    assert blad.error_code in {"PESEL_MISMATCH", "PHOTO_REJECTED", "PERSON_NOT_FOUND",
                               "DUPLICATE_ACTIVE_CARD"}
    assert blad.error_message


async def test_revoke_rules(mc, sim):
    sim.set_knobs(blad=0.0)
    a, _ = await mc.submit(make_req(1))
    b, _ = await mc.submit(make_req(2))
    sim.set_knobs(blad=1.0)
    c, _ = await mc.submit(make_req(3))
    sim.advance(10)
    revoked = await mc.revoke(a.mc_id, "UNIVERSITY", "skreślenie z listy studentów")
    assert revoked.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE" and revoked.qr_code is None
    again = await mc.revoke(a.mc_id, "UNIVERSITY", "ponownie")
    assert again == revoked  # idempotent: unchanged, same updated_at
    with pytest.raises(MCConflict) as info:
        await mc.revoke(a.mc_id, "STUDENT", "inna droga")
    assert info.value.order.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE"
    assert (await mc.revoke(b.mc_id, "STUDENT", "nowy telefon")).status == (
        "ANULOWANE_PRZEZ_UZYTKOWNIKA")
    with pytest.raises(MCConflict) as info:
        await mc.revoke(c.mc_id, "UNIVERSITY", "x")
    assert info.value.order.status == "BLAD" and info.value.order.error_code
    with pytest.raises(MCNotFound):
        await mc.revoke("nope", "UNIVERSITY", "x")
    with pytest.raises(ValueError):
        await mc.revoke(a.mc_id, "DEAN", "x")


async def test_student_removes_card_in_app(mc, sim):
    order, _ = await mc.submit(make_req(1))
    sim.advance(10)
    sim.pickup(order.mc_id)
    assert sim.remove(order.mc_id)["status"] == "ANULOWANE_PRZEZ_UZYTKOWNIKA"
    assert (await mc.get(order.mc_id)).status == "ANULOWANE_PRZEZ_UZYTKOWNIKA"


# -- auth and secrets -----------------------------------------------------------------------


async def test_wrong_token_is_auth_error_without_secrets(sim):
    wrong = "wrong-" + TOKEN
    sim.set_knobs(echo_auth=True)  # the server echoes our Authorization header back
    async with MCClient(fast_config(sim.url, token=wrong)) as mc:
        with pytest.raises(MCAuthError) as info:
            await mc.get("x")
        with pytest.raises(MCAuthError):
            await mc.health()
    exc = info.value
    assert exc.http_status == 401 and exc.code == "unauthorized" and not exc.retryable
    for text in (str(exc), repr(exc), exc.message, repr(exc.__dict__)):
        assert wrong not in text and TOKEN not in text
    assert sim.stats()["requests"]["get"] == 1  # 4xx is never retried


async def test_garbled_echo_and_conflict_keep_secrets(mc, sim):
    order, _ = await mc.submit(make_req(1))
    sim.advance(10)
    code = (await mc.get(order.mc_id)).activation_code
    sim.set_knobs(echo_auth=True, garbled=1.0)
    with pytest.raises((MCProtocolError, MCUnavailable)) as info:
        await mc.get(order.mc_id)
    sim.set_knobs(garbled=0.0)
    with pytest.raises(MCConflict) as conflict:
        await mc.submit(make_req(1, first_name="Ewa"))
    assert conflict.value.order.activation_code == code
    for exc in (info.value, conflict.value):
        assert TOKEN not in str(exc) and TOKEN not in repr(exc)
        assert code not in str(exc) and code not in repr(exc)


# -- faults and retries ---------------------------------------------------------------------


async def test_5xx_is_retried_until_success(mc, sim):
    order, _ = await mc.submit(make_req(1))
    sim.set_knobs(fail_5xx=1.0, retry_after=0)
    task = asyncio.create_task(mc.get(order.mc_id))
    await until(lambda: sim.stats()["faults"].get("5xx", 0) >= 2)
    sim.set_knobs(fail_5xx=0.0)
    assert (await task).mc_id == order.mc_id


async def test_5xx_share_survived_by_sequential_calls(sim):
    sim.set_knobs(fail_5xx=0.3, retry_after=0)
    async with MCClient(fast_config(sim.url, max_tries=10)) as mc:
        for i in range(15):
            await mc.submit(make_req(i))
    stats = sim.stats()
    assert stats["orders"] == 15 and stats["faults"]["5xx"] > 0


async def test_429_retry_after_is_honoured(sim):
    sim.set_knobs(rate_429=1.0, retry_after=1)
    async with MCClient(fast_config(sim.url, backoff_max=5)) as mc:
        start = time.monotonic()
        task = asyncio.create_task(mc.health(tries=3))
        await until(lambda: sim.stats()["faults"].get("429", 0) >= 1)
        sim.set_knobs(rate_429=0.0)
        assert await task
        assert time.monotonic() - start >= 1.0  # backoff alone would be ~0.01 s
    assert sim.stats()["requests"]["health"] == 2


async def test_retry_after_is_capped_by_backoff_max(sim):
    sim.set_knobs(rate_429=1.0, retry_after=3600)
    async with MCClient(fast_config(sim.url, max_tries=2, backoff_max=0.05)) as mc:
        start = time.monotonic()
        with pytest.raises(MCUnavailable):
            await mc.get("x")
    assert time.monotonic() - start < 1.0


async def test_429_storm_exhausts_tries(sim):
    sim.set_knobs(rate_429=1.0, retry_after=0)
    async with MCClient(fast_config(sim.url, max_tries=3)) as mc:
        with pytest.raises(MCUnavailable) as info:
            await mc.get("x")
    exc = info.value
    assert exc.http_status == 429 and exc.code == "rate_limited" and exc.retryable
    assert "3 próby" in str(exc)
    assert sim.stats()["requests"]["get"] == 3


async def test_garbled_body_retried(mc, sim):
    order, _ = await mc.submit(make_req(1))
    sim.set_knobs(garbled=1.0)
    task = asyncio.create_task(mc.get(order.mc_id))
    await until(lambda: sum(sim.stats()["faults"].values()) >= 1)
    sim.set_knobs(garbled=0.0)
    assert (await task).mc_id == order.mc_id


async def test_garbled_storm_is_protocol_or_unavailable(sim):
    sim.set_knobs(garbled=1.0)
    async with MCClient(fast_config(sim.url, max_tries=2)) as mc:
        with pytest.raises((MCProtocolError, MCUnavailable)) as info:
            await mc.get("x")
    assert "2 próby" in str(info.value)


async def test_reset_after_create_then_retry_returns_same_order(mc, sim):
    sim.set_knobs(reset=1.0)
    task = asyncio.create_task(mc.submit(make_req(1)))
    # Wait for a reset that struck after the order was stored: the "lost response".
    await until(lambda: sim.stats()["faults"].get("reset_after", 0) >= 1)
    sim.set_knobs(reset=0.0)
    try:
        order, created = await task
    except MCUnavailable:  # every try was reset before the knob went off: try once more
        order, created = await mc.submit(make_req(1))
    assert not created  # MC already had it from the lost attempt
    assert sim.stats()["orders"] == 1
    assert sim.order(order.mc_id)["order_ref"] == "UW-000001"


async def test_reset_storm_is_unavailable(sim):
    sim.set_knobs(reset=1.0)
    async with MCClient(fast_config(sim.url, max_tries=3)) as mc:
        with pytest.raises(MCUnavailable) as info:
            await mc.get("x")
    assert "połączenie" in str(info.value) and "3 próby" in str(info.value)


async def test_hung_requests(sim):
    order_ref = make_req(1)
    async with MCClient(fast_config(sim.url, read_timeout=0.3, max_tries=2)) as mc:
        sim.set_knobs(hang=1.0, hang_seconds=30)
        start = time.monotonic()
        with pytest.raises(MCUnavailable) as info:
            await mc.get("x")
        elapsed = time.monotonic() - start
        assert "czas" in str(info.value) and 0.6 <= elapsed < 3.0
        assert not await mc.health()
        # One hang, then MC recovers: the retry succeeds.
        sim.reset_stats()
        task = asyncio.create_task(mc.submit(order_ref))
        await until(lambda: sum(sim.stats()["faults"].values()) >= 1)
        sim.set_knobs(hang=0.0)
        try:
            order, _ = await task
        except MCUnavailable:
            order, _ = await mc.submit(order_ref)
        assert order.order_ref == order_ref.order_ref
    # Abandoned handlers are cancelled when the client hangs up, not left for 30 s.
    await until(lambda: sim.stats()["in_flight"] == 0, timeout=3)
    assert sim.stats()["orders"] == 1


async def test_concurrency_is_bounded(sim):
    sim.set_knobs(latency_ms=30)
    async with MCClient(fast_config(sim.url, concurrency=4, batch_size=100)) as mc:
        pages = [[f"id-{i}" for i in range(p * 100, p * 100 + 100)] for p in range(20)]
        answers = await asyncio.gather(*(mc.batch_get(page) for page in pages))
        assert sum(len(nf) for _, nf in answers) == 2000
        assert sim.stats()["max_in_flight"] == 4
        sim.reset_stats()
        await asyncio.gather(*(mc.get(f"id-{i}") for i in range(12)), return_exceptions=True)
    assert sim.stats()["max_in_flight"] == 4


async def test_connection_refused_is_unavailable():
    with start_simulator() as sim:
        url = sim.url
    async with MCClient(fast_config(url, max_tries=2)) as mc:
        with pytest.raises(MCUnavailable) as info:
            await mc.get("x")
        assert not await mc.health()
    assert "połączenia" in str(info.value)


# -- TLS --------------------------------------------------------------------------------------


def _make_cert(folder, name: str) -> tuple[str, str]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
async def test_tls_verification_and_client_certificate(tmp_path):
    import ssl

    server_cert, server_key = _make_cert(tmp_path, "server")
    client_cert, client_key = _make_cert(tmp_path, "client")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(server_cert, server_key)
    ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, as the contract allows
    ctx.load_verify_locations(client_cert)
    with start_simulator(ssl_context=ctx, token=TOKEN) as sim:
        assert sim.url.startswith("https://127.0.0.1:")
        good = fast_config(sim.url, ca_bundle=server_cert, client_cert=client_cert,
                           client_key=client_key)
        async with MCClient(good) as mc:
            assert await mc.health()
        async with MCClient(fast_config(sim.url, client_cert=client_cert,
                                        client_key=client_key)) as mc:
            with pytest.raises(MCUnavailable) as info:
                await mc.get("x")
        assert "TLS" in str(info.value) and not info.value.retryable
        async with MCClient(fast_config(sim.url, ca_bundle=server_cert, max_tries=1)) as mc:
            with pytest.raises(MCUnavailable):  # the server wants our certificate
                await mc.get("x")


def test_client_does_not_import_textual():
    code = ("import sys, mleg_tui.mc.client, mleg_tui.simulator.server; "
            "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') "
            "for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
