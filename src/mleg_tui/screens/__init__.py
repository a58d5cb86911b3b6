"""One module per screen; `all_screens` lists them (for keymap validation)."""
from __future__ import annotations

from typing import Any


def all_screens() -> list[type[Any]]:
    from mleg_tui.screens.confirm import ConfirmDialog, RevokeDialog
    from mleg_tui.screens.help import HelpScreen
    from mleg_tui.screens.lookup import LookupScreen
    from mleg_tui.screens.orders import OrdersScreen
    from mleg_tui.screens.refresh import RefreshScreen
    from mleg_tui.screens.sort_picker import SortPicker
    from mleg_tui.screens.student import StudentScreen
    from mleg_tui.screens.sweep import SweepScreen

    return [OrdersScreen, StudentScreen, HelpScreen, LookupScreen, RevokeDialog, ConfirmDialog,
            RefreshScreen, SweepScreen, SortPicker]
