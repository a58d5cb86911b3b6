"""The layers stay apart: rules without I/O, and no front end below the front ends.

Each check runs in a fresh interpreter, so modules imported by other tests do not hide
what an import really pulls in.
"""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import mleg_tui

SRC = Path(mleg_tui.__file__).parent

PROBE = r"""
import importlib, json, sys
report = {}
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
    report[name] = sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)
print(json.dumps(report))
"""


def modules_of(package: str) -> list[str]:
    path = SRC.joinpath(*package.split(".")[1:])
    return [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]


def imported_after(names: list[str], watched: list[str]) -> dict[str, list[str]]:
    """For each module imported in turn: which of `watched` are loaded by then."""
    r = subprocess.run([sys.executable, "-c", PROBE, json.dumps(names), json.dumps(watched)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_domain_rules_are_pure_python_without_io_libraries():
    names = ["mleg_tui.domain", *modules_of("mleg_tui.domain")]
    assert len(names) >= 7
    heavy = ["textual", "sqlalchemy", "sqlmodel", "httpx", "aiohttp", "pydantic", "sqlite3", "socket"]
    report = imported_after(names, heavy)
    assert report == {name: [] for name in names}


def test_store_services_and_cli_do_not_import_textual():
    names = ["mleg_tui.store", *modules_of("mleg_tui.store"), "mleg_tui.config", "mleg_tui.cli.textviews",
             *[m for m in modules_of("mleg_tui.services")], "mleg_tui.cli"]
    assert "mleg_tui.services.students" in names and "mleg_tui.store.models" in names
    report = imported_after(names, ["textual", "rich"])
    assert {name: found for name, found in report.items() if "textual" in found} == {}


def test_the_service_api_types_load_neither_the_store_nor_textual_nor_pydantic():
    """Screens and widgets import services.types at module level, before the first frame."""
    watched = ["sqlalchemy", "sqlmodel", "pydantic", "textual", "mleg_tui.store", "mleg_tui.config"]
    report = imported_after(["mleg_tui.services.types"], watched)
    assert report == {"mleg_tui.services.types": []}


def test_cli_start_up_for_help_imports_neither_the_store_nor_textual():
    probe = ("import sys\nfrom mleg_tui.cli import build_parser\nbuild_parser()\n"
             "print(sorted(m for m in ('textual', 'sqlmodel', 'sqlalchemy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_nothing_sqlite_only_outside_the_store():
    # PostgreSQL comes later: SQL dialect details live in store/ alone.
    offenders = []
    for path in SRC.rglob("*.py"):
        if "store" in path.relative_to(SRC).parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        for marker in ("PRAGMA", "exec_driver_sql", "import sqlite3", "sqlite_master"):
            if marker in text:
                offenders.append(f"{path.relative_to(SRC)}: {marker}")
    assert offenders == []
