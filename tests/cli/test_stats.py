"""`mleg-tui stats`: the overview's figures for a cron mail (Polish text) and for programs
(--json), the same numbers the services count, on both databases."""
from __future__ import annotations

import json
import re
from collections.abc import Callable

from mleg_tui.services.overview import lines_of, overview
from support.cli import CliResult
from support.demo import EVENING, build_store


def test_stats_says_what_needs_action_in_polish_and_json_gives_the_same_counts(
        store_url: str, mleg: Callable[..., CliResult]) -> None:
    ctx = build_store(store_url, 300)
    env = {"MLEG_TUI_TODAY": EVENING}
    text = mleg("stats", env=env)
    assert text.returncode == 0, text
    out = text.stdout
    assert out.startswith("Przegląd zamówień mLegitymacji, stan na 3.09.2025, 23:30")
    for title in ("Co wymaga działania", "Studenci, którzy nigdy nie zamawiali", "Zamówienia według statusu",
                  "Aktywne zamówienia według wieku", "Błędy według kodu", "Zamówienia dziennie"):
        assert f"\n{title}" in out
    assert re.search(r"średnio \d+,\d dziennie", out)  # a decimal comma, never a point
    assert not re.search(r"\d\.\d dziennie", out)

    doc = json.loads(mleg("stats", "--json", env=env).stdout)
    assert doc["as_of"].startswith("2025-09-03T23:30")
    got = [(line["label"], line["count"]) for s in doc["sections"] for line in s["lines"]]
    expected = [(line.label, line.count) for line in lines_of(overview(ctx))]
    assert got == expected
    statuses = next(s for s in doc["sections"] if s["key"] == "statuses")
    assert statuses["lines"][0]["count"] > 300
    assert {"list": "orders", "statuses": ["DO_ODBIORU"]} == statuses["lines"][3]["opens"]
    students = next(s for s in doc["sections"] if s["key"] == "students")
    assert students["lines"][0]["opens"] == {"list": "students", "set": "may_order", "reason": None}
    for line in statuses["lines"][1:]:  # each status line's count is its line in the text
        assert re.search(rf"{re.escape(line['label'])} +{line['count']:,}".replace(",", "\u00a0"), out)
