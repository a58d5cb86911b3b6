"""The simulated MC as an aiohttp application: the contract, fault injection, control panel.

Faults hit /v1/ only; /_sim/ is the control panel (no auth). Started by mleg_tui.simulator.server.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import ssl
import struct
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

from mleg_tui.simulator.state import ApiError, Clock, Knobs, SimState, invalid, stamp

SAVE_EVERY = 3.0  # seconds between state saves while orders change
GARBLED_HTML = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
        headers=headers,
    )


def _abort(request: web.Request) -> None:
    """Drop the connection with a TCP RST and no response (SO_LINGER 0, then abort)."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


class _PrefixedRouter:
    """Registers every route under the base path."""

    def __init__(self, router: web.UrlDispatcher, prefix: str) -> None:
        self._router, self._prefix = router, prefix

    def add_get(self, path: str, handler: Any, **kw: Any) -> None:
        self._router.add_get(self._prefix + path, handler, **kw)

    def add_post(self, path: str, handler: Any, **kw: Any) -> None:
        self._router.add_post(self._prefix + path, handler, **kw)


class Simulator:
    """The aiohttp application and its state. All methods run on the server's loop."""

    def __init__(self, *, seed: int = 0, state_file: str | os.PathLike | None = None,
                 base_path: str = "", **knobs: Any) -> None:
        # Serve under e.g. /api, as a real gateway would; the client must join paths right.
        self.base_path = ("/" + base_path.strip("/")) if base_path.strip("/") else ""
        self.knobs = Knobs()
        self.knobs.update(**knobs)
        self.clock = Clock()
        self.state = SimState(seed, self.knobs, self.clock)
        self.state_file = Path(state_file) if state_file else None
        self._rng = random.Random(f"faults|{seed}")
        self.stats: dict[str, Counter] = {}
        self.reset_stats()
        self.in_flight = 0
        self._v1 = self.base_path + "/v1/"
        self._stopping: asyncio.Event | None = None
        self._saver: asyncio.Task | None = None
        self._writing: asyncio.Future | None = None
        if self.state_file and self.state_file.exists():
            self.state.restore(json.loads(self.state_file.read_text(encoding="utf-8")))

    def reset_stats(self) -> None:
        self.stats = {"requests": Counter(), "faults": Counter(), "responses": Counter()}
        self.max_in_flight = getattr(self, "in_flight", 0)

    def stats_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: dict(v) for k, v in self.stats.items()}
        out.update(in_flight=self.in_flight, max_in_flight=self.max_in_flight,
                   orders=len(self.state.orders), now=stamp(self.clock.now()))
        return out

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = _PrefixedRouter(app.router, self.base_path)
        r.add_post("/v1/orders", self._submit, name="submit")
        r.add_post("/v1/orders:batchGet", self._batch_get, name="batch_get")
        r.add_post(r"/v1/orders/{mc_id:[^/]+}:revoke", self._revoke, name="revoke")
        r.add_get(r"/v1/orders/{mc_id:[^/]+}", self._get, name="get")
        r.add_get("/v1/health", self._health, name="health")
        r.add_get(r"/_sim/orders/{mc_id:[^/]+}", self._sim_order)
        r.add_post(r"/_sim/orders/{mc_id:[^/]+}/pickup", self._sim_pickup)
        r.add_post(r"/_sim/orders/{mc_id:[^/]+}/remove", self._sim_remove)
        r.add_get("/_sim/knobs", self._sim_knobs)
        r.add_post("/_sim/knobs", self._sim_knobs)
        r.add_get("/_sim/clock", self._sim_clock)
        r.add_post("/_sim/clock", self._sim_clock)
        r.add_get("/_sim/stats", self._sim_stats)
        r.add_post("/_sim/stats/reset", self._sim_stats)
        r.add_post("/_sim/preload", self._sim_preload)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    # -- lifecycle ----------------------------------------------------------------------

    async def _on_startup(self, app: web.Application) -> None:
        self._stopping = asyncio.Event()
        if self.state_file:
            self._saver = asyncio.ensure_future(self._save_loop())

    async def _on_cleanup(self, app: web.Application) -> None:
        if self._saver:
            self._saver.cancel()
        if self._writing:  # let a periodic write finish, or it could land after the last one
            await asyncio.wait([self._writing])
        self.save()

    def begin_shutdown(self) -> None:
        """Wake hung requests so the server can stop at once."""
        if self._stopping:
            self._stopping.set()

    async def _save_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SAVE_EVERY)
            if self.state.dirty:
                self.state.dirty = False
                snap = self.state.snapshot()  # taken on the loop: consistent
                self._writing = loop.run_in_executor(None, self._write, snap)
                await asyncio.shield(self._writing)

    def save(self) -> None:
        if self.state_file:
            self.state.dirty = False
            self._write(self.state.snapshot())

    def _write(self, snap: dict[str, Any]) -> None:
        assert self.state_file is not None
        folder = self.state_file.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".mc-sim-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(snap, f)
            os.replace(tmp, self.state_file)  # atomic: a crash never leaves half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- faults and auth ----------------------------------------------------------------

    def _pick_fault(self) -> tuple[str | None, bool]:
        """(fault, after_handler). One seeded draw per request; shares are exclusive."""
        k = self.knobs
        if not (k.rate_429 or k.fail_5xx or k.hang or k.garbled or k.reset):
            return None, False
        u = self._rng.random()
        for name, share in (("429", k.rate_429), ("5xx", k.fail_5xx), ("hang", k.hang),
                            ("garbled", k.garbled), ("reset", k.reset)):
            if u < share:
                # Some faults strike after the work is done: the "lost response" case.
                after = name in ("hang", "garbled", "reset") and self._rng.random() < 0.5
                return name, after
            u -= share
        return None, False

    async def _fault(self, request: web.Request, fault: str,
                     done: web.StreamResponse | None) -> web.StreamResponse:
        k = self.knobs
        retry_after = {"Retry-After": f"{k.retry_after:g}"}
        if fault == "429":
            return _json(429, {"error": "rate_limited", "message": "zbyt wiele zapytań"},
                         retry_after)
        if fault == "5xx":
            if self._rng.random() < 0.5:
                return _json(500, {"error": "internal", "message": "błąd wewnętrzny"})
            return _json(503, {"error": "unavailable", "message": "usługa niedostępna"},
                         retry_after)
        if fault == "hang":
            assert self._stopping is not None
            try:
                await asyncio.wait_for(self._stopping.wait(), k.hang_seconds)
            except TimeoutError:
                pass
            if self._stopping.is_set():
                _abort(request)
            if done is not None:
                return done
            return _json(503, {"error": "unavailable", "message": "przekroczono czas"})
        if fault == "garbled":
            text = GARBLED_HTML
            if k.echo_auth:
                text += f"<!-- {request.headers.get('Authorization', '')} -->"
            if isinstance(done, web.Response) and isinstance(done.body, (bytes, bytearray)) and done.body:
                text = bytes(done.body)[: max(1, len(done.body) // 2)].decode(errors="replace")
            status = 200 if self._rng.random() < 0.5 else 502
            return web.Response(status=status, text=text, content_type="text/html")
        _abort(request)  # reset
        return web.Response(status=500)  # never reaches the client

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        token = self.knobs.token
        if not token:
            return None
        got = request.headers.get("Authorization", "")
        if got == f"Bearer {token}":
            return None
        message = "brak lub błędny token (missing or invalid bearer token)"
        if self.knobs.echo_auth:
            message += f"; otrzymano: {got}"
        return _json(401, {"error": "unauthorized", "message": message})

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(self._v1):
            return await self._answer(request, handler)
        route = request.match_info.route.name or "other"
        self.stats["requests"][route] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.knobs.latency_ms:
                await asyncio.sleep(self.knobs.latency_ms / 1000)
            fault, after = self._pick_fault()
            if fault:
                self.stats["faults"][fault + ("_after" if after else "")] += 1
            resp: web.StreamResponse
            if fault and not after:
                resp = await self._fault(request, fault, None)
            else:
                refused = self._unauthorized(request)
                resp = refused if refused is not None else await self._answer(request, handler)
                if fault:
                    resp = await self._fault(request, fault, resp)
            self.stats["responses"]["reset" if fault == "reset" else str(resp.status)] += 1
            return resp
        finally:
            self.in_flight -= 1

    @staticmethod
    async def _answer(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return _json(exc.status, exc.body())
        except web.HTTPException as exc:  # unknown path or method: still the contract's shape
            code = "object_not_found" if exc.status == 404 else "param_invalid"
            return _json(exc.status, {"error": code, "message": exc.reason})

    # -- the contract -------------------------------------------------------------------

    @staticmethod
    async def _body(request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise invalid("body", "treść nie jest poprawnym JSON-em") from None

    async def _submit(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        status, rec = self.state.submit(body, request.headers.get("Idempotency-Key"))
        return _json(status, rec.to_json())

    async def _get(self, request: web.Request) -> web.Response:
        return _json(200, self.state.find(request.match_info["mc_id"]).to_json())

    async def _batch_get(self, request: web.Request) -> web.Response:
        return _json(200, self.state.batch_get(await self._body(request)))

    async def _revoke(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return _json(200, self.state.revoke(request.match_info["mc_id"], body).to_json())

    async def _health(self, request: web.Request) -> web.Response:
        return _json(200, {"status": "ok"})

    # -- control panel ------------------------------------------------------------------

    async def _sim_order(self, request: web.Request) -> web.Response:
        return _json(200, self.state.find(request.match_info["mc_id"]).to_json())

    async def _sim_pickup(self, request: web.Request) -> web.Response:
        return _json(200, self.state.pickup(request.match_info["mc_id"]).to_json())

    async def _sim_remove(self, request: web.Request) -> web.Response:
        return _json(200, self.state.remove(request.match_info["mc_id"]).to_json())

    async def _sim_knobs(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await self._body(request)
            try:
                self.knobs.update(**(body if isinstance(body, dict) else {}))
            except (TypeError, ValueError) as exc:
                raise invalid("knobs", str(exc)) from None
        return _json(200, self.knobs.public())

    async def _sim_clock(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await self._body(request)
            seconds = body.get("advance") if isinstance(body, dict) else None
            try:
                if not isinstance(seconds, (int, float, str)):
                    raise TypeError
                self.clock.advance(float(seconds))
            except (TypeError, ValueError):
                raise invalid("advance", "oczekiwano liczby sekund >= 0") from None
        return _json(200, {"now": stamp(self.clock.now()), "offset": self.clock.offset})

    async def _sim_stats(self, request: web.Request) -> web.Response:
        out = self.stats_json()
        if request.method == "POST":
            self.reset_stats()
        return _json(200, out)

    async def _sim_preload(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        orders = body.get("orders") if isinstance(body, dict) else None
        return _json(200, {"loaded": self.state.preload(orders)})


async def serve(sim: Simulator, host: str, port: int,
                ssl_context: ssl.SSLContext | None = None) -> tuple[web.AppRunner, str]:
    """Start serving on the running loop; returns the runner and the base URL."""
    # handler_cancellation: a client that gave up on a hung request frees its handler.
    runner = web.AppRunner(sim.make_app(), access_log=None, handler_cancellation=True,
                           shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    actual = runner.addresses[0][1]
    scheme = "https" if ssl_context else "http"
    return runner, f"{scheme}://{host}:{actual}{sim.base_path}"
