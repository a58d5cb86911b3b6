"""Settings: a TOML file < MLEG_TUI_* environment variables < command-line flags.

Two things never come from the environment, which a login shell or an sshd may fill in
for anyone: the roles (only the config file names them) and the acting login (the
operating system says who runs the program, or the deployment's `--as`). See
services.context for how the role is decided."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import os
import re
import stat
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import platformdirs

from mleg_tui.domain.rules import ValidityRules, parse_month_day
from mleg_tui.domain.text import visible
from mleg_tui.errors import ConfigError

APP = "mleg-tui"
Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
# Settings an environment variable may not give (it is ignored, with a warning).
NOT_FROM_ENV = ("roles", "login")
# Settings whose presence makes the config file a secret: no one else may read or write it.
GUARDED = ("mc_token", "roles")
SECRETS = ("mc_token",)  # never shown, not even in a message about a wrong value
ENV_PREFIX = "MLEG_TUI_"


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


class Secret:
    """A value kept out of reprs and messages (the MC token), as pydantic's SecretStr."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _bounds(**limits: float) -> dict[str, float]:
    """A number's limits (ge, gt, le), in the field's metadata: pydantic's Field takes them."""
    return limits


@dataclass(kw_only=True)
class Settings:
    """The settings, checked (load_settings gives them from all three sources)."""

    db: str = field(default_factory=default_db)
    today: str | None = None
    university: str = "UCZ"  # prefix of order references sent to MC (UW-000123)
    timezone: str = "Europe/Warsaw"
    mc_url: str | None = None
    mc_token: Secret | None = None
    mc_ca_bundle: str | None = None
    mc_client_cert: str | None = None
    mc_client_key: str | None = None
    mc_concurrency: int = field(default=16, metadata=_bounds(ge=1, le=256))
    mc_connect_timeout: float = field(default=5.0, metadata=_bounds(gt=0))
    mc_read_timeout: float = field(default=15.0, metadata=_bounds(gt=0))
    mc_max_tries: int = field(default=5, metadata=_bounds(ge=1, le=20))
    mc_backoff_initial: float = field(default=0.5, metadata=_bounds(gt=0, le=60))  # seconds; doubles each try
    mc_backoff_max: float = field(default=30.0, metadata=_bounds(gt=0, le=600))
    mc_deadline: float = 30.0  # seconds one call to MC may take, every try included
    mc_max_response_bytes: int = 4 * 1024 * 1024  # MC's contract: an answer is at most 4 MiB
    mc_allow_insecure_http: bool = False  # http:// to another machine sends the token in the clear
    validity_periods: list[tuple[str, str]] = field(default_factory=lambda: [("10-01", "03-31"), ("03-01", "10-31")])
    graduate_until: str = "10-31"
    renewal_days: int = field(default=30, metadata=_bounds(ge=0, le=365))
    import_max_mb: int = field(default=1024, metadata=_bounds(ge=1))  # a register file larger than this is refused
    # Only from the config file. None: no [roles] section at all; an empty section (the
    # last staff member removed) still means "roles decide" (see services.context).
    roles: dict[str, Role] | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    read_only: bool = False
    # The store's group may read it without a warning (offices that share one by group).
    store_group_readable: bool = False
    # The service account's authorized_keys that `mleg-tui staff` keeps (~/.ssh/...).
    authorized_keys: str | None = None
    # Who is acting, when not the operating-system login: `--as` (and tests) only.
    login: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.mc_token, str):
            self.mc_token = Secret(self.mc_token)

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


# Checks of one setting beyond its type, each a ValueError with a Polish message: "after"
# ones get the typed value, "before" ones the value as written (and give the typed one).

def _today(v: str | None) -> str | None:
    if v:
        parse_today(v)
    return v or None


def _month_day(v: str) -> str:
    parse_month_day(v)
    return v


def _periods(v: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if not v:
        raise ValueError("podaj co najmniej jeden okres ważności")
    for start, end in v:
        parse_month_day(start)
        parse_month_day(end)
    return v


def _deadline(v: Any) -> float:
    return float(_number(v, 0.1, 3600, "liczbę sekund od 0.1 do 3600, np. 30"))


def _max_response(v: Any) -> int:
    n = _number(v, 65536, 1 << 30, "liczbę bajtów od 65536 (64 KiB) do 1073741824 (1 GiB), np. 4194304")
    if n != int(n):
        raise ValueError("podaj całkowitą liczbę bajtów, np. 4194304 (4 MiB)")
    return int(n)


def _yes_no(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    word = str(v).strip().lower()
    if word in ("true", "1", "yes", "tak"):
        return True
    if word in ("false", "0", "no", "nie"):
        return False
    raise ValueError("podaj true albo false")


def _university(v: str) -> str:
    if not v.isalnum() or len(v) > 12:
        raise ValueError("skrót uczelni: same litery i cyfry, najwyżej 12 znaków")
    return v.upper()


def _timezone(v: str) -> str:
    """A zone the clock knows (the clock would fall back to the machine's zone in silence)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"„{v}” to nie znana strefa czasowa; podaj nazwę ze spisu stref IANA, "
                         'np. "Europe/Warsaw"') from None
    return v


CHECKS: dict[str, tuple[Literal["before", "after"], Callable[[Any], Any]]] = {
    "today": ("after", _today),
    "graduate_until": ("after", _month_day),
    "validity_periods": ("after", _periods),
    "mc_deadline": ("before", _deadline),
    "mc_max_response_bytes": ("before", _max_response),
    "mc_allow_insecure_http": ("before", _yes_no),
    "university": ("after", _university),
    "timezone": ("after", _timezone),
}


@functools.cache
def _types() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


@functools.cache
def _checked_model() -> Any:
    """The settings as a pydantic-settings model, built from Settings' fields and CHECKS: the
    full reading of all three sources, with pydantic's error for any value not plainly right
    (load_settings turns them into Polish). Imported only when the quick way gives up:
    pydantic costs more than 100 ms at start."""
    from pydantic import Field, SecretStr, create_model, field_validator
    from pydantic.fields import FieldInfo
    from pydantic_settings import (
        BaseSettings,
        EnvSettingsSource,
        PydanticBaseSettingsSource,
        SettingsConfigDict,
        TomlConfigSettingsSource,
    )

    class Env(EnvSettingsSource):
        """MLEG_TUI_* variables, except those that would name roles or the acting login."""

        def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
            if field_name in NOT_FROM_ENV:
                return None, field_name, False
            return super().get_field_value(field, field_name)

    class Sources(BaseSettings):
        model_config = SettingsConfigDict(
            env_prefix=ENV_PREFIX, extra="forbid", case_sensitive=False, validate_default=True
        )

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, Env(settings_cls), TomlConfigSettingsSource(settings_cls, config_path()))

    def validator(check: Callable[[Any], Any]) -> Any:
        def run(cls: Any, v: Any) -> Any:
            return check(v)
        return run

    fields: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        kind = SecretStr | None if f.name in SECRETS else _types()[f.name]
        default = ({"default_factory": f.default_factory} if f.default_factory is not dataclasses.MISSING
                   else {"default": f.default})
        fields[f.name] = (kind, Field(**default, **f.metadata))
    checks = {f"check_{name}": field_validator(name, mode=mode)(validator(check))
              for name, (mode, check) in CHECKS.items()}
    return create_model("Settings", __base__=Sources, __validators__=checks, **fields)


_forgotten: list[str] = []


def forget_environment(staff_session: bool) -> None:
    """In a staff member's SSH session (`--as`), drop every MLEG_TUI_* variable of this
    process: the settings are the service account's config file alone, whatever an sshd
    set up to pass client variables lets through (MLEG_TUI_MC_URL would take the MC
    token elsewhere, MLEG_TUI_DB another store). Called once per command."""
    _forgotten.clear()
    if not staff_session:
        return
    for name in [k for k in os.environ if k.upper().startswith("MLEG_TUI_")]:
        _forgotten.append(name)
        del os.environ[name]


def ignored_variables() -> list[str]:
    """Warnings (Polish) for variables set in the environment that have no effect."""
    why = {"roles": "role nadaje tylko sekcja [roles] pliku konfiguracyjnego",
           "login": "kto działa, mówi system operacyjny (w instalacji biurowej: --as)"}
    present = {k.upper() for k in os.environ}
    out = [f"Zmienna MLEG_TUI_{name.upper()} nie ma wpływu: {why[name]}."
           for name in NOT_FROM_ENV if f"MLEG_TUI_{name.upper()}" in present]
    if _forgotten:
        out.append(f"W sesji pracownika (--as) ustawienia daje tylko plik konfiguracyjny; pominięto "
                   f"zmienne: {', '.join(sorted(set(_forgotten)))}.")
    return out


def _number(value: Any, low: float, high: float, expected: str) -> float:
    """A number from TOML or the environment, within bounds; else a Polish message."""
    try:
        if isinstance(value, bool):
            raise ValueError
        n = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ValueError(f"to nie liczba; podaj {expected}") from None
    if not low <= n <= high:
        raise ValueError(f"poza zakresem; podaj {expected}")
    return n


def _check_file(path: Path) -> dict[str, Any] | None:
    """Syntax first, then: a file holding the MC token or the roles must be its owner's
    alone (others who could read the token could act as the university at MC; others who
    could write the roles could make themselves administrators)."""
    try:
        exists = path.exists()
    except OSError as e:  # a folder on the way this user may not enter
        raise ConfigError(f"Nie można odczytać pliku konfiguracyjnego {path}: {e.strerror}.") from None
    if not exists:
        if "MLEG_TUI_CONFIG" in os.environ:
            raise ConfigError(f"Nie ma pliku konfiguracyjnego {path} (wskazuje go MLEG_TUI_CONFIG).")
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"Plik konfiguracyjny {path}: {e}.") from None
    except OSError as e:
        raise ConfigError(f"Nie można odczytać pliku konfiguracyjnego {path}: {e.strerror}.") from None
    keys = {k.lower() for k in data}  # settings are case-insensitive: Mc_Token is mc_token
    if "login" in keys:
        raise ConfigError(
            f"Plik {path}: ustawienie login nie istnieje. Kto działa, mówi system operacyjny "
            "(w instalacji biurowej: --as w authorized_keys); usuń tę linię."
        )
    guarded = [k for k in GUARDED if k in keys]
    if guarded and os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            what = " i ".join("token MC" if k == "mc_token" else "role ([roles])" for k in guarded)
            raise ConfigError(
                f"Plik {path} zawiera {what}, a dostęp do niego mają też inni użytkownicy "
                f"(prawa {mode:04o}): wykonaj `chmod 600 {path}`."
            )
    return data


def load_settings(**flags: Any) -> Settings:
    """Settings from all three sources; flags set to None are not given."""
    file = _check_file(config_path())
    given = {k: v for k, v in flags.items() if v is not None}
    quick = _quick(given, file)
    if quick is not None:
        return quick
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        checked = _checked_model()(**given)
    except SettingsError as e:
        # A list or table from the environment that is not JSON (pydantic-settings parses it).
        m = re.search(r'field "(\w+)"', str(e))
        name = m.group(1) if m else "ustawienia"
        raise ConfigError(
            f"Błędne ustawienia ({name}: zmienna MLEG_TUI_{name.upper()} musi być zapisana w JSON, "
            f"np. MLEG_TUI_VALIDITY_PERIODS='[[\"10-01\", \"03-31\"], [\"03-01\", \"10-31\"]]')."
        ) from None
    except ValidationError as e:
        problems = "; ".join(_problem(err, given) for err in e.errors())
        raise ConfigError(f"Błędne ustawienia: {problems}.") from None
    values = {f.name: getattr(checked, f.name) for f in dataclasses.fields(Settings)}
    token = values["mc_token"]
    values["mc_token"] = Secret(token.get_secret_value()) if token is not None else None
    return Settings(**values)


# The quick way: the values in their plain forms, checked here; anything else (a wrong value,
# an unknown setting, a list from the environment, ...) is read again the full way, by
# pydantic, which says what is wrong. The quick way takes only what pydantic takes alike.
_WHOLE = re.compile(r"[0-9]{1,12}")
_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
_NOT_PLAIN = object()


def _quick(given: dict[str, Any], file: dict[str, Any] | None) -> Settings | None:
    names = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, tuple[Any, bool]] = {}  # name -> (value as written, from the environment)
    for key, value in (file or {}).items():
        if key not in names:
            return None
        values[key] = (value, False)
    from_env: dict[str, str] = {}
    for variable, value in os.environ.items():
        name = variable[len(ENV_PREFIX):].lower()
        if not variable.upper().startswith(ENV_PREFIX) or name not in names or name in NOT_FROM_ENV:
            continue
        if name in from_env or not value:  # two spellings of one variable; an empty one
            return None
        from_env[name] = value
    values |= {name: (value, True) for name, value in from_env.items()}
    values |= {name: (value, False) for name, value in given.items()}
    typed: dict[str, Any] = {}
    for name, (value, env) in values.items():
        v = _plain(name, value, env)
        if v is _NOT_PLAIN:
            return None
        typed[name] = v
    return Settings(**typed)


def _plain(name: str, value: Any, env: bool) -> Any:
    """The typed value of one setting written plainly, or _NOT_PLAIN."""
    mode, check = CHECKS.get(name, (None, None))
    try:
        if mode == "before" and check is not None:
            return check(value)
        v = _typed(_types()[name], value, env)
        if v is _NOT_PLAIN or not _within(name, v):
            return _NOT_PLAIN
        return check(v) if check is not None else v
    except ValueError:
        return _NOT_PLAIN


def _typed(kind: Any, value: Any, env: bool) -> Any:
    if kind in (str, str | None, Secret | None):
        return value if isinstance(value, str) else _NOT_PLAIN
    if kind is bool:
        if isinstance(value, bool):
            return value
        return value.lower() in ("true", "1") if env and value.lower() in ("true", "false", "1", "0") else _NOT_PLAIN
    if kind is int:
        if type(value) is int:
            return value
        return int(value) if env and _WHOLE.fullmatch(value) else _NOT_PLAIN
    if kind is float:
        if type(value) in (int, float) and math.isfinite(value):
            return float(value)
        return float(value) if env and _DECIMAL.fullmatch(value) else _NOT_PLAIN
    if env:  # lists and tables from the environment are JSON: pydantic-settings reads them
        return _NOT_PLAIN
    if kind == list[tuple[str, str]]:
        pairs = [tuple(p) for p in value] if isinstance(value, list) and all(isinstance(p, list) for p in value) else []
        ok = pairs and all(len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs)
        return pairs if ok else _NOT_PLAIN
    if kind in (dict[str, str], dict[str, Role] | None):
        allowed = ROLES if kind != dict[str, str] else None
        ok = isinstance(value, dict) and all(
            isinstance(v, str) and (allowed is None or v in allowed) for v in value.values())
        return dict(value) if ok else _NOT_PLAIN
    return _NOT_PLAIN


def _within(name: str, value: Any) -> bool:
    limits = Settings.__dataclass_fields__[name].metadata
    if not limits:
        return True
    return (value >= limits.get("ge", value) and value <= limits.get("le", value)
            and ("gt" not in limits or value > limits["gt"]))


# What to write, for settings whose type alone does not say it.
HINTS = {
    "roles": 'w sekcji [roles] każdy wiersz to login = "viewer", "operator" albo "admin"',
    "keymap": 'w sekcji [keymap] każdy wiersz to identyfikator = "klawisz", np. "orders.refresh_all" = "ctrl+u"',
    "validity_periods": 'podaj listę par dni MM-DD (początek zamawiania, koniec ważności), '
                        'np. [["10-01", "03-31"], ["03-01", "10-31"]]',
    "db": "podaj ścieżkę pliku SQLite albo adres bazy, w cudzysłowie",
    "timezone": 'podaj strefę czasową w cudzysłowie, np. "Europe/Warsaw"',
    "mc_token": "podaj token w cudzysłowie",
}
# What was found instead, by pydantic's error type.
NOT_A = {
    "int_parsing": "to nie liczba całkowita", "int_type": "to nie liczba całkowita",
    "int_from_float": "to nie liczba całkowita", "float_parsing": "to nie liczba", "float_type": "to nie liczba",
    "bool_parsing": "to nie true ani false", "bool_type": "to nie true ani false",
    "string_type": "to nie tekst", "dict_type": "to nie sekcja", "list_type": "to nie lista",
    "tuple_type": "to nie lista", "literal_error": "to nie jedna z dozwolonych wartości",
    "greater_than": "poza zakresem", "greater_than_equal": "poza zakresem",
    "less_than": "poza zakresem", "less_than_equal": "poza zakresem",
    "too_short": "za mało elementów", "too_long": "za dużo elementów", "missing": "brakuje wartości",
}


def _problem(err: Any, flags: dict[str, Any]) -> str:
    """One setting's problem in Polish: which setting and where it was given, what is wrong
    with what was written (never the MC token itself), and what to write instead."""
    loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
    numbers = [str(p + 1) for p in err["loc"] if isinstance(p, int)]
    name = loc[0] if loc else "ustawienia"
    where = ".".join(loc) + (f" nr {'.'.join(numbers)}" if numbers else "")
    if err["type"] == "extra_forbidden":
        import difflib

        close = difflib.get_close_matches(name.lower(), [f.name for f in dataclasses.fields(Settings)], n=1)
        return f"{where}: nieznane ustawienie" + (f" (może {close[0]}?)" if close else "") + _source(name, flags)
    if err["type"] == "value_error":  # our own validators' messages, Polish already
        return f"{where}: {str(err['msg']).removeprefix('Value error, ')}{_source(name, flags)}"
    value = err.get("input")
    shown = (f"„{visible(str(value))[:60]}” " if isinstance(value, str | int | float) and name not in SECRETS
             else "")
    hint = _hint(name)
    return (f"{where}: {shown}{NOT_A.get(err['type'], 'nieprawidłowa wartość')}"
            f"{_source(name, flags)}" + (f" — {hint}" if hint else ""))


def _source(name: str, flags: dict[str, Any]) -> str:
    """Where the value came from, in the order the sources win."""
    if name in flags:
        return f" (opcja --{name.replace('_', '-')})"
    variable = f"MLEG_TUI_{name.upper()}"
    if name not in NOT_FROM_ENV and variable in {k.upper() for k in os.environ}:
        return f" (zmienna {variable})"
    return f" (plik {config_path()})"


def _hint(name: str) -> str:
    if name in HINTS:
        return HINTS[name]
    found = Settings.__dataclass_fields__.get(name)
    if found is None:
        return ""
    kind = next((t for t in (bool, int, float, str) if _types()[name] in (t, t | None)), None)
    if kind is bool:
        return "podaj true albo false"
    if kind is str:
        return "podaj tekst w cudzysłowie"
    if kind is None:
        return ""
    bounds = found.metadata
    low = f"od {bounds['ge']}" if "ge" in bounds else f"większą od {bounds['gt']}" if "gt" in bounds else ""
    high = f"do {bounds['le']}" if "le" in bounds else ""
    return " ".join(["podaj", "liczbę całkowitą" if kind is int else "liczbę", low, high]).strip()
