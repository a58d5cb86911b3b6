"""An app start (settings, no command) is read without the whole parser: it must read every
start as the whole parser does, and leave everything else to it."""
from __future__ import annotations

import pytest

from mleg_tui.cli.main import _app_start, build_parser

STARTS = [[], ["--db", "x.db"], ["--db", "x.db", "--read-only"], ["--re"], ["--today", "2025-11-20", "--demo"],
          ["--config", "c.toml", "--as", "jkowal"], ["--db=orders"], ["--db", "orders"]]
OTHERS = [["tui"], ["-h"], ["--help"], ["--he"], ["orders"], ["--db", "x.db", "orders", "--json"],
          ["--bogus"], ["--read-only", "student", "100001"]]


@pytest.mark.parametrize("argv", STARTS)
def test_an_app_start_reads_as_the_whole_parser_reads_it(argv: list[str]) -> None:
    whole = vars(build_parser().parse_args(argv))
    assert whole.pop("command") is None
    quick = _app_start(argv)
    assert quick is not None and vars(quick) == whole


@pytest.mark.parametrize("argv", OTHERS)
def test_a_command_or_help_goes_to_the_whole_parser(argv: list[str]) -> None:
    assert _app_start(argv) is None
