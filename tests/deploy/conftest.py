"""Fixtures of the office-deployment tests: the office server of support/office.py, once
per module. It takes root (local users, sshd), as CI and the README's server have."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support.office import OfficeServer, build_office


@pytest.fixture(scope="module")
def office() -> Iterator[OfficeServer]:
    if os.geteuid() != 0:
        pytest.skip("the office server's tests make local users and run sshd: they need root")
    yield from build_office()
