"""Async gateway client for MC (see MC-API.md): retries, backoff, bounded concurrency."""
from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import random
import ssl
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal
from urllib.parse import quote

import certifi
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from mleg_tui.errors import ConfigError
from mleg_tui.mc.errors import (
    MCAuthError,
    MCConflict,
    MCError,
    MCNotFound,
    MCProtocolError,
    MCRejected,
    MCUnavailable,
    scrub,
    tries_pl,
)
from mleg_tui.mc.models import REVOKE_STATUS, MCOrder, SubmitRequest

log = logging.getLogger("mleg_tui.mc")

try:  # httpcore imports sniffio on every request; when it is absent, each failed import
    import sniffio  # noqa: F401  searches sys.path again (~3 ms a request). Cache the miss.
except ImportError:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

MAX_BATCH = 100  # the contract's limit for batchGet


@dataclass(frozen=True)
class MCConfig:
    base_url: str
    token: str = field(repr=False)
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_tries: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    concurrency: int = 16
    batch_size: int = 100


def _ssl_context(cfg: MCConfig) -> ssl.SSLContext:
    """Verification is always on; only the trusted CAs and our own certificate vary."""
    try:
        ca = cfg.ca_bundle
        if ca and os.path.isdir(ca):
            ctx = ssl.create_default_context(capath=ca)
        else:
            ctx = ssl.create_default_context(cafile=ca or certifi.where())
        if cfg.client_cert:
            ctx.load_cert_chain(cfg.client_cert, cfg.client_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"MC: nie można wczytać certyfikatów TLS: {exc}") from None
    return ctx


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (the contract) or an HTTP date (the HTTP standard)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """The certificate problem behind a connection failure; retrying it will not help.
    Other TLS errors (EOF mid-handshake and the like) count as a broken connection."""
    cur: BaseException | None = exc
    for _ in range(10):
        if cur is None:
            break
        if isinstance(cur, ssl.SSLCertVerificationError) or (
            isinstance(cur, ssl.SSLError) and "CERTIFICATE" in str(cur.reason or "").upper()
        ):
            return cur
        cur = cur.__cause__ or cur.__context__
    return None


class MCClient:
    """Shared connections for all calls; use as `async with MCClient(cfg) as mc:`."""

    def __init__(self, cfg: MCConfig) -> None:
        if cfg.max_tries < 1 or cfg.concurrency < 1 or cfg.batch_size < 1:
            raise ConfigError("MC: max_tries, concurrency i batch_size muszą być >= 1")
        self.cfg = cfg
        self._base = cfg.base_url.rstrip("/")
        # Bounded concurrency: a request in flight holds one slot, only for the request
        # itself (never across a backoff sleep). Each slot is a one-connection httpx client
        # sharing the same settings: httpcore's pool does O(connections²) work per request,
        # which at 64 connections cost ~10 ms of CPU a request versus ~1.7 ms this way.
        ctx = _ssl_context(cfg)
        self._pools = [self._make_http(cfg, ctx) for _ in range(cfg.concurrency)]
        self._slots: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for pool in self._pools:
            self._slots.put_nowait(pool)

    @staticmethod
    def _make_http(cfg: MCConfig, ctx: ssl.SSLContext) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            verify=ctx,
            timeout=httpx.Timeout(
                connect=cfg.connect_timeout,
                read=cfg.read_timeout,
                write=cfg.read_timeout,
                pool=cfg.connect_timeout + cfg.read_timeout,
            ),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            # No token configured (a local simulator): no Authorization header at all,
            # rather than an empty "Bearer " that HTTP libraries reject.
            headers={
                **({"Authorization": f"Bearer {cfg.token}"} if cfg.token else {}),
                "Accept": "application/json",
                "User-Agent": "mleg-tui",
            },
            follow_redirects=False,
        )

    async def __aenter__(self) -> "MCClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()

    # -- the contract's operations ------------------------------------------------------

    async def submit(self, req: SubmitRequest) -> tuple[MCOrder, bool]:
        """Send an order. Returns (order, created); created is False when MC already had it
        (a repeat, including one whose earlier response was lost on the way)."""
        status, body = await self._call(
            "POST", "/v1/orders", req.to_json(), headers={"Idempotency-Key": req.order_ref}
        )
        order = MCOrder.from_json(body)
        if order.order_ref != req.order_ref:
            raise MCProtocolError(
                f"MC zwrócił zamówienie {order.order_ref!r} zamiast {req.order_ref!r}"
            )
        return order, status == 201

    async def get(self, mc_id: str) -> MCOrder:
        _, body = await self._call("GET", f"/v1/orders/{quote(mc_id, safe='')}")
        return MCOrder.from_json(body)

    async def batch_get(self, mc_ids: list[str]) -> tuple[list[MCOrder], list[str]]:
        """One batchGet (<= 100 ids): (orders found, ids MC does not know)."""
        if len(mc_ids) > MAX_BATCH:
            raise ValueError(f"batch_get: at most {MAX_BATCH} ids, got {len(mc_ids)}")
        if not mc_ids:
            return [], []
        _, body = await self._call("POST", "/v1/orders:batchGet", {"mc_ids": list(mc_ids)})
        orders, not_found = body.get("orders"), body.get("not_found", [])
        if not isinstance(orders, list) or not isinstance(not_found, list):
            raise MCProtocolError("MC: odpowiedź batchGet bez listy 'orders'/'not_found'")
        if not all(isinstance(i, str) for i in not_found):
            raise MCProtocolError("MC: 'not_found' zawiera coś innego niż identyfikatory")
        return [MCOrder.from_json(o) for o in orders], not_found

    async def batch_get_all(
        self, mc_ids: Iterable[str]
    ) -> AsyncIterator[tuple[list[MCOrder], list[str]]]:
        """Refresh any number of ids: pages of batch_size, up to `concurrency` in flight,
        yielded as they complete (not in input order). Reads the ids lazily, so memory
        stays flat. A page that fails after all retries raises and cancels the rest."""
        size = min(self.cfg.batch_size, MAX_BATCH)
        ids = iter(mc_ids)
        pending: set[asyncio.Task] = set()
        try:
            while True:
                while len(pending) < self.cfg.concurrency:
                    page = list(islice(ids, size))
                    if not page:
                        break
                    pending.add(asyncio.ensure_future(self.batch_get(page)))
                if not pending:
                    return
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def revoke(
        self, mc_id: str, by: Literal["UNIVERSITY", "STUDENT"], reason: str
    ) -> MCOrder:
        if by not in REVOKE_STATUS:
            raise ValueError(f"revoke: by must be UNIVERSITY or STUDENT, got {by!r}")
        _, body = await self._call(
            "POST", f"/v1/orders/{quote(mc_id, safe='')}:revoke", {"by": by, "reason": reason}
        )
        return MCOrder.from_json(body)

    async def health(self, *, tries: int = 1) -> bool:
        """True when MC answers {"status": "ok"}. One try by default, so a status bar does
        not hang on retries; a rejected token still raises MCAuthError (a config error)."""
        try:
            _, body = await self._call("GET", "/v1/health", tries=tries)
        except (MCUnavailable, MCProtocolError):
            return False
        return body.get("status") == "ok"

    # -- transport ----------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        headers: dict[str, str] | None = None,
        tries: int | None = None,
    ) -> tuple[int, dict]:
        """One logical request with retries; returns (HTTP status, JSON object)."""
        max_tries = tries or self.cfg.max_tries
        content = None if payload is None else json.dumps(payload).encode()
        if content is not None:
            headers = {**(headers or {}), "Content-Type": "application/json; charset=utf-8"}
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max_tries),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, MCError) and e.retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    n = attempt.retry_state.attempt_number
                    return await self._attempt(method, path, content, headers, n)
        except MCError as exc:
            if exc.retryable:  # every try failed: say how many, the caller sees one error
                raise exc.with_message(f"{exc.message} ({tries_pl(max_tries)})") from None
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, method: str, path: str, content: bytes | None, headers: dict | None, n: int
    ) -> tuple[int, dict]:
        http = await self._slots.get()
        try:
            try:
                resp = await http.request(
                    method, self._base + path, content=content, headers=headers
                )
            except httpx.TimeoutException:
                log.info("MC %s %s: timeout (attempt %d)", method, path, n)
                raise MCUnavailable("MC niedostępny: przekroczono czas oczekiwania") from None
            except httpx.TransportError as exc:
                log.info("MC %s %s: %s (attempt %d)", method, path, type(exc).__name__, n)
                tls = _tls_failure(exc)
                if tls is not None:
                    reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None)
                    raise MCUnavailable(
                        f"MC: nieudane połączenie TLS ({reason or type(tls).__name__})",
                        retryable=False,
                    ) from None
                refused = isinstance(exc, httpx.ConnectError)
                kind = "brak połączenia" if refused else "zerwane połączenie"
                raise MCUnavailable(f"MC niedostępny: {kind}") from None
        finally:
            self._slots.put_nowait(http)
        log.debug("MC %s %s -> %d (attempt %d)", method, path, resp.status_code, n)
        return self._interpret(resp)

    def _interpret(self, resp: httpx.Response) -> tuple[int, dict]:
        status = resp.status_code
        try:
            body = json.loads(resp.content) if resp.content else None
        except ValueError:  # includes UnicodeDecodeError
            body = None
        if 200 <= status < 300:
            if not isinstance(body, dict):
                # Safe to retry: every operation is a read or idempotent.
                raise MCProtocolError(
                    f"MC zwrócił niepoprawną odpowiedź (HTTP {status}, nie JSON)",
                    retryable=True,
                )
            return status, body
        err = body if isinstance(body, dict) else {}
        code = err.get("error") if isinstance(err.get("error"), str) else None
        param = err.get("param_name") if isinstance(err.get("param_name"), str) else None
        text = err.get("message") if isinstance(err.get("message"), str) else ""
        order = None
        if status == 409 and "order" in err:
            try:
                order = MCOrder.from_json(err["order"])
            except MCProtocolError:
                order = None
        secrets = (self.cfg.token, order.activation_code if order else None)
        text = scrub(text or code or "", secrets)
        kw: dict[str, Any] = {"code": code, "http_status": status, "param_name": param}
        suffix = f": {text}" if text else ""
        if status == 429 or status >= 500:
            kw["retry_after"] = _retry_after(resp.headers.get("Retry-After"))
            what = "limit zapytań" if status == 429 else "błąd serwera"
            raise MCUnavailable(f"MC niedostępny: {what} (HTTP {status}){suffix}", **kw)
        if status in (401, 403):
            raise MCAuthError(
                f"MC odmówił dostępu (HTTP {status}){suffix}; sprawdź token i certyfikat", **kw
            )
        if status == 404:
            raise MCNotFound(f"MC: nie znaleziono (HTTP 404){suffix}", **kw)
        if status == 409:
            raise MCConflict(f"MC: konflikt (HTTP 409){suffix}", order=order, **kw)
        if status == 400:
            field_ = f" [pole {param}]" if param else ""
            raise MCRejected(f"MC odrzucił żądanie{field_}{suffix}", **kw)
        if status == 408:
            raise MCUnavailable(f"MC niedostępny: przekroczono czas (HTTP 408){suffix}", **kw)
        if 400 <= status < 500:
            raise MCError(f"MC: błąd żądania (HTTP {status}){suffix}", **kw)
        raise MCProtocolError(f"MC: nieoczekiwana odpowiedź HTTP {status}", **kw)

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter; at least Retry-After (capped by backoff_max)."""
        cfg = self.cfg
        base = min(cfg.backoff_max, cfg.backoff_initial * 2 ** (state.attempt_number - 1))
        delay = base / 2 + random.uniform(0, base / 2)  # "equal jitter": never ~0
        exc = state.outcome.exception() if state.outcome else None
        server = getattr(exc, "retry_after", None)
        if server is not None:
            delay = max(delay, min(server, cfg.backoff_max))
        return delay

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("MC retry in %.2fs after attempt %d: %s", wait, state.attempt_number, exc)
