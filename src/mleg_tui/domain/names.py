"""Folding of names for search: `lukasz` finds `Łukasz`."""
from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from typing import Protocol, TypeVar

# Letters that do not decompose into a base letter plus a combining mark.
_EXTRA = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Lower-case, without diacritics, single spaces."""
    text = text.translate(_EXTRA)
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@functools.lru_cache(maxsize=65536)
def name_key(first: str, last: str) -> str:
    """Sort and search key of a person: surname first, folded."""
    return fold(f"{last} {first}")


def plural(n: int, one: str, few: str, many: str) -> str:
    """Polish plural: 1 osoba, 2 osoby, 5 osób, 22 osoby, 12 osób."""
    if n == 1:
        return f"{n} {one}"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} {few}"
    return f"{n} {many}"


class _Labelled(Protocol):
    @property
    def value(self) -> str: ...
    @property
    def label(self) -> str: ...


_L = TypeVar("_L", bound=_Labelled)


def parse_labelled(members: Iterable[_L], text: str, unknown: str) -> _L:
    """The member named by `text`: its code or its Polish label, in any case, with or
    without diacritics; otherwise a clear error starting with `unknown` ("Nieznany status")."""
    from mleg_tui.errors import UserError

    every = list(members)
    key = fold(text).replace(" ", "_").upper()
    for m in every:
        if key in (m.value, fold(m.label).replace(" ", "_").upper()):
            return m
    codes = ", ".join(m.value for m in every)
    raise UserError(f"{unknown} „{text}”. Dozwolone: {codes}.")
