"""Settings: a TOML file < MLEG_TUI_* environment variables < command-line flags."""
from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from mleg_tui.domain.rules import ValidityRules, parse_month_day
from mleg_tui.errors import ConfigError

APP = "mleg-tui"
Role = Literal["viewer", "operator", "admin"]


def config_path() -> Path:
    env = os.environ.get("MLEG_TUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def default_db() -> str:
    return str(Path(platformdirs.user_data_dir(APP)) / "mleg.db")


def db_url(value: str) -> str:
    """A file path or an SQLAlchemy URL -> an SQLAlchemy URL."""
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def parse_today(text: str) -> dt.date | dt.datetime:
    """YYYY-MM-DD (a fixed day) or a full ISO timestamp (a fixed instant)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"„{text}” nie jest datą RRRR-MM-DD") from None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MLEG_TUI_", extra="forbid", case_sensitive=False, validate_default=True
    )

    db: str = Field(default_factory=default_db)
    today: str | None = None
    university: str = "UCZ"  # prefix of order references sent to MC (UW-000123)
    timezone: str = "Europe/Warsaw"
    mc_url: str | None = None
    mc_token: SecretStr | None = None
    mc_ca_bundle: str | None = None
    mc_client_cert: str | None = None
    mc_client_key: str | None = None
    mc_concurrency: int = Field(default=16, ge=1, le=256)
    mc_connect_timeout: float = Field(default=5.0, gt=0)
    mc_read_timeout: float = Field(default=15.0, gt=0)
    mc_max_tries: int = Field(default=5, ge=1, le=20)
    mc_backoff_initial: float = Field(default=0.5, gt=0, le=60)  # seconds; doubles each try
    mc_backoff_max: float = Field(default=30.0, gt=0, le=600)
    validity_periods: list[tuple[str, str]] = [("10-01", "03-31"), ("03-01", "10-31")]
    graduate_until: str = "10-31"
    renewal_days: int = Field(default=30, ge=0, le=365)
    roles: dict[str, Role] = {}
    keymap: dict[str, str] = {}
    read_only: bool = False
    login: str | None = None  # who is acting; default: the operating-system login

    @field_validator("today")
    @classmethod
    def _today(cls, v: str | None) -> str | None:
        if v:
            parse_today(v)
        return v or None

    @field_validator("graduate_until")
    @classmethod
    def _md(cls, v: str) -> str:
        parse_month_day(v)
        return v

    @field_validator("validity_periods")
    @classmethod
    def _periods(cls, v: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not v:
            raise ValueError("podaj co najmniej jeden okres ważności")
        for start, end in v:
            parse_month_day(start)
            parse_month_day(end)
        return v

    @field_validator("university")
    @classmethod
    def _university(cls, v: str) -> str:
        if not v.isalnum() or len(v) > 12:
            raise ValueError("skrót uczelni: same litery i cyfry, najwyżej 12 znaków")
        return v.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_path()))

    # Derived values -------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return db_url(self.db)

    @property
    def today_override(self) -> dt.date | dt.datetime | None:
        return parse_today(self.today) if self.today else None

    @property
    def rules(self) -> ValidityRules:
        return ValidityRules(
            periods=tuple(
                (parse_month_day(s), parse_month_day(e)) for s, e in self.validity_periods
            ),
            graduate_until=parse_month_day(self.graduate_until),
            renewal_days=self.renewal_days,
        )

    def role_for(self, login: str) -> Role:
        if self.read_only:
            return "viewer"
        return self.roles.get(login, "viewer")


def _check_file(path: Path) -> None:
    """Syntax first, then: a file holding the MC token must be private."""
    if not path.exists():
        if "MLEG_TUI_CONFIG" in os.environ:
            raise ConfigError(f"Nie ma pliku konfiguracyjnego {path} (wskazuje go MLEG_TUI_CONFIG).")
        return
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"Plik konfiguracyjny {path}: {e}.") from None
    except OSError as e:
        raise ConfigError(f"Nie można odczytać pliku konfiguracyjnego {path}: {e.strerror}.") from None
    if "mc_token" in data and os.name == "posix":
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"Plik {path} zawiera token MC, a mogą go czytać inni użytkownicy: "
                f"wykonaj `chmod 600 {path}`."
            )


def load_settings(**flags: Any) -> Settings:
    """Settings from all three sources; flags set to None are not given."""
    _check_file(config_path())
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return Settings(**given)
    except SettingsError as e:
        # A list or table from the environment that is not JSON (pydantic-settings parses it).
        m = re.search(r'field "(\w+)"', str(e))
        name = m.group(1) if m else "ustawienia"
        raise ConfigError(
            f"Błędne ustawienia ({name}: zmienna MLEG_TUI_{name.upper()} musi być zapisana w JSON, "
            f"np. MLEG_TUI_VALIDITY_PERIODS='[[\"10-01\", \"03-31\"], [\"03-01\", \"10-31\"]]')."
        ) from None
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'ustawienia'}: {_msg(err)}"
            for err in e.errors()
        )
        raise ConfigError(f"Błędne ustawienia ({problems}); źródła: {config_path()}, "
                          f"zmienne MLEG_TUI_*, opcje wiersza poleceń.") from None


def _msg(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "nieznane ustawienie"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")
