"""Fixtures every folder shares: the environment of each test, the backends every store
test runs on (a real SQLite file, a real PostgreSQL database), the session's PostgreSQL
server, and the stores, CLI runs and simulated-MC worlds used by more than one layer.

Every test runs with the MLEG_TUI_* environment cleared and MLEG_TUI_CONFIG pointing at an
empty file in its tmp_path, so nobody's real settings or store are ever touched.

PostgreSQL: one server for the session (support/pgserver.py), a fresh database per test
(`store_url`), or a copy of a template built once per session (`pg_templates`) where a
test's world is expensive to build. `MLEG_TEST_BACKENDS=sqlite` narrows a developer's
quick loop. Helpers are imported by name from the `support` package; each folder's own
fixtures are in its conftest.py.

Fixtures: `ctx`, `make_ctx`, `store_url`, `add_students`, `cli` (a real process),
`cli_env`, `pg_server`, `pg_templates`, `template_store` and `world` (a store and a
simulated MC).
"""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from mleg_tui.services.context import Context
from mleg_tui.services.importer import ImportReport
from support.cli import CliResult, cli_environment, run_cli, run_cli_parallel
from support.pgserver import PgServer
from support.stores import BACKENDS, PgTemplates, context_factory, import_rows, isolate_env, pg_database
from support.sync import Env, fill_template, open_world


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test: no MLEG_TUI_* from outside, MLEG_TUI_CONFIG at an empty file of its own."""
    return isolate_env(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server for the session (see tests/pgserver.py)."""
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_templates(pg_server: PgServer) -> PgTemplates:
    return PgTemplates(pg_server)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The test's store: an SQLite file, or a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    with pg_database(request) as url:
        yield url


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that look into the SQLite file itself have no PostgreSQL variant."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("store_url") == "postgresql" and "store_path" in getattr(item, "fixturenames", ()):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def make_ctx(store_url: str) -> Callable[..., Context]:
    """Contexts on the test's store (see context_factory)."""
    return context_factory(store_url)


@pytest.fixture
def ctx(make_ctx: Callable[..., Context]) -> Context:
    """A fresh store in tmp_path, today fixed at 3.09.2025, acting as an administrator."""
    return make_ctx()


@pytest.fixture
def add_students(ctx: Context, tmp_path: Path) -> Callable[..., ImportReport]:
    """add_students(row, row, ..., context=None): rows into the store via the real importer."""

    def add(*rows: Mapping[str, str], context: Context | None = None) -> ImportReport:
        return import_rows(context or ctx, tmp_path, *rows)

    return add


@pytest.fixture
def cli_env(store_url: str, isolated_env: Path) -> dict[str, str]:
    """The environment of the test's CLI runs (tests may change it before calling `cli`)."""
    return cli_environment(store_url, isolated_env)


@pytest.fixture
def cli(cli_env: dict[str, str], tmp_path: Path) -> Callable[..., CliResult]:
    """cli("orders", "--csv", env={"MLEG_TUI_TODAY": "2025-10-01"}) runs `mleg-tui` for real.
    `cli.parallel([(args, env), ...])` runs independent commands at once."""

    def run(*args: str, env: Mapping[str, str | None] | None = None, timeout: float = 60,
            stdin: str | None = None) -> CliResult:
        return run_cli(args, cli_env, tmp_path, extra_env=env, timeout=timeout, stdin=stdin)

    run.parallel = lambda calls: run_cli_parallel(calls, cli_env, tmp_path)  # type: ignore[attr-defined]
    return run




# --- a store with orders placed and a simulated MC (the refresh, the sweep, the store's locks)

@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite template file (support.sync.fill_template), built once per session."""
    folder = tmp_path_factory.mktemp("template")
    fill_template(folder / "template.db", folder)
    return folder / "template.db"


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A copy of the template store (TEMPLATE_STUDENTS orders OCZEKUJE) and a quiet MC,
    on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        db = tmp_path / "store.db"
        shutil.copy(request.getfixturevalue("template_store"), db)
        yield from open_world(tmp_path, db)
        return
    templates: PgTemplates = request.getfixturevalue("pg_templates")
    with templates.copy("sync", lambda url: fill_template(url, tmp_path_factory.mktemp("pg-template"))) as url:
        yield from open_world(tmp_path, url)
