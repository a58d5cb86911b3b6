"""Fixtures for the MC client and simulator tests (import with `from conftest_mc import *`).

Every test talks real HTTP on 127.0.0.1 to a simulator serving from a background thread.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest

from mleg_tui.domain.pesel import make_pesel
from mleg_tui.mc import MCClient, MCConfig, SubmitRequest
from mleg_tui.simulator.server import SimHandle, start_simulator

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


@pytest.fixture
def sim() -> SimHandle:
    # No random BLAD/pickup unless a test asks: outcomes stay predictable.
    with start_simulator(seed=7, token=TOKEN, blad=0.0, pickup=0.0, issue_delay=5,
                         jitter=0.5) as handle:
        yield handle


@pytest.fixture
async def mc(sim: SimHandle) -> MCClient:
    async with MCClient(fast_config(sim.url)) as client:
        yield client


__all__ = ["TOKEN", "fast_config", "make_req", "until", "sim", "mc"]
