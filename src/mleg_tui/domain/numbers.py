"""Numbers as a Polish reader writes them: a decimal comma (0,8 s), never a point."""
from __future__ import annotations


def decimal(value: float, places: int | None = None) -> str:
    """0,8 for decimal(0.8); decimal(2.0) is 2; with `places`, exactly that many digits
    after the comma (decimal(12.345, 1) is 12,3)."""
    text = f"{value:.{places}f}" if places is not None else f"{value:g}"
    return text.replace(".", ",")


def seconds_taken(value: float) -> str:
    """A time taken, to a tenth of a second: 0,8 s."""
    return f"{decimal(value, 1)} s"


def rate(per_second: float) -> str:
    """Things a second: 240/s, and a tenth below 10 (0,4/s rather than 0/s)."""
    return f"{per_second:.0f}/s" if per_second >= 10 else f"{decimal(per_second, 1)}/s"


def whole(n: int) -> str:
    """A count as Polish text groups it: 983 591 (a no-break space between thousands)."""
    return f"{n:,}".replace(",", "\u00a0")
