"""Fixtures of the MC client and simulator tests: a simulator serving real HTTP on
127.0.0.1 from a background thread, and a client talking to it."""
from __future__ import annotations

import pytest

from mleg_tui.mc import MCClient
from mleg_tui.simulator.server import SimHandle, start_simulator
from support.mc import TOKEN, fast_config


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
