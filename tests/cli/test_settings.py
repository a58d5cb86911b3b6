"""Settings are read the quick way (no pydantic) when written plainly, and the full way
(pydantic, with its Polish messages) otherwise: both ways give the same settings."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from mleg_tui import config
from mleg_tui.config import Secret, Settings, load_settings

TOMLS = [
    "",
    'university = "uw"\nmc_concurrency = 8\nmc_read_timeout = 2\nmc_backoff_initial = 0.25\n',
    'mc_token = "sekret"\nmc_url = "https://mc.example/api"\nread_only = true\nmc_deadline = "12,5"\n',
    'validity_periods = [["09-15", "02-28"]]\ngraduate_until = "09-30"\nrenewal_days = 0\n',
    '[roles]\njan = "admin"\newa = "viewer"\n[keymap]\n"orders.refresh" = "ctrl+u"\n',
    'mc_allow_insecure_http = "tak"\nmc_max_response_bytes = 65536\ntoday = ""\n',
]
ENVS = [
    {},
    {"MLEG_TUI_MC_CONCURRENCY": "32", "MLEG_TUI_MC_READ_TIMEOUT": "7.5", "MLEG_TUI_READ_ONLY": "TRUE"},
    {"MLEG_TUI_MC_TOKEN": "z-otoczenia", "mleg_tui_university": "pw", "MLEG_TUI_ROLES": '{"x": "admin"}'},
    {"MLEG_TUI_MC_DEADLINE": "3", "MLEG_TUI_MC_ALLOW_INSECURE_HTTP": "nie", "MLEG_TUI_TODAY": "2025-03-01"},
]


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [k for k in os.environ if k.upper().startswith("MLEG_TUI_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("MLEG_TUI_CONFIG", str(path))
    return path


def full_way(**flags: object) -> Settings:
    """What load_settings gives when the quick way steps aside."""
    quick = config._quick
    config._quick = lambda given, file: None  # type: ignore[assignment]
    try:
        return load_settings(**flags)
    finally:
        config._quick = quick  # type: ignore[assignment]


@pytest.mark.parametrize("toml", TOMLS)
@pytest.mark.parametrize("env", ENVS)
def test_the_quick_and_the_full_way_give_the_same_settings(config_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                            toml: str, env: dict[str, str]) -> None:
    config_file.write_text(toml, encoding="utf-8")
    config_file.chmod(0o600)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    flags = {"db": "/tmp/sklep.db", "today": "2025-11-20", "read_only": None, "login": "jan"}
    quick = config._quick({k: v for k, v in flags.items() if v is not None}, tomllib.loads(toml))
    assert quick is not None, "written plainly: read the quick way"
    assert quick == load_settings(**flags) == full_way(**flags)


def test_settings_written_plainly_are_read_without_pydantic(config_file: Path) -> None:
    config_file.write_text(TOMLS[1] + TOMLS[4], encoding="utf-8")
    config_file.chmod(0o600)
    probe = ("import sys\nfrom mleg_tui.config import load_settings\n"
             "s = load_settings(db='/tmp/sklep.db', today='2025-11-20')\n"
             "print(s.university, s.mc_concurrency, s.roles['jan'], 'pydantic' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["UW", "8", "admin", "False"]


def test_a_wrong_value_is_still_told_in_polish(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLEG_TUI_MC_MAX_TRIES", "21")
    with pytest.raises(config.ConfigError) as info:
        load_settings()
    assert str(info.value) == ("Błędne ustawienia: mc_max_tries: „21” poza zakresem (zmienna "
                               "MLEG_TUI_MC_MAX_TRIES) — podaj liczbę całkowitą od 1 do 20.")


def test_the_token_is_kept_out_of_what_settings_show(config_file: Path) -> None:
    config_file.write_text('mc_token = "sekret-7355608"\n', encoding="utf-8")
    config_file.chmod(0o600)
    for settings in (load_settings(), full_way()):
        assert settings.mc_token == Secret("sekret-7355608")
        assert "7355608" not in repr(settings) and "7355608" not in str(settings)
