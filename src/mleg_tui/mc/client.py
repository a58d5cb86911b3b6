"""Async gateway client for MC: retries, backoff, bounded concurrency,
and answers bounded in time and size and checked against the contract before anyone
sees them."""
from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import logging
import os
import random
import ssl
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlsplit

import certifi
import httpx
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from mleg_tui.domain.names import plural
from mleg_tui.domain.numbers import decimal
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
)
from mleg_tui.mc.models import (
    MAX_BATCH,
    REVOKE_STATUS,
    W_TRAKCIE,
    BatchAnswer,
    ErrorBody,
    Health,
    MCOrder,
    SubmitRequest,
    parse,
    protocol_error,
)

log = logging.getLogger("mleg_tui.mc")

try:  # httpcore imports sniffio on every request; when it is absent, each failed import
    import sniffio  # noqa: F401  searches sys.path again (~3 ms a request). Cache the miss.
except ImportError:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

M = TypeVar("M", bound=BaseModel)
MIB = 1024 * 1024


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
    # One call, every try and backoff included, ends within this many seconds (read_timeout
    # is per read: a server sending a byte a second would never trip it).
    deadline: float = 30.0
    max_response: int = 4 * MIB  # bytes of one answer's body (the contract's limit)
    # Plain http:// to anything but this machine sends the token in the clear.
    allow_insecure_http: bool = False


def _loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, allow_insecure_http: bool = False) -> bool:
    """Refuse a URL the token must not go to; True when it goes in the clear by permission.
    The messages name the host, never the whole URL (it may hold a password)."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # e.g. a bad IPv6 literal
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise ConfigError("MC: adres mc_url musi mieć postać https://host/ścieżka "
                          "(np. https://mc.example/api).")
    if scheme == "https" or _loopback(host):
        return False
    if not allow_insecure_http:
        raise ConfigError(
            f"MC: adres http:// wysłałby token MC do {host} bez szyfrowania; użyj https:// "
            "albo, tylko w zaufanej sieci, ustaw mc_allow_insecure_http = true."
        )
    return True


def insecure_warning(url: str) -> str:
    host = urlsplit(url).hostname or "?"
    return (f"Uwaga: połączenie z MC ({host}) bez szyfrowania (http://): token MC idzie jawnym "
            "tekstem (zezwala na to mc_allow_insecure_http).")


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


def _same_order(order: MCOrder, mc_id: str) -> MCOrder:
    """An answer about one order must be about the order asked for."""
    if order.mc_id != mc_id:
        raise MCProtocolError(f"MC: odpowiedź o zamówieniu {order.mc_id} zamiast {mc_id}")
    return order


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
        if not cfg.deadline > 0 or cfg.max_response < 1:
            raise ConfigError("MC: deadline i max_response muszą być dodatnie")
        self.insecure = check_url(cfg.base_url, cfg.allow_insecure_http)
        if self.insecure:
            log.warning("%s", insecure_warning(cfg.base_url))
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
                # Bodies are counted as they arrive; a compressed one could unpack to far
                # more than it counts, so none is asked for (and one sent anyway is refused).
                "Accept-Encoding": "identity",
                "User-Agent": "mleg-tui",
            },
            follow_redirects=False,
        )

    async def __aenter__(self) -> MCClient:
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
        status, order = await self._call(
            "POST", "/v1/orders", MCOrder, req.to_json(), headers={"Idempotency-Key": req.order_ref}
        )
        if order.order_ref != req.order_ref:
            raise MCProtocolError(
                f"MC zwrócił zamówienie {order.order_ref} zamiast {req.order_ref}"
            )
        if status == 201 and order.status != W_TRAKCIE:
            raise MCProtocolError(
                f"MC: nowe zamówienie (HTTP 201) ze statusem {order.status} zamiast {W_TRAKCIE}"
            )
        return order, status == 201

    async def get(self, mc_id: str) -> MCOrder:
        _, order = await self._call("GET", f"/v1/orders/{quote(mc_id, safe='')}", MCOrder)
        return _same_order(order, mc_id)

    async def batch_get(self, mc_ids: list[str]) -> tuple[list[MCOrder], list[str]]:
        """One batchGet (<= 100 ids): (orders found, ids MC does not know). Every id asked
        is answered at most once, in one list or the other, and nothing else is."""
        if len(mc_ids) > MAX_BATCH:
            raise ValueError(f"batch_get: at most {MAX_BATCH} ids, got {len(mc_ids)}")
        if not mc_ids:
            return [], []
        _, answer = await self._call("POST", "/v1/orders:batchGet", BatchAnswer,
                                     {"mc_ids": list(mc_ids)})
        asked, seen = set(mc_ids), set()
        for mc_id in [o.mc_id for o in answer.orders] + answer.not_found:
            if mc_id not in asked:
                raise MCProtocolError(f"MC: odpowiedź batchGet o zamówieniu, o które nie pytano ({mc_id})")
            if mc_id in seen:
                raise MCProtocolError(f"MC: odpowiedź batchGet podaje zamówienie {mc_id} dwa razy")
            seen.add(mc_id)
        return answer.orders, answer.not_found

    async def revoke(
        self, mc_id: str, by: Literal["UNIVERSITY", "STUDENT"], reason: str
    ) -> MCOrder:
        if by not in REVOKE_STATUS:
            raise ValueError(f"revoke: by must be UNIVERSITY or STUDENT, got {by!r}")
        try:
            _, order = await self._call(
                "POST", f"/v1/orders/{quote(mc_id, safe='')}:revoke", MCOrder,
                {"by": by, "reason": reason},
            )
        except MCConflict as e:
            if e.order is not None:
                _same_order(e.order, mc_id)
            raise
        return _same_order(order, mc_id)

    async def health(self, *, tries: int = 1) -> bool:
        """True when MC answers {"status": "ok"}. One try by default, so a status bar does
        not hang on retries; a rejected token still raises MCAuthError (a config error)."""
        try:
            _, body = await self._call("GET", "/v1/health", Health, tries=tries)
        except (MCUnavailable, MCProtocolError):
            return False
        return body.status == "ok"

    # -- transport ----------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        payload: Any = None,
        *,
        headers: dict[str, str] | None = None,
        tries: int | None = None,
    ) -> tuple[int, M]:
        """One logical request with retries, within the deadline; returns (HTTP status,
        the answer checked against `model`)."""
        max_tries = tries or self.cfg.max_tries
        content = None if payload is None else json.dumps(payload).encode()
        if content is not None:
            headers = {**(headers or {}), "Content-Type": "application/json; charset=utf-8"}
        loop = asyncio.get_running_loop()
        deadline: list[float] = []  # set when the first try gets a connection
        made = 0

        def stop(state: RetryCallState) -> bool:
            # A backoff that would end past the deadline: stop now, with the last error.
            late = bool(deadline) and loop.time() + state.upcoming_sleep >= deadline[0]
            return state.attempt_number >= max_tries or late

        retrying = AsyncRetrying(
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, MCError) and e.retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    made = attempt.retry_state.attempt_number
                    return await self._attempt(method, path, content, headers, made, model, deadline)
        except MCError as exc:
            if exc.retryable:  # every try failed: say how many, the caller sees one error
                tried = plural(made, "próba", "próby", "prób")
                if made < max_tries:
                    tried += f" w limicie {decimal(self.cfg.deadline)} s"
                raise exc.with_message(f"{exc.message} ({tried})") from None
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self, method: str, path: str, content: bytes | None, headers: dict[str, str] | None,
        n: int, model: type[M], deadline: list[float],
    ) -> tuple[int, M]:
        http = await self._slots.get()
        try:
            # The deadline runs from the first try's connection, not from the queue for one:
            # a call waiting behind our own concurrency limit has not yet asked MC anything.
            if not deadline:
                deadline.append(asyncio.get_running_loop().time() + self.cfg.deadline)
            try:
                async with asyncio.timeout_at(deadline[0]):
                    status, resp_headers, body = await self._exchange(http, method, path, content, headers, n)
            except TimeoutError:
                log.info("MC %s %s: deadline of %gs reached (attempt %d)", method, path, self.cfg.deadline, n)
                raise MCUnavailable(
                    f"MC niedostępny: brak pełnej odpowiedzi w {decimal(self.cfg.deadline)} s (mc_deadline)",
                    retryable=False,
                ) from None
        finally:
            self._slots.put_nowait(http)
        log.debug("MC %s %s -> %d (attempt %d)", method, path, status, n)
        return self._interpret(status, resp_headers, body, model)

    async def _exchange(
        self, http: httpx.AsyncClient, method: str, path: str, content: bytes | None,
        headers: dict[str, str] | None, n: int,
    ) -> tuple[int, httpx.Headers, bytes]:
        """One HTTP exchange: status, headers and the body, read within max_response."""
        try:
            request = http.build_request(method, self._base + path, content=content, headers=headers)
            resp = await http.send(request, stream=True)
            try:
                return resp.status_code, resp.headers, await self._read_body(resp)
            finally:
                await resp.aclose()  # a body left unread closes the connection
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

    async def _read_body(self, resp: httpx.Response) -> bytes:
        """The body as it arrives, never more than max_response of it in memory."""
        cap = self.cfg.max_response
        too_big = MCProtocolError(
            f"MC: odpowiedź większa niż {decimal(cap / MIB)} MiB (limit mc_max_response_bytes)",
            http_status=resp.status_code,
        )
        coding = resp.headers.get("Content-Encoding", "").strip().lower()
        if coding not in ("", "identity"):
            raise MCProtocolError("MC: odpowiedź skompresowana (Content-Encoding), choć prosiliśmy "
                                  "o nieskompresowaną", http_status=resp.status_code)
        length = resp.headers.get("Content-Length", "").strip()
        if length.isdigit() and (len(length) > 18 or int(length) > cap):
            raise too_big
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_raw():
            size += len(chunk)
            if size > cap:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    def _interpret(self, status: int, headers: httpx.Headers, content: bytes,
                   model: type[M]) -> tuple[int, M]:
        if 200 <= status < 300:
            # Not JSON at all is retried (safe: every operation is a read or idempotent).
            return status, parse(model, content)
        err = self._error_body(status, content)
        code, param, order = err.error, err.param_name, err.order
        secrets = (self.cfg.token, order.activation_code if order else None)
        text = scrub(err.message or code or "", secrets)
        kw: dict[str, Any] = {"code": code, "http_status": status, "param_name": param}
        suffix = f": {text}" if text else ""
        if status == 429 or status >= 500:
            kw["retry_after"] = _retry_after(headers.get("Retry-After"))
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

    @staticmethod
    def _error_body(status: int, content: bytes) -> ErrorBody:
        """The details of an error. A body that is not a JSON object (a proxy's page, an
        empty one) has none: the status says enough. A JSON object that breaks the contract
        is a protocol error, retried when the status itself would be."""
        if not content.strip():
            return ErrorBody()
        try:
            return ErrorBody.model_validate_json(content)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            if not first["loc"] and first["type"] in ("json_invalid", "model_type"):
                return ErrorBody()
            bad = protocol_error(exc, f"odpowiedź HTTP {status}")
            raise MCProtocolError(bad.message, http_status=status,
                                  retryable=status in (408, 429) or status >= 500) from None

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
