"""Small hostile MC servers for the tests: raw HTTP/1.1 on a socket, each in a thread of
its own, so they can do what no well-behaved server (nor the simulator) does: trickle a
byte at a time, send 100 MB, lie about the encoding, nest JSON 200k deep, or tamper with
the simulator's answers on their way to the client.

A handler is `async def handler(req: Request, out: asyncio.StreamWriter) -> None`; it
writes the whole response (see `respond`) and the connection is closed after it.
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]
REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 409: "Conflict",
           500: "Internal Server Error", 503: "Service Unavailable"}


def head(status: int, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'X')}", "Connection: close",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def respond(out: asyncio.StreamWriter, status: int, body: Any,
                  headers: dict[str, str] | None = None) -> None:
    """A whole response: `body` as bytes, or anything else as JSON."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    out.write(head(status, {"Content-Type": "application/json; charset=utf-8",
                            "Content-Length": str(len(data)), **(headers or {})}) + data)
    await out.drain()


def local_address() -> str | None:
    """An address of this machine that is not loopback (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") or addr == "0.0.0.0" else addr


class HostileServer:
    """`with HostileServer(handler) as srv:` serves on srv.url until the block ends."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.host = host
        self.url = ""
        self.requests: list[Request] = []
        self.sent = 0  # body bytes the handlers got onto the wire (see `stream`)
        self.errors: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, name="hostile-mc", daemon=True)
        self._ready = threading.Event()

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, self.host, 0))
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{port}"
        self._ready.set()
        self._loop.run_forever()
        self._server.close()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, out: asyncio.StreamWriter) -> None:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
            first, *lines = raw.decode("latin-1").split("\r\n")
            method, path, _ = first.split(" ", 2)
            headers = {}
            for line in lines:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            req = Request(method, path, headers, body)
            self.requests.append(req)
            await self.handler(req, out)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client hung up (what it should do with some of these), or we stop
        except Exception as exc:  # noqa: BLE001 - reported to the test through .errors
            self.errors.append(exc)
        finally:
            out.close()

    async def stream(self, out: asyncio.StreamWriter, chunks: Any, pause: float = 0.0) -> None:
        """Write chunks one by one, counting what got out, until the client hangs up."""
        for chunk in chunks:
            if out.is_closing():
                return
            out.write(chunk)
            await out.drain()
            self.sent += len(chunk)
            if pause:
                await asyncio.sleep(pause)


@dataclass
class Tamper:
    """A proxy in front of the simulator that may rewrite each answer: `edit(req, status,
    body)` gets the simulator's status and decoded JSON and returns (status, body) to
    send, body as JSON or raw bytes. Everything else passes through unchanged."""

    target: str
    edit: Callable[[Request, int, Any], tuple[int, Any]]
    host: str = "127.0.0.1"
    server: HostileServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = HostileServer(self._forward, self.host)

    @property
    def url(self) -> str:
        return self.server.url

    def __enter__(self) -> Tamper:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    async def _forward(self, req: Request, out: asyncio.StreamWriter) -> None:
        keep = {k: v for k, v in req.headers.items() if k in ("authorization", "content-type", "idempotency-key")}
        async with httpx.AsyncClient() as client:
            resp = await client.request(req.method, self.target + req.path, content=req.body, headers=keep)
        try:
            body = resp.json()
        except ValueError:
            body = resp.content
        status, body = self.edit(req, resp.status_code, body)
        await respond(out, status, body)


def passthrough(req: Request, status: int, body: Any) -> tuple[int, Any]:
    return status, body


__all__ = ["HostileServer", "Request", "Tamper", "head", "local_address", "passthrough", "respond"]
