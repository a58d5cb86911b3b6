"""Plain-text formats of the views, for the command line (CSV and JSON exports of the
order list: services.export).

Every field from data goes through domain.text: shown as marks (one field stays on one
line)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from mleg_tui.domain.dates import list_date, list_datetime, pl_date, pl_datetime
from mleg_tui.domain.status import validity_label
from mleg_tui.domain.text import visible
from mleg_tui.services.list_types import OrderRow
from mleg_tui.services.types import EventView, OrderView, StudentMatch, StudentView


def event_line(e: EventView) -> str:
    return f"{pl_datetime(e.at, seconds=True)} · {e.describe()}"


def order_lines(o: OrderView) -> list[str]:
    lines = [
        f"Zamówienie {o.order_ref} — Status: {o.status_text().upper()}",
        f"  Data zamówienia: {pl_datetime(o.ordered_at)}",
    ]
    label = validity_label(o.status, o.lapse)
    if label:
        lines.append(f"  {label}: {pl_date(o.expiry_date)}")
    if o.error_code:
        lines.append(f"  Kod błędu: {visible(o.error_code)}"
                     + (f" — {visible(o.error_message)}" if o.error_message else ""))
    if o.qr_code:
        state = " (KODY WYGASŁY — anuluj i zamów ponownie)" if o.codes_expired else ""
        lines.append(f"  Kod QR: {visible(o.qr_code)}{state}")
        if o.codes_valid_until:
            lines.append(f"  Kody ważne do: {pl_datetime(o.codes_valid_until)}")
    if o.pending_action:
        lines.append(
            f"  Oczekuje na potwierdzenie MC: {o.pending_action.label}"
            f" od {pl_datetime(o.pending_since)}; powód: {visible(o.pending_reason or '')}"
        )
    lines.append("  Historia:")
    lines.extend(f"    {event_line(e)}" for e in o.events)
    return lines


def student_text(v: StudentView) -> str:
    verdict = v.verdict
    lines = [
        f"{visible(v.name)} — nr albumu {visible(v.album or '(brak)')}",
        f"PESEL: {visible(v.pesel_masked or '(brak)')}   zdjęcie: {'jest' if v.has_photo else 'brak'}"
        + (f"   data urodzenia: {pl_date(v.birth_date)}" if v.birth_date else ""),
        "Programy:",
    ]
    lines.extend(f"  {visible(p.describe())}" for p in v.programmes)
    if not v.programmes:
        lines.append("  (brak)")
    lines += ["", verdict.sentence]
    for r in verdict.reasons:
        step = v.step_for(r.code)
        lines.append(f"  • {r.text}" + (f" — co zrobić: {visible(step)}" if step else ""))
    lines.extend(verdict.notes)
    if verdict.offered_expiry:
        lines.append(f"Planowana data ważności mLegitymacji: {pl_date(verdict.offered_expiry)}.")
    lines.extend(f"Co zrobić: {visible(s.text)}" for s in v.next_steps)
    current = v.current
    if current is not None:
        lines.append(f"Bieżące zamówienie: {current.order_ref} — {current.status_text()}")
    lines += ["", f"Zamówienia ({len(v.orders)}):" if v.orders else "Zamówienia: brak."]
    for o in v.orders:
        lines += order_lines(o)
    return "\n".join(lines)


def match_lines(wanted: str, matches: list[StudentMatch], more: bool) -> str:
    """Several persons found, each after what to type to see that one: the album number,
    else the newest order's reference, else the whole PESEL (never printed), else the name."""
    many = f"więcej niż {len(matches)} osób; oto pierwsze {len(matches)}" if more else f"{len(matches)} osób"
    lines = [f"„{visible(wanted)}” pasuje do {many}. Pokaż jedną: mleg-tui student <pierwsza kolumna>"]
    again = [visible(m.album or m.order_ref or ("(cały PESEL)" if m.pesel_masked else m.name))
             for m in matches]
    width = max(len(a) for a in again)
    for m, a in zip(matches, again):
        line = f"  {a:<{width}}  {visible(m.name)}"
        line += "" if m.album else " · bez albumu"
        line += f" · PESEL {m.pesel_masked}" if m.pesel_masked else " · bez PESEL"
        if m.programme:
            line += f" · {visible(m.programme)}"
        lines.append(line)
    if more:
        lines.append("Dopisz imię albo podaj numer albumu, żeby zawęzić.")
    return "\n".join(lines)


HEAD = ("Lp.", "Osoba", "Nr albumu", "Data zamówienia", "Status", "Data ważności", "Kod błędu")
WIDTHS = (6, 28, 12, 19, 28, 13, 0)


def _cells(r: OrderRow) -> tuple[str, ...]:
    status = r.status_text() + (" *" if r.pending_action else "")
    return (str(r.lp), visible(r.person), visible(r.album), list_datetime(r.ordered_at),
            status, list_date(r.expiry_date), visible(r.error_code))


def write_orders(out: TextIO, rows: Iterable[OrderRow], *, total: int, shown: int) -> None:
    """The list for a person to read, streamed: a million orders never sit in memory at
    once. (CSV and JSON are exports: services.export.)"""
    out.write(f"Wyświetlane są elementy {1 if shown else 0}..{shown} (spośród {total})\n")
    out.write(_line(HEAD) + "\n")
    pending = False
    for r in rows:
        pending |= bool(r.pending_action)
        out.write(_line(_cells(r)) + "\n")
    if pending:
        out.write("* czeka na potwierdzenie unieważnienia lub anulowania w systemie MC\n")


def _line(cells: tuple[str, ...]) -> str:
    return "  ".join(c.ljust(w) if w else c for c, w in zip(cells, WIDTHS)).rstrip()

