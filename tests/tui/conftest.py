"""Fixtures of the TUI tests: every test gets its own demo store and an app whose login
has the role the test asks for. Every test runs on both databases: the store is an SQLite
file or a PostgreSQL database, each a copy of a template built once per session (a file
copy; `CREATE DATABASE ... TEMPLATE`).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mleg_tui.app import MlegApp
from support.stores import BACKENDS, PgTemplates
from support.tui import build_demo_store, settings_for


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user config or MLEG_TUI_* variable leaks into a test."""
    for name in list(os.environ):
        if name.startswith("MLEG_TUI_") or name == "NO_COLOR":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLEG_TUI_CONFIG", str(tmp_path / "absent.toml"))


_TEMPLATE: dict[str, bytes] = {}


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """The demo store (built once per session and backend, copied per test): an SQLite
    file, or the URL of a PostgreSQL database."""
    if request.param == "postgresql":
        templates: PgTemplates = request.getfixturevalue("pg_templates")
        with templates.copy("tui", build_demo_store) as url:
            yield url
        return
    path = tmp_path / "store.db"
    if "db" not in _TEMPLATE:
        build = tmp_path / "template.db"
        build_demo_store(build)
        _TEMPLATE["db"] = build.read_bytes()
    path.write_bytes(_TEMPLATE["db"])
    path.chmod(0o600)  # as the program makes a store (one others can read is warned about)
    yield path


@pytest.fixture
def make_app(db: Path | str) -> Callable[..., MlegApp]:
    def make(role: str | None = "admin", **kw: Any) -> MlegApp:
        return MlegApp(settings_for(db, role, **kw))

    return make


@pytest.fixture
def service_ctx(db: Path | str) -> Any:
    """A context on the same store, acting as an admin (to prepare or check data)."""
    from mleg_tui.services.context import open_context

    return open_context(settings_for(db), role="admin")


@pytest.fixture
def sim() -> Iterator[Any]:
    """The MC simulator on loopback: issues codes 5 s (simulated) after a submission."""
    from mleg_tui.simulator.server import start_simulator

    handle = start_simulator(seed=3, token="tok-test", issue_delay=5, jitter=0, blad=0, pickup=0)
    yield handle
    handle.stop()
