"""The config's [keymap] section names bindings by id: which ids there are (the app's, and
those of every screen and widget), so that a mistyped one is told, not silently ignored."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable

from textual.binding import Binding


def binding_ids() -> set[str]:
    """Every binding id, found in the app and in every class of the screens and widgets
    packages (each of their modules is imported)."""
    import mleg_tui.screens
    import mleg_tui.widgets
    from mleg_tui.app import MlegApp

    classes: list[type] = [MlegApp]
    for package in (mleg_tui.screens, mleg_tui.widgets):
        for found in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(found.name)
            classes += [c for _, c in inspect.getmembers(module, inspect.isclass)
                        if c.__module__ == module.__name__]
    return {b.id for cls in classes for base in cls.__mro__
            for b in vars(base).get("BINDINGS", ()) if isinstance(b, Binding) and b.id}


def unknown_ids(keymap: Iterable[str]) -> list[str]:
    """The ids of `keymap` that name no binding, sorted."""
    return sorted(set(keymap) - binding_ids())
