"""The MC client's side of the MC tests: the token, a configuration with tiny backoff,
submit requests, and polling without blocking the loop. Every test talks real HTTP on
127.0.0.1 to a simulator serving from a background thread (tests/mc/conftest.py).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from mleg_tui.domain.pesel import make_pesel
from mleg_tui.mc import MCConfig, SubmitRequest

TOKEN = "tok-5up3r-s3cr3t-abc123"


def fast_config(url: str, **over: Any) -> MCConfig:
    """Tiny backoff and timeouts, so retry tests take milliseconds."""
    values: dict[str, Any] = dict(
        base_url=url, token=TOKEN, connect_timeout=1.0, read_timeout=2.0,
        max_tries=6, backoff_initial=0.01, backoff_max=0.05,
    )
    values.update(over)
    return MCConfig(**values)


def make_req(n: int = 1, **over: Any) -> SubmitRequest:
    values: dict[str, Any] = dict(
        order_ref=f"UW-{n:06d}",
        album=str(400000 + n),
        pesel=make_pesel(dt.date(2002, 5, 17), n % 1000, n % 2 == 0),
        first_name="Anna",
        last_name="Nowak",
        expiry_date=dt.date(2026, 3, 31),
    )
    values.update(over)
    return SubmitRequest(**values)


async def until(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition without blocking the loop the client runs on."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)
