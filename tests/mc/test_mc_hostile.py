"""The MC client against hostile servers on loopback: answers that trickle, that never
end, that are huge, compressed, nested 200k deep, or break the contract's limits
(its "Limits (version 1)"). Each ends as one MC error for that request, in time,
in bounded memory, and with neither the token nor a code in its text."""
from __future__ import annotations

import asyncio
import logging
import time
import tracemalloc
import zlib
from typing import Any

import pytest

from mleg_tui.errors import ConfigError
from mleg_tui.mc import MCClient, MCConflict, MCProtocolError, MCRejected, MCUnavailable
from support.hostile_mc import HostileServer, Request, head, local_address, respond
from support.mc import TOKEN, fast_config, make_req

CODE = "482913"
GOOD: dict[str, Any] = {
    "mc_id": "ab12", "order_ref": "UW-000001", "status": "DO_ODBIORU",
    "expiry_date": "2025-10-31", "qr_code": "87aa907615be4d5e81767a4575b92725",
    "activation_code": CODE, "codes_valid_until": "2025-10-03T22:20:32+02:00",
    "error_code": None, "error_message": None, "updated_at": "2025-09-03T22:20:32+02:00",
}


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None):
    async def handler(req: Request, out: asyncio.StreamWriter) -> None:
        await respond(out, status, body, headers)
    return handler


def assert_clean(exc: BaseException, *secrets: str) -> None:
    """One line, no control characters, no secret."""
    for text in (str(exc), repr(exc)):
        assert TOKEN not in text and CODE not in text
        for secret in secrets:
            assert secret not in text
        assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in text), text


# -- time -----------------------------------------------------------------------------------


async def test_a_trickling_answer_ends_at_the_deadline():
    """A byte every 0.2 s: the read timeout (1 s) never trips, the deadline does, and the
    slot is free again at once for the next call."""
    async def trickle(req: Request, out: asyncio.StreamWriter) -> None:
        out.write(head(200, {"Content-Type": "application/json", "Content-Length": "100000"}))
        await srv.stream(out, (b" " for _ in range(100000)), pause=0.2)

    with HostileServer(trickle) as srv:
        cfg = fast_config(srv.url, read_timeout=1.0, deadline=1.5, max_tries=3, concurrency=1)
        async with MCClient(cfg) as mc:
            start = time.monotonic()
            with pytest.raises(MCUnavailable) as info:
                await mc.get("ab12")
            elapsed = time.monotonic() - start
            assert 1.4 <= elapsed < 3.0, elapsed
            assert "1,5 s" in str(info.value) and "mc_deadline" in str(info.value)
            assert len(srv.requests) == 1  # past the deadline no further try starts
            assert_clean(info.value)
            srv.handler = answer(GOOD)
            assert (await mc.get("ab12")).mc_id == "ab12"


async def test_headers_trickling_end_at_the_deadline():
    async def slow_head(req: Request, out: asyncio.StreamWriter) -> None:
        await srv.stream(out, (bytes([b]) for b in b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 10000), pause=0.2)

    with HostileServer(slow_head) as srv:
        async with MCClient(fast_config(srv.url, read_timeout=1.0, deadline=1.0)) as mc:
            start = time.monotonic()
            with pytest.raises(MCUnavailable) as info:
                await mc.get("ab12")
    assert time.monotonic() - start < 2.5 and "mc_deadline" in str(info.value)


async def test_the_deadline_covers_every_try_and_backoff():
    """503 again and again with a long Retry-After: the call gives up when the next wait
    would pass the deadline, and says how many tries it made."""
    with HostileServer(answer({"error": "unavailable", "message": "przerwa"}, 503,
                              {"Retry-After": "0.4"})) as srv:
        cfg = fast_config(srv.url, deadline=1.0, max_tries=20, backoff_max=5)
        async with MCClient(cfg) as mc:
            start = time.monotonic()
            with pytest.raises(MCUnavailable) as info:
                await mc.get("ab12")
    assert time.monotonic() - start < 1.2
    assert 2 <= len(srv.requests) <= 3
    assert f"{len(srv.requests)} próby w limicie 1 s" in str(info.value), str(info.value)


# -- size -----------------------------------------------------------------------------------


async def test_an_answer_declared_too_big_is_refused_unread():
    async def huge(req: Request, out: asyncio.StreamWriter) -> None:
        out.write(head(200, {"Content-Type": "application/json", "Content-Length": str(100 * 2**20)}))
        await srv.stream(out, (b" " * 65536 for _ in range(1600)))

    with HostileServer(huge) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.get("ab12")
    assert "większa niż 4 MiB" in str(info.value) and not info.value.retryable
    assert len(srv.requests) == 1  # a contract breach is not tried again
    assert srv.sent < 40 * 2**20


async def test_an_endless_answer_is_cut_at_the_limit_in_bounded_memory():
    """100 MB of a valid JSON object (an unknown key) with no length given: read as it
    comes and dropped past 4 MiB; the process never holds much more than that."""
    def body():
        yield b'{"mc_id": "ab12", "order_ref": "UW-1", "status": "W_TRAKCIE", "pad": "'
        yield from (b"x" * 65536 for _ in range(1600))
        yield b'"}'

    async def endless(req: Request, out: asyncio.StreamWriter) -> None:
        out.write(head(200, {"Content-Type": "application/json"}))  # body until close
        await srv.stream(out, body())

    with HostileServer(endless) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            tracemalloc.start()
            try:
                with pytest.raises(MCProtocolError) as info:
                    await mc.get("ab12")
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    assert "większa niż 4 MiB" in str(info.value)
    assert peak < 16 * 2**20, peak
    assert srv.sent < 40 * 2**20, srv.sent


async def test_a_compressed_answer_is_refused():
    """A gzip bomb: 100 MB in about 100 KB. Never unpacked: we asked for none."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip format
    parts = [packer.compress(b'{"mc_id": "ab12", "pad": "')]
    parts += [packer.compress(b"x" * 2**20) for _ in range(100)]
    bomb = b"".join(parts) + packer.compress(b'"}') + packer.flush()
    assert len(bomb) < 2**20
    with HostileServer(answer(bomb, headers={"Content-Encoding": "gzip"})) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.get("ab12")
    assert "skompresowana" in str(info.value)
    assert srv.requests[0].headers["accept-encoding"] == "identity"


async def test_the_limit_is_configurable_and_unknown_keys_are_ignored():
    padded = {**GOOD, "news": ["x" * 1000] * 100}  # ~100 KB of keys we do not know
    with HostileServer(answer(padded)) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            assert (await mc.get("ab12")).activation_code == CODE
        async with MCClient(fast_config(srv.url, max_response=65536)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.get("ab12")
    assert "większa niż 0,0625 MiB" in str(info.value)


# -- shape ----------------------------------------------------------------------------------


async def test_json_nested_200k_deep_is_a_protocol_error_not_a_recursion_error():
    deep = b'{"mc_id": "ab12", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with HostileServer(answer(deep)) as srv:
        async with MCClient(fast_config(srv.url, max_tries=2)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.get("ab12")
            assert "zagnieżdżony zbyt głęboko" in str(info.value)
            # ... and in an error's body: no details, the status still speaks.
            srv.handler = answer(deep, 409)
            with pytest.raises(MCConflict) as conflict:
                await mc.revoke("ab12", "UNIVERSITY", "x")
            assert conflict.value.order is None
            srv.handler = answer(b'{"orders": ' + b"[" * 200_000 + b"]" * 200_000 + b', "not_found": []}')
            with pytest.raises(MCProtocolError):
                await mc.batch_get(["ab12"])


ESC = "\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J"  # OSC 52 (write the clipboard), clear the screen


@pytest.mark.parametrize("field, value, secret", [
    ("mc_id", "x" * 5000, None),
    ("mc_id", "", None),
    ("mc_id", "ab/12", None),
    ("mc_id", 12, None),
    ("order_ref", "UW-1" + ESC, ESC),
    ("order_ref", None, None),
    ("status", "OCZEKUJE", None),
    ("status", "do_odbioru", None),
    ("qr_code", "q" * (5 * 2**20 // 2), None),  # the 5 MB QR text (in a 4 MiB body it is 2.5 MB)
    ("qr_code", "87aa" + ESC, ESC),
    ("qr_code", "", None),
    ("activation_code", "7" * 200_000, "7" * 64),
    ("activation_code", "123", "123"),
    ("activation_code", "48-2913", "48-2913"),
    ("activation_code", 482913, None),
    ("error_code", "pesel_mismatch", None),
    ("error_code", "E" * 65, None),
    ("error_message", "m" * 2001, None),
    ("error_message", "Zdjęcie odrzucone" + ESC, ESC),
    ("error_message", "C1 \x9b31m", "\x9b"),
    ("expiry_date", "31.10.2025", None),
    ("expiry_date", "2025-10-31T00:00:00", None),
    ("expiry_date", 20251031, None),
    ("codes_valid_until", "2025-10-03T22:20:32", None),  # no offset
    ("updated_at", "wczoraj", None),
])
async def test_a_field_beyond_the_contracts_limits_is_a_protocol_error(field, value, secret):
    """The contract's limits, each broken once; none of the value gets into the message."""
    bad = {**GOOD, field: value}
    if value is None:
        del bad[field]
    with HostileServer(answer(bad)) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.get("ab12")
    assert field in str(info.value) and "niezgodna z umową" in str(info.value)
    assert not info.value.retryable and len(srv.requests) == 1
    assert_clean(info.value, *([secret] if secret else []))


async def test_the_contracts_limits_themselves_are_accepted():
    edge = {**GOOD, "mc_id": "a" * 64, "order_ref": "Z." * 32, "qr_code": "".join(chr(c) for c in range(32, 127)) * 5,
            "activation_code": "Ab12", "error_message": "ą" * 2000}
    longest = {**GOOD, "activation_code": "A1" * 16, "status": "BLAD", "error_code": "A_1" * 21 + "X"}
    with HostileServer(answer(edge)) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            assert (await mc.get("a" * 64)).qr_code == edge["qr_code"]
            srv.handler = answer(longest)
            assert (await mc.get("ab12")).activation_code == "A1" * 16


# -- answers about the wrong order ------------------------------------------------------------


async def test_an_answer_about_another_order_is_a_protocol_error():
    with HostileServer(answer(GOOD)) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.get("cd34")
            assert "ab12 zamiast cd34" in str(info.value)
            with pytest.raises(MCProtocolError):
                await mc.revoke("cd34", "UNIVERSITY", "x")
            srv.handler = answer({"error": "conflict", "message": "inny stan", "order": GOOD}, 409)
            with pytest.raises(MCProtocolError):
                await mc.revoke("cd34", "UNIVERSITY", "x")
            with pytest.raises(MCProtocolError) as info:  # not the order_ref we sent
                srv.handler = answer({**GOOD, "status": "W_TRAKCIE", "activation_code": None}, 201)
                await mc.submit(make_req(7))
            assert "UW-000001 zamiast UW-000007" in str(info.value)
            assert_clean(info.value)


async def test_a_new_order_in_a_status_other_than_w_trakcie_is_a_protocol_error():
    with HostileServer(answer({**GOOD, "order_ref": "UW-000001"}, 201)) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.submit(make_req(1))
    assert "HTTP 201" in str(info.value) and "DO_ODBIORU" in str(info.value)
    assert_clean(info.value)


@pytest.mark.parametrize("orders, not_found, why", [
    ([{**GOOD, "mc_id": "zz99"}], [], "nie pytano (zz99)"),
    ([GOOD, GOOD], [], "dwa razy"),
    ([GOOD, {**GOOD, "status": "ODEBRANA", "activation_code": None}], [], "dwa razy"),
    ([GOOD], ["ab12"], "dwa razy"),
    ([], ["ab12", "ab12"], "dwa razy"),
    ([], ["zz99"], "nie pytano"),
    ([GOOD] * 101, [], "orders: za dużo elementów"),
])
async def test_a_batch_answer_about_orders_not_asked_or_twice_is_a_protocol_error(orders, not_found, why):
    with HostileServer(answer({"orders": orders, "not_found": not_found})) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.batch_get(["ab12", "cd34"])
    assert why in str(info.value)
    assert_clean(info.value)


# -- error bodies -----------------------------------------------------------------------------


async def test_an_error_body_beyond_the_limits_is_a_protocol_error():
    """A 400 is stored as the order's reason: a 3,000-character or escape-laden message
    never is. A 503 with one is still worth another try."""
    with HostileServer(answer({"error": "param_invalid", "message": "x" * 3000, "param_name": "pesel"}, 400)) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.submit(make_req(1))
            assert not isinstance(info.value, MCRejected) and "HTTP 400" in str(info.value)
            assert not info.value.retryable and len(srv.requests) == 1
            srv.handler = answer({"error": "unavailable", "message": "przerwa" + ESC}, 503)
            with pytest.raises(MCProtocolError) as info:
                await mc.get("ab12")
            assert "6 prób" in str(info.value) and len(srv.requests) == 7
            assert_clean(info.value, ESC)
            srv.handler = answer(b"<html>502 Bad Gateway</html>", 502)  # not JSON: no details
            with pytest.raises(MCUnavailable):
                await mc.get("ab12")


async def test_a_server_echoing_the_token_in_a_too_long_message_never_shows_it():
    echo = {"error": "unauthorized", "message": f"Bearer {TOKEN} " + "x" * 3000}
    with HostileServer(answer(echo, 401)) as srv:
        async with MCClient(fast_config(srv.url)) as mc:
            with pytest.raises(MCProtocolError) as info:
                await mc.get("ab12")
    assert_clean(info.value)


# -- plain http ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://mc.example/api", "http://10.0.0.7:8080", "http://[2001:db8::1]/",
                                 "http://127.0.0.1.mc.example/"])
async def test_plain_http_to_another_machine_is_refused(url):
    with pytest.raises(ConfigError) as info:
        MCClient(fast_config(url))
    text = str(info.value)
    assert "https://" in text and "mc_allow_insecure_http" in text and TOKEN not in text


@pytest.mark.parametrize("url", ["ftp://mc.example/", "mc.example/api", "https://", "http://[::1"])
async def test_a_url_that_is_not_http_is_refused(url):
    with pytest.raises(ConfigError) as info:
        MCClient(fast_config(url))
    assert "https://host" in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/", "http://127.5.5.5:1", "http://localhost:1/api",
                                 "http://[::1]:1/", "https://mc.example/api"])
async def test_loopback_http_and_https_are_allowed(url):
    async with MCClient(fast_config(url)) as mc:
        assert not mc.insecure


async def test_plain_http_allowed_on_purpose_works_and_warns(caplog):
    addr = local_address()
    if addr is None:
        pytest.skip("this machine has no address besides loopback")
    caplog.set_level(logging.WARNING, logger="mleg_tui.mc")
    with HostileServer(answer({"status": "ok"}), host=addr) as srv:
        with pytest.raises(ConfigError):
            MCClient(fast_config(srv.url))
        async with MCClient(fast_config(srv.url, allow_insecure_http=True)) as mc:
            assert mc.insecure and await mc.health()
    assert f"({addr}) bez szyfrowania" in caplog.text and TOKEN not in caplog.text
