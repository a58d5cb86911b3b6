"""The MC simulator seen from the wire: validation, control panel, determinism, state, CLI."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from mleg_tui.mc import MCClient
from mleg_tui.simulator.server import LISTENING, start_simulator
from support.mc import TOKEN, fast_config, make_req

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def http(sim):
    with httpx.Client(base_url=sim.url, headers=AUTH, timeout=5) as client:
        yield client


def _error(resp: httpx.Response, status: int, code: str, param: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["error"] == code and body["message"]
    if param is not None:
        assert body["param_name"] == param
    return body


def test_submit_validation(http):
    body = make_req(1).to_json()
    resp = http.post("/v1/orders", json=body, headers={"Idempotency-Key": "other"})
    _error(resp, 400, "param_invalid", "Idempotency-Key")
    for name in ("order_ref", "album", "pesel", "first_name", "last_name", "expiry_date"):
        partial = {k: v for k, v in body.items() if k != name}
        _error(http.post("/v1/orders", json=partial), 400, "param_missing", name)
    _error(http.post("/v1/orders", json={**body, "expiry_date": "31.03.2026"}),
           400, "param_invalid", "expiry_date")
    _error(http.post("/v1/orders", json={**body, "birth_date": "2002-02-30"}),
           400, "param_invalid", "birth_date")
    _error(http.post("/v1/orders", json={**body, "pesel": "123"}), 400, "param_invalid", "pesel")
    _error(http.post("/v1/orders", json={**body, "album": 5}), 400, "param_invalid", "album")
    _error(http.post("/v1/orders", content=b"{not json"), 400, "param_invalid")
    # Without the header it is still accepted (the header is the client's duty).
    created = http.post("/v1/orders", json=body)
    assert created.status_code == 201
    order = created.json()
    assert order["status"] == "W_TRAKCIE" and order["qr_code"] is None
    assert dt.datetime.fromisoformat(order["updated_at"]).tzinfo is not None
    assert len(order["mc_id"]) == 32 and int(order["mc_id"], 16) >= 0


def test_batch_get_validation(http, sim):
    mc_id = http.post("/v1/orders", json=make_req(1).to_json()).json()["mc_id"]
    _error(http.post("/v1/orders:batchGet", json={}), 400, "param_missing", "mc_ids")
    _error(http.post("/v1/orders:batchGet", json={"mc_ids": "x"}), 400, "param_invalid", "mc_ids")
    too_many = {"mc_ids": [f"id-{i}" for i in range(101)]}
    _error(http.post("/v1/orders:batchGet", json=too_many), 400, "param_invalid", "mc_ids")
    resp = http.post("/v1/orders:batchGet", json={"mc_ids": [mc_id, "zz", mc_id]})
    assert resp.status_code == 200
    assert [o["mc_id"] for o in resp.json()["orders"]] == [mc_id]
    assert resp.json()["not_found"] == ["zz"]


def test_revoke_validation_and_errors(http):
    mc_id = http.post("/v1/orders", json=make_req(1).to_json()).json()["mc_id"]
    url = f"/v1/orders/{mc_id}:revoke"
    _error(http.post(url, json={"reason": "x"}), 400, "param_missing", "by")
    _error(http.post(url, json={"by": "DEAN", "reason": "x"}), 400, "param_invalid", "by")
    _error(http.post(url, json={"by": "STUDENT"}), 400, "param_missing", "reason")
    _error(http.post("/v1/orders/nope:revoke", json={"by": "STUDENT", "reason": "x"}),
           404, "object_not_found")
    assert http.post(url, json={"by": "STUDENT", "reason": "x"}).json()["status"] == (
        "ANULOWANE_PRZEZ_UZYTKOWNIKA")
    body = _error(http.post(url, json={"by": "UNIVERSITY", "reason": "x"}), 409, "conflict")
    assert body["order"]["mc_id"] == mc_id


def test_auth_and_error_shape(sim, http):
    with httpx.Client(base_url=sim.url, timeout=5) as anon:
        _error(anon.get("/v1/health"), 401, "unauthorized")
        _error(anon.get("/v1/orders/x", headers={"Authorization": "Bearer nope"}),
               401, "unauthorized")
        assert anon.get("/_sim/stats").status_code == 200  # the control panel needs no token
    _error(http.get("/v1/nothing/here"), 404, "object_not_found")
    assert http.get("/v1/health").json() == {"status": "ok"}


def test_fault_answers_on_the_wire(sim, http):
    sim.set_knobs(rate_429=1.0, retry_after=2)
    resp = http.get("/v1/health")
    _error(resp, 429, "rate_limited")
    assert resp.headers["Retry-After"] == "2"
    assert http.get("/_sim/stats").status_code == 200  # faults never touch /_sim/
    sim.set_knobs(rate_429=0.0, fail_5xx=1.0)
    statuses = {http.get("/v1/health").status_code for _ in range(12)}
    assert statuses == {500, 503}
    sim.set_knobs(fail_5xx=0.0, garbled=1.0)
    for _ in range(4):
        resp = http.get("/v1/health")
        with pytest.raises(ValueError):
            json.loads(resp.content)
    sim.set_knobs(garbled=0.0, reset=1.0)
    with pytest.raises(httpx.TransportError):
        http.get("/v1/health")
    sim.set_knobs(reset=0.0)
    stats = http.get("/_sim/stats").json()
    assert stats["faults"]["429"] == 1 and stats["responses"].get("reset") == 1


def test_control_panel(sim, http):
    order = http.post("/v1/orders", json=make_req(1).to_json()).json()
    mc_id = order["mc_id"]
    _error(http.post(f"/_sim/orders/{mc_id}/pickup"), 409, "conflict")  # not ready yet
    _error(http.post("/_sim/orders/nope/pickup"), 404, "object_not_found")
    before = dt.datetime.fromisoformat(http.get("/_sim/clock").json()["now"])
    now = dt.datetime.fromisoformat(http.post("/_sim/clock", json={"advance": 3600}).json()["now"])
    assert now - before >= dt.timedelta(seconds=3600)
    _error(http.post("/_sim/clock", json={"advance": -5}), 400, "param_invalid")
    assert http.get(f"/v1/orders/{mc_id}").json()["status"] == "DO_ODBIORU"
    assert http.post(f"/_sim/orders/{mc_id}/pickup").json()["status"] == "ODEBRANA"
    assert http.post(f"/_sim/orders/{mc_id}/remove").json()["status"] == (
        "ANULOWANE_PRZEZ_UZYTKOWNIKA")
    knobs = http.post("/_sim/knobs", json={"latency_ms": 1, "blad": 0.5}).json()
    assert knobs["latency_ms"] == 1 and knobs["blad"] == 0.5 and knobs["token"] == "***"
    _error(http.post("/_sim/knobs", json={"nonsense": 1}), 400, "param_invalid")
    _error(http.post("/_sim/knobs", json={"blad": 2}), 400, "param_invalid")
    stats = http.post("/_sim/stats/reset").json()
    assert stats["requests"]["submit"] == 1 and stats["orders"] == 1
    assert http.get("/_sim/stats").json()["requests"] == {}


def test_preload(sim, http):
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    orders = [
        {"mc_id": "aa01", "order_ref": "UW-000001", "status": "W_TRAKCIE", "submitted_at": past,
         "expiry_date": "2026-03-31"},
        {"mc_id": "aa02", "order_ref": "UW-000002", "status": "BLAD"},
        {"order_ref": "UW-000003", "status": "DO_ODBIORU", "qr_code": "f" * 32,
         "activation_code": "123456"},
    ]
    sim.set_knobs(pickup=1.0)
    assert http.post("/_sim/preload", json={"orders": orders}).json() == {"loaded": 3}
    sim.advance(3600)
    first = http.get("/v1/orders/aa01").json()  # still at MC: lives its whole life
    assert first["status"] == "ODEBRANA" and first["expiry_date"] == "2026-03-31"
    assert http.get("/v1/orders/aa02").json()["error_code"]
    third = http.post("/v1/orders", json=make_req(3).to_json()).json()  # adopts the body
    assert third["status"] == "DO_ODBIORU"  # past W_TRAKCIE: stays as preloaded
    assert third["qr_code"] == "f" * 32 and third["activation_code"] == "123456"
    assert http.post("/v1/orders", json=make_req(1).to_json()).status_code == 200
    changed = make_req(1, first_name="Ewa").to_json()
    _error(http.post("/v1/orders", json=changed), 409, "conflict")
    bad = {"orders": [{"order_ref": "X", "status": "OCZEKUJE"}]}
    _error(http.post("/_sim/preload", json=bad), 400, "param_invalid")


def _outcomes(seed: int, n: int = 40) -> list[tuple]:
    with start_simulator(seed=seed, blad=0.3, pickup=0.5, issue_delay=5,
                         pickup_delay=30) as sim, httpx.Client(base_url=sim.url) as http:
        ids = [http.post("/v1/orders", json=make_req(i).to_json()).json()["mc_id"]
               for i in range(n)]
        sim.set_knobs(blad=0.0, issue_delay=1000)  # must not change orders already placed
        sim.advance(200)
        orders = http.post("/v1/orders:batchGet", json={"mc_ids": ids}).json()["orders"]
    return [(o["mc_id"], o["status"], o["qr_code"], o["activation_code"], o["error_code"])
            for o in orders]


def test_same_seed_same_outcomes():
    first, again, other = _outcomes(11), _outcomes(11), _outcomes(12)
    assert first == again
    assert {o[0] for o in first}.isdisjoint(o[0] for o in other)
    statuses = [o[1] for o in first]
    assert {"BLAD", "DO_ODBIORU", "ODEBRANA"} <= set(statuses)
    assert "W_TRAKCIE" not in statuses


def test_state_file_survives_restart(tmp_path):
    folder = tmp_path / "sim"
    state = folder / "mc-state.json"
    req = make_req(1)
    with start_simulator(state_file=state, blad=0, pickup=0) as sim, \
            httpx.Client(base_url=sim.url) as http:
        mc_id = http.post("/v1/orders", json=req.to_json()).json()["mc_id"]
        sim.advance(100)
    saved = state.read_text()
    assert mc_id in saved and req.pesel not in saved  # only a digest of the body is kept
    assert os.listdir(folder) == ["mc-state.json"]  # no temp files left behind
    with start_simulator(state_file=state) as sim, httpx.Client(base_url=sim.url) as http:
        assert http.get(f"/v1/orders/{mc_id}").json()["status"] == "DO_ODBIORU"
        assert http.post("/v1/orders", json=req.to_json()).status_code == 200


def test_command_line(tmp_path):
    state = tmp_path / "state.json"
    cmd = [sys.executable, "-m", "mleg_tui.simulator.server", "--host", "127.0.0.1", "--port", "0",
           "--token", TOKEN, "--state", str(state), "--issue-delay", "1", "--blad", "0"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            line = proc.stdout.readline().strip()
            assert line.startswith(LISTENING + "http://127.0.0.1:")
            url = line.rsplit(" ", 1)[1]
            with httpx.Client(base_url=url, headers=AUTH, timeout=5) as http:
                assert http.get("/v1/health").json() == {"status": "ok"}
                assert http.post("/v1/orders", json=make_req(1).to_json()).status_code == 201
            proc.send_signal(signal.SIGINT)  # Ctrl+C: a clean stop that saves the state
            assert proc.wait(10) == 0, proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert "UW-000001" in state.read_text()
    bad = subprocess.run([*cmd[:3], "--blad", "2"], capture_output=True, text=True)
    assert bad.returncode == 2 and "blad" in bad.stderr


async def test_process_mode(tmp_path):
    state = tmp_path / "sim" / "state.json"
    with start_simulator(process=True, state_file=state, token=TOKEN, blad=0.0,
                         pickup=0.0, jitter=0.0) as sim:
        async with MCClient(fast_config(sim.url)) as mc:
            order, created = await mc.submit(make_req(1))
            sim.advance(6)
            assert (await mc.get(order.mc_id)).status == "DO_ODBIORU"
            assert sim.pickup(order.mc_id)["status"] == "ODEBRANA"
            assert sim.order(order.mc_id)["status"] == "ODEBRANA"
            assert sim.order("nope") is None
            assert sim.preload([{"order_ref": "P-1", "mc_id": "p1"}]) == 1
        assert sim.stats()["requests"] == {"submit": 1, "get": 1}
    assert order.mc_id in state.read_text()


async def test_throughput_smoke(sim):
    """Not the benchmark: a sanity check that 1000 submits and a refresh stay quick."""
    n = 1000
    async with MCClient(fast_config(sim.url, concurrency=32)) as mc:
        start = time.monotonic()
        done = await asyncio.gather(*(mc.submit(make_req(i)) for i in range(n)))
        ids = [order.mc_id for order, _ in done]
        pages = await asyncio.gather(*(mc.batch_get(ids[i:i + 100]) for i in range(0, n, 100)))
        refreshed = sum(len(orders) for orders, _ in pages)
        elapsed = time.monotonic() - start
    assert refreshed == n and sim.stats()["orders"] == n
    assert elapsed < 20, elapsed
