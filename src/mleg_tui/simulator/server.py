"""Run the simulated MC: `mleg-tui mc-sim ...` (main) or start_simulator() for tests/demo.

start_simulator serves from a background thread of this process (quick to start, state
reachable directly) or, with process=True, from a child process: the benchmark's choice,
since client and server then stop competing for one interpreter lock.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from aiohttp import web

from mleg_tui.cli.argparse_pl import Parser, number, whole_number
from mleg_tui.domain.numbers import decimal
from mleg_tui.simulator.app import Simulator, serve
from mleg_tui.simulator.state import ApiError, Knobs

__all__ = ["SimHandle", "SimProcess", "Simulator", "main", "start_simulator"]

LISTENING = "Symulator MC nasłuchuje: "  # the first line of `mc-sim`, then its URL


class SimHandle:
    """A simulator serving from a background thread. Helpers run on its loop, thread-safe.
    The helpers raise ApiError (status, code) as the /_sim/ endpoints would answer."""

    def __init__(self, sim: Simulator, host: str, port: int,
                 ssl_context: ssl.SSLContext | None) -> None:
        self.sim = sim
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._runner, self.url = self._loop.run_until_complete(
                    serve(sim, host, port, ssl_context))
            except BaseException as exc:  # e.g. port in use: report to the caller
                failure.append(exc)
                ready.set()
                self._loop.close()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=run, name="mc-sim", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    def _call(self, fn: Any, *args: Any, **kw: Any) -> Any:
        async def wrapped() -> Any:
            return fn(*args, **kw)
        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(10)

    def stop(self) -> None:
        """Stop serving (hung requests are woken) and save the state file, if any."""
        if not self._thread.is_alive():
            return

        async def shutdown() -> None:
            self.sim.begin_shutdown()
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> SimHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_knobs(self, **knobs: Any) -> None:
        self._call(self.sim.knobs.update, **knobs)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward: scheduled transitions become due."""
        self._call(self.sim.clock.advance, seconds)

    def pickup(self, mc_id: str) -> dict[str, Any]:
        """The student adds the card in mObywatel: DO_ODBIORU -> ODEBRANA."""
        return self._call(lambda: self.sim.state.pickup(mc_id).to_json())

    def remove(self, mc_id: str) -> dict[str, Any]:
        """The student removes the card in the app -> ANULOWANE_PRZEZ_UZYTKOWNIKA."""
        return self._call(lambda: self.sim.state.remove(mc_id).to_json())

    def preload(self, orders: list[Any]) -> int:
        """Orders as dicts or MCOrder objects (+ optional "submitted_at" in dicts)."""
        objs = [o if isinstance(o, dict) else o.to_json() for o in orders]
        return self._call(self.sim.state.preload, objs)

    def order(self, mc_id: str) -> dict[str, Any] | None:
        """The order as MC would return it now, or None."""
        def view() -> dict[str, Any] | None:
            try:
                return self.sim.state.find(mc_id).to_json()
            except ApiError:
                return None
        return self._call(view)

    def stats(self) -> dict[str, Any]:
        """Request counts by endpoint, fault and response, in_flight, max_in_flight, orders."""
        return self._call(self.sim.stats_json)

    def reset_stats(self) -> None:
        self._call(self.sim.reset_stats)


class SimProcess:
    """The same helpers for a simulator in a child process, driven over /_sim/."""

    def __init__(self, host: str, port: int, seed: int, state_file: str | os.PathLike | None,
                 base_path: str, knobs: dict[str, Any]) -> None:
        Knobs().update(**knobs)  # fail here, not in the child
        cmd = [sys.executable, "-m", "mleg_tui.simulator.server", "--host", host, "--port", str(port),
               "--seed", str(seed), "--base-path", base_path]
        if state_file:
            cmd += ["--state", os.fspath(state_file)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        if not line.startswith(LISTENING):
            self._proc.kill()
            self._proc.wait()
            raise RuntimeError(f"mc-sim did not start: {line.strip()!r}")
        self.url = line.split()[-1]
        self._http = httpx.Client(base_url=self.url, timeout=10)
        if knobs:
            self.set_knobs(**knobs)

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        resp = self._http.request(method, "/_sim" + path, json=body)
        data = resp.json()
        if resp.status_code >= 400:
            raise ApiError(resp.status_code, data.get("error", "?"), data.get("message", ""))
        return data

    def stop(self) -> None:
        """Ctrl+C for the child: it stops serving and saves its state file."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout:
            self._proc.stdout.close()
        self._http.close()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_knobs(self, **knobs: Any) -> None:
        self._control("POST", "/knobs", knobs)

    def advance(self, seconds: float) -> None:
        self._control("POST", "/clock", {"advance": seconds})

    def pickup(self, mc_id: str) -> dict[str, Any]:
        return self._control("POST", f"/orders/{quote(mc_id, safe='')}/pickup")

    def remove(self, mc_id: str) -> dict[str, Any]:
        return self._control("POST", f"/orders/{quote(mc_id, safe='')}/remove")

    def preload(self, orders: list[Any]) -> int:
        objs = [o if isinstance(o, dict) else o.to_json() for o in orders]
        return self._control("POST", "/preload", {"orders": objs})["loaded"]

    def order(self, mc_id: str) -> dict[str, Any] | None:
        try:
            return self._control("GET", f"/orders/{quote(mc_id, safe='')}")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def stats(self) -> dict[str, Any]:
        return self._control("GET", "/stats")

    def reset_stats(self) -> None:
        self._control("POST", "/stats/reset")


def start_simulator(host: str = "127.0.0.1", port: int = 0, *, seed: int = 0,
                    state_file: str | os.PathLike | None = None, base_path: str = "",
                    ssl_context: ssl.SSLContext | None = None, process: bool = False,
                    **knobs: Any) -> SimHandle | SimProcess:
    """Start a simulator; port 0 picks a free port. handle.url is the base URL for MCConfig
    (including base_path). Knobs: see Knobs in sim_state (latency_ms, fail_5xx, ...)."""
    if process:
        if ssl_context is not None:
            raise ValueError("start_simulator: TLS is served in-process only")
        return SimProcess(host, port, seed, state_file, base_path, knobs)
    sim = Simulator(seed=seed, state_file=state_file, base_path=base_path, **knobs)
    return SimHandle(sim, host, port, ssl_context)


# -- command line -------------------------------------------------------------------------

KNOB_HELP = (  # the knobs a command line may set, with what each does
    ("latency-ms", "opóźnienie każdej odpowiedzi w milisekundach"),
    ("fail-5xx", "część odpowiedzi 500/503 (od 0 do 1)"),
    ("rate-429", "część odpowiedzi 429 (od 0 do 1)"),
    ("retry-after", "sekundy w nagłówku Retry-After odpowiedzi 429"),
    ("hang", "część zapytań, które zawisają (od 0 do 1)"),
    ("hang-seconds", "jak długo zawisają, w sekundach"),
    ("garbled", "część odpowiedzi, które nie są JSON (od 0 do 1)"),
    ("reset", "część zerwanych połączeń (od 0 do 1)"),
    ("blad", "część zamówień, które kończą się statusem BLAD (od 0 do 1)"),
    ("issue-delay", "sekundy do wydania kodów"),
    ("pickup", "część zamówień, które student odbiera (od 0 do 1)"),
    ("pickup-delay", "sekundy od wydania kodów do odbioru"),
    ("codes-valid-days", "ile dni ważne są kody"),
)


def _knob_type(attr: str) -> Callable[[str], float]:
    def value(text: str) -> float:
        n = number(text)
        if n < 0 or (attr in Knobs._SHARES and n > 1):
            what = "część od 0 do 1" if attr in Knobs._SHARES else "liczbę nie mniejszą niż 0"
            raise argparse.ArgumentTypeError(f"„{text}”: podaj {what}")
        return n

    value.__name__ = "liczba"
    return value


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="mleg-tui mc-sim",
               description="Symulowany serwis MC wydający mLegitymacje.")
    p.add_argument("--host", default="127.0.0.1", metavar="ADRES", help="adres nasłuchu (domyślnie 127.0.0.1)")
    p.add_argument("--port", type=whole_number, default=8765, metavar="PORT", help="port (domyślnie 8765)")
    p.add_argument("--seed", type=whole_number, default=0, metavar="LICZBA",
                   help="ziarno losowania: ta sama liczba daje te same odpowiedzi (domyślnie 0)")
    p.add_argument("--token", default=None, metavar="TOKEN", help="wymagaj tego tokenu (Bearer)")
    p.add_argument("--state", default=None, metavar="PLIK", help="zapisuj zamówienia w tym pliku")
    p.add_argument("--base-path", default="", metavar="ŚCIEŻKA", help="ścieżka przed adresami API, np. /api")
    p.add_argument("--tls-cert", default=None, metavar="PLIK", help="HTTPS z tym certyfikatem")
    p.add_argument("--tls-key", default=None, metavar="PLIK", help="klucz prywatny certyfikatu --tls-cert")
    defaults = Knobs()
    for name, help_ in KNOB_HELP:
        attr = name.replace("-", "_")
        default = getattr(defaults, attr)
        p.add_argument(f"--{name}", dest=attr, type=_knob_type(attr), default=default, metavar="LICZBA",
                       help=f"{help_} (domyślnie {decimal(default)})")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    fixed = ("host", "port", "seed", "state", "base_path", "tls_cert", "tls_key")
    knobs = {k: v for k, v in vars(args).items() if k not in fixed}
    try:
        ctx = None
        if args.tls_cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
        sim = Simulator(seed=args.seed, state_file=args.state, base_path=args.base_path,
                        **knobs)
    except (ValueError, OSError, ssl.SSLError) as exc:
        print(f"mc-sim: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        runner, url = await serve(sim, args.host, args.port, ctx)
        print(f"{LISTENING}{url}", flush=True)
        stop = asyncio.Event()
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
        try:
            await stop.wait()
        finally:  # Ctrl+C cancels us here; cleanup saves the state
            sim.begin_shutdown()
            await runner.cleanup()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"mc-sim: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
