"""Who is entitled, until when, and the planned expiry date of a new card.

The card is valid to the end of the current validity period (31 March for
orders from 1 October to the end of February, 31 October for orders from 1 March to
30 September), capped by the planned end of the entitling programme. A 1st-cycle
graduate keeps the right until 31 October of the graduation year, and that is the expiry.
With several entitling programmes the latest date wins.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass, field
from enum import Enum

from mleg_tui.domain.dates import pl_date


class Level(str, Enum):
    I = "I"  # noqa: E741 - the register's code for 1st-cycle studies (licencjat, inżynier)
    II = "II"  # 2nd-cycle (magister)
    JM = "JM"  # long-cycle master's (jednolite magisterskie)
    DR = "DR"  # doctoral
    PD = "PD"  # postgraduate

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    Level.I: "studia I stopnia",
    Level.II: "studia II stopnia",
    Level.JM: "jednolite magisterskie",
    Level.DR: "doktoranckie",
    Level.PD: "podyplomowe",
}
ENTITLING_LEVELS = frozenset({Level.I, Level.II, Level.JM})


class ProgrammeStatus(str, Enum):
    ACTIVE = "ACTIVE"
    GRADUATED = "GRADUATED"
    STRUCK_OFF = "STRUCK_OFF"

    @property
    def label(self) -> str:
        return {"ACTIVE": "aktywny", "GRADUATED": "ukończony", "STRUCK_OFF": "skreślony"}[
            self.value
        ]


MonthDay = tuple[int, int]


@functools.lru_cache(maxsize=4096)  # a few dates, asked for millions of times by demo-data
def _on(year: int, md: MonthDay) -> dt.date:
    """That month-day in that year (29 Feb becomes 28 Feb in common years)."""
    month, day = md
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def parse_month_day(text: str) -> MonthDay:
    """'MM-DD' or 'DD.MM' -> (month, day); ValueError with a clear message otherwise."""
    text = text.strip()
    try:
        if "." in text:
            d, m = (int(x) for x in text.split("."))
        else:
            m, d = (int(x) for x in text.split("-"))
        dt.date(2024, m, d)  # a leap year has every real month-day (not _on: it clamps)
    except ValueError:
        raise ValueError(f"„{text}” nie jest dniem roku (MM-DD, np. 10-31)") from None
    return (m, d)


@dataclass(frozen=True)
class ValidityRules:
    # (first day of the ordering period, the validity end it gives); each period runs
    # until the next one starts.
    periods: tuple[tuple[MonthDay, MonthDay], ...] = (((10, 1), (3, 31)), ((3, 1), (10, 31)))
    # A 1st-cycle graduate keeps the right until this day of the graduation year.
    graduate_until: MonthDay = (10, 31)
    # A picked-up card this close to its end no longer blocks a new order (figures 16-17).
    renewal_days: int = 30

    def period_end(self, day: dt.date) -> dt.date:
        """The end of the validity period in which `day` falls."""
        best: tuple[dt.date, MonthDay] | None = None
        for start_md, end_md in self.periods:
            start = _on(day.year, start_md)
            if start > day:
                start = _on(day.year - 1, start_md)
            if best is None or start > best[0]:
                best = (start, end_md)
        assert best is not None, "at least one validity period"
        start, end_md = best
        end = _on(start.year, end_md)
        return end if end >= start else _on(start.year + 1, end_md)


@dataclass(frozen=True)
class Programme:
    """One enrolment as the rules see it."""

    code: str
    level: Level
    status: ProgrammeStatus
    status_date: dt.date | None = None
    planned_end: dt.date | None = None
    name: str = field(default="", compare=False)


def effective_status(p: Programme, today: dt.date) -> ProgrammeStatus:
    """A graduation or strike-off dated in the future has not happened yet."""
    if p.status is not ProgrammeStatus.ACTIVE and p.status_date and p.status_date > today:
        return ProgrammeStatus.ACTIVE
    return p.status


def entitled_until(p: Programme, today: dt.date, rules: ValidityRules) -> dt.date | None:
    """The expiry this programme gives a card ordered today, or None if it entitles to none."""
    if p.level not in ENTITLING_LEVELS:
        return None
    status = effective_status(p, today)
    if status is ProgrammeStatus.ACTIVE:
        end = rules.period_end(today)
        # A planned end already past while the student is still active means the register
        # has not caught up (an extension): it is no cap.
        if p.planned_end is not None and today <= p.planned_end < end:
            return p.planned_end
        return end
    if status is ProgrammeStatus.GRADUATED and p.level is Level.I and p.status_date:
        until = _on(p.status_date.year, rules.graduate_until)
        return until if today <= until else None
    return None


def planned_expiry(
    programmes: list[Programme], today: dt.date, rules: ValidityRules
) -> dt.date | None:
    """The latest expiry any entitling programme gives; None when none entitles."""
    dates = [d for p in programmes if (d := entitled_until(p, today, rules)) is not None]
    return max(dates, default=None)


LOSS = "utrata uprawnień: "


def loss_reason(programmes: list[Programme], today: dt.date, rules: ValidityRules) -> str:
    """Why these programmes give no right to a card, in words (for the sweep's events)."""
    if not programmes:
        return LOSS + "brak programów studiów"
    parts = []
    for p in programmes:
        status = effective_status(p, today)
        when = f" {pl_date(p.status_date)}" if p.status_date else ""
        if p.level not in ENTITLING_LEVELS:
            parts.append(f"{p.code}: studia {p.level.label.removeprefix('studia ')} nie uprawniają")
        elif status is ProgrammeStatus.STRUCK_OFF:
            parts.append(f"{p.code}: skreślenie z listy studentów{when}")
        elif status is ProgrammeStatus.GRADUATED and p.level is Level.I and p.status_date:
            until = _on(p.status_date.year, rules.graduate_until)
            parts.append(f"{p.code}: ukończenie studiów I stopnia{when}, prawo wygasło {pl_date(until)}")
        elif status is ProgrammeStatus.GRADUATED:
            parts.append(f"{p.code}: ukończenie studiów{when}")
    return LOSS + "; ".join(parts)


class Right(str, Enum):
    """Where the student's programmes leave the right to a card, for what to tell them."""

    ACTIVE = "ACTIVE"  # an active 1st-cycle, 2nd-cycle or long-cycle programme
    GRADUATE = "GRADUATE"  # a 1st-cycle graduate, until 31 October of that year
    GRADUATE_ENDED = "GRADUATE_ENDED"  # ... past that day
    GRADUATED = "GRADUATED"  # finished 2nd-cycle or long-cycle studies
    STRUCK_OFF = "STRUCK_OFF"
    NOT_ENTITLING = "NOT_ENTITLING"  # only doctoral or postgraduate programmes
    NO_PROGRAMME = "NO_PROGRAMME"  # none in the register


@dataclass(frozen=True)
class Standing:
    right: Right
    since: dt.date | None = None  # the graduation or strike-off that set it
    until: dt.date | None = None  # the right's last day (GRADUATE, GRADUATE_ENDED)


def standing(programmes: list[Programme], today: dt.date, rules: ValidityRules) -> Standing:
    """The best the programmes give: an active programme, else a 1st-cycle graduate's
    remaining right, else why there is none (the latest graduation or strike-off)."""
    graduate: Standing | None = None
    lost: Standing | None = None
    for p in programmes:
        if p.level not in ENTITLING_LEVELS:
            continue
        status = effective_status(p, today)
        if status is ProgrammeStatus.ACTIVE:
            return Standing(Right.ACTIVE)
        if status is ProgrammeStatus.GRADUATED and p.level is Level.I and p.status_date:
            until = _on(p.status_date.year, rules.graduate_until)
            if today <= until:
                graduate = _latest(graduate, Standing(Right.GRADUATE, p.status_date, until))
                continue
            lost = _latest(lost, Standing(Right.GRADUATE_ENDED, p.status_date, until))
        elif status is ProgrammeStatus.STRUCK_OFF:
            lost = _latest(lost, Standing(Right.STRUCK_OFF, p.status_date))
        else:
            lost = _latest(lost, Standing(Right.GRADUATED, p.status_date))
    found = graduate or lost
    if found is not None:
        return found
    return Standing(Right.NOT_ENTITLING if programmes else Right.NO_PROGRAMME)


def _latest(old: Standing | None, new: Standing) -> Standing:
    if old is None or (new.since or dt.date.min) > (old.since or dt.date.min):
        return new
    return old
