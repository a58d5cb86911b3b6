"""Small Polish formatting helpers shared by screens and widgets."""
from __future__ import annotations

# 1 zamówienie, 2-4 zamówienia, 5-21 zamówień, 22 zamówienia: the domain's one rule.
from mleg_tui.domain.names import plural as count


def orders(n: int) -> str:
    return count(n, "zamówienie", "zamówienia", "zamówień")


def clip(text: str, width: int) -> str:
    """Cut to `width` cells with an ellipsis, never mid-way without a sign."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…"
