"""`mleg-tui stats`: the overview's figures (services.overview) as text for a person (a cron
mail) or as JSON for a program. Only argparse is imported here: `mleg-tui --help` stays quick."""
from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt

    from mleg_tui.services.overview_types import Section

LABEL_WIDTH = 66  # at most: the counts stand in one column within 80 characters


def add_parser(cmd: Callable[..., argparse.ArgumentParser]) -> None:
    p = cmd("stats", "przegląd: co wymaga działania, statusy, błędy, zamówienia dziennie", run_stats)
    p.add_argument("--json", action="store_true", help="w JSON (dla programów)")


def run_stats(args: argparse.Namespace) -> int:
    from mleg_tui.cli.main import _out, context_for
    from mleg_tui.domain.text import json_safe
    from mleg_tui.services.overview import overview

    ctx = context_for(args)
    now = ctx.clock.now()
    sections = overview(ctx, now)
    if args.json:
        doc = {"as_of": ctx.clock.local(now).isoformat(timespec="seconds"),
               "sections": [s.as_json() for s in sections]}
        _out(json_safe(json.dumps(doc, ensure_ascii=False, indent=2)))
    else:
        _out(stats_text(sections, ctx.clock.local(now)))
    return 0


def stats_text(sections: list[Section], at: dt.datetime) -> str:
    from mleg_tui.domain.dates import pl_date, pl_datetime
    from mleg_tui.domain.numbers import decimal, whole
    from mleg_tui.domain.text import visible
    from mleg_tui.services.overview_types import spark

    out = [f"Przegląd zamówień mLegitymacji, stan na {pl_datetime(at)}"]
    width = min(LABEL_WIDTH, max((len(line.label) + 2 * line.part for s in sections for line in s.lines), default=0))
    for s in sections:
        out += ["", s.title + (f" ({s.note})" if s.note else "")]
        for line in s.lines:
            mark = "!" if line.action and line.count else " "
            label = ("  " if line.part else "") + visible(line.label)
            if len(label) > width:
                label = label[:width - 1] + "…"
            out.append(f"{mark} {label:<{width}} {whole(line.count):>9}")
            if line.series:
                days = s.days[-len(line.series):]
                busiest = max(range(len(line.series)), key=lambda i: line.series[i])
                mean = sum(line.series) / len(line.series)
                out.append(f"    {spark(line.series)}  {pl_date(days[0])}–{pl_date(days[-1])}: średnio "
                           f"{decimal(mean, 1)} dziennie, najwięcej {whole(line.series[busiest])} "
                           f"({pl_date(days[busiest])})")
            if line.note:
                out.append(f"    {visible(line.note)}")
    out += ["", "! liczba większa od zera: ktoś musi coś zrobić. Każdą liczbę otwiera lista w aplikacji "
            "(mleg-tui, klawisz o na liście zamówień)."]
    return "\n".join(out)
