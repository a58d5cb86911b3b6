"""Fixtures of the command-line tests (`cli`, a real process, is in tests/conftest.py:
the store tests run it too)."""
from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from support.cli import CliResult, run_main


@pytest.fixture
def mleg(cli_env: dict[str, str]) -> Callable[..., CliResult]:
    """Like `cli`, in this process (see run_main)."""

    def run(*args: str, env: Mapping[str, str | None] | None = None) -> CliResult:
        return run_main(args, cli_env, extra_env=env)

    return run
