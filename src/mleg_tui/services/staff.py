"""Staff of an office server: who may log in over SSH, and with which role.

The pattern gitolite made common: one service account owns the store, the config and
the program; each staff member's public SSH key sits in the service account's
authorized_keys bound to a forced command that names their login,

    restrict,pty,command="/opt/mleg/bin/mleg-tui --as ewa" ssh-ed25519 AAAA... mleg-tui:ewa

so sshd runs the TUI as that login whatever the client asks for: no shell, no
forwarding, no environment from the client. Their role is in `[roles]` of the config.
The two files are kept in step, each replaced whole (a half-written authorized_keys
would lock everyone out): on adding, the role is written before the key; on removing,
the key goes before the role, so a key never stands without its role for a moment.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mleg_tui.config import ROLES, Role, Settings, config_path
from mleg_tui.errors import UserError
from mleg_tui.services.context import (
    ROLE_LABELS,
    Permission,
    check_login,
    decide_role,
    forbidden,
    login_of,
)

KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
OPTIONS = "restrict,pty"
MARK = "mleg-tui:"  # the comment of every line this module writes
# A program path that needs no quoting inside command="..." and the shell it runs in.
PLAIN_PATH = re.compile(r"/[A-Za-z0-9/._+-]+")
_OURS = re.compile(
    r'^restrict,pty,command="(?P<command>[^"\\]*)" (?P<kind>\S+) (?P<blob>\S+) '
    + re.escape(MARK) + r"(?P<login>\S+)$"
)


class StaffError(UserError):
    pass


@dataclass(frozen=True)
class PublicKey:
    kind: str
    blob: str  # base64, as in the .pub file

    @property
    def fingerprint(self) -> str:
        """As `ssh-keygen -l` prints it."""
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def parse_public_key(text: str, source: str = "klucz") -> PublicKey:
    """One OpenSSH public key (`ssh-ed25519 AAAA... comment`), checked to the bytes."""
    if "PRIVATE KEY" in text:
        raise StaffError(f"{source} to klucz prywatny: podaj plik .pub (klucz publiczny), a prywatny "
                         "niech zostanie u pracownika.")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    how = "oczekiwano jednej linii „ssh-ed25519 AAAA… komentarz” z pliku .pub"
    if len(lines) != 1:
        raise StaffError(f"{source} nie jest jednym publicznym kluczem SSH ({how}).")
    fields = lines[0].split()
    if len(fields) < 2 or fields[0] not in KEY_TYPES:
        raise StaffError(f"{source} nie jest publicznym kluczem SSH ({how}; opcje przed kluczem "
                         "nie są przyjmowane).")
    kind, blob = fields[0], fields[1]
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise StaffError(f"{source}: treść klucza nie jest poprawnym base64.") from None
    # The key's bytes begin with its type, length-prefixed (RFC 4253, 6.6).
    name = kind.encode()
    if raw[:4] != len(name).to_bytes(4, "big") or raw[4:4 + len(name)] != name or len(raw) < 4 + len(name) + 16:
        raise StaffError(f"{source}: treść klucza nie pasuje do jego typu {kind}.")
    return PublicKey(kind, blob)


@dataclass(frozen=True)
class KeyLine:
    login: str
    key: PublicKey
    command: str


@dataclass
class AuthorizedKeys:
    """The file as lines: ours parsed, every other line kept as it is."""

    path: Path
    lines: list[KeyLine | str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> AuthorizedKeys:
        out = cls(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return out
        except (OSError, UnicodeDecodeError) as e:
            raise StaffError(f"Nie można odczytać {path}: {getattr(e, 'strerror', e)}.") from None
        for raw in text.splitlines():
            m = _OURS.match(raw)
            out.lines.append(KeyLine(m["login"], PublicKey(m["kind"], m["blob"]), m["command"]) if m else raw)
        return out

    def ours(self) -> list[KeyLine]:
        return [ln for ln in self.lines if isinstance(ln, KeyLine)]

    def foreign(self) -> list[str]:
        return [ln for ln in self.lines if isinstance(ln, str) and ln.strip() and not ln.lstrip().startswith("#")]

    def text(self) -> str:
        rendered = [ln if isinstance(ln, str) else
                    f'{OPTIONS},command="{ln.command}" {ln.key.kind} {ln.key.blob} {MARK}{ln.login}'
                    for ln in self.lines]
        return "".join(line + "\n" for line in rendered)


@dataclass(frozen=True)
class StaffMember:
    login: str
    role: Role
    keys: tuple[PublicKey, ...]
    in_roles: bool  # named in [roles] (else: a key without a role, a viewer)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


@dataclass(frozen=True)
class StaffList:
    config: Path
    authorized_keys: Path
    members: tuple[StaffMember, ...]
    foreign: tuple[str, ...]  # other lines of authorized_keys, which mleg-tui leaves alone

    def text(self) -> str:
        lines = [f"Konfiguracja: {self.config}", f"Klucze SSH: {self.authorized_keys}"]
        if not self.members:
            lines.append("Brak pracowników: dodaj ich poleceniem mleg-tui staff add LOGIN --role ROLA --key PLIK.pub")
        width = max([len(m.login) for m in self.members] + [5])
        for m in self.members:
            keys = ", ".join(f"{k.kind} {k.fingerprint}" for k in m.keys) or "brak klucza (loguje się inaczej)"
            note = "" if m.in_roles else " (nie ma go w [roles])"
            lines.append(f"  {m.login:<{width}}  {m.role_label:<13}  {keys}{note}")
        for raw in self.foreign:
            shell = "" if "command=" in raw else ": bez command=, daje powłokę konta usługi!"
            lines.append(f"Klucz spoza mleg-tui{shell} {_short(raw)}")
        return "\n".join(lines)


def _short(line: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in line)
    return printable if len(printable) <= 100 else printable[:60] + "…" + printable[-30:]


# -- where things are --------------------------------------------------------------------

def authorized_keys_path(settings: Settings) -> Path:
    if settings.authorized_keys:
        return Path(settings.authorized_keys).expanduser()
    return Path.home() / ".ssh" / "authorized_keys"


def program_path() -> str:
    """The absolute path of the `mleg-tui` script sshd is to run."""
    beside = Path(sys.executable).with_name("mleg-tui")  # the virtual environment's own
    found = str(beside) if beside.exists() else shutil.which("mleg-tui")
    if not found:
        raise StaffError("Nie znaleziono programu mleg-tui (ani obok interpretera Pythona, ani w PATH).")
    found = os.path.abspath(found)
    if not PLAIN_PATH.fullmatch(found):
        raise StaffError(f"Ścieżka programu {found} zawiera znaki, których nie da się bezpiecznie wpisać do "
                         "authorized_keys: zainstaluj mleg-tui w katalogu o prostej nazwie (np. /opt/mleg).")
    return found


def forced_command(login: str, config: Path) -> str:
    parts = [program_path(), "--as", check_login(login)]
    default = Path.home() / ".config" / "mleg-tui" / "config.toml"
    if config.resolve() != default.resolve():  # sshd gives the session no MLEG_TUI_CONFIG
        if not PLAIN_PATH.fullmatch(str(config.resolve())):
            raise StaffError(f"Ścieżka konfiguracji {config} zawiera znaki, których nie da się bezpiecznie "
                             "wpisać do authorized_keys.")
        parts[1:1] = ["--config", str(config.resolve())]
    return " ".join(shlex.quote(p) for p in parts)


# -- writing ------------------------------------------------------------------------------

def write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """Write a new file beside `path`, flush it to disk, then put it in place at once:
    a reader (sshd) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.fchmod(fd, mode)
            data = text.encode("utf-8")
            while data:
                data = data[os.write(fd, data):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise StaffError(f"Nie można zapisać {path}: {e.strerror}; plik pozostał bez zmian.") from None
    try:  # the rename itself, on disk
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


class _Config:
    """The config file as tomlkit keeps it: comments and layout survive our edits."""

    def __init__(self, path: Path) -> None:
        import tomlkit

        self.path = path
        try:
            self.doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        except OSError as e:
            raise StaffError(f"Nie można odczytać {path}: {e.strerror}.") from None
        except Exception as e:  # tomlkit's parse errors have no common base worth naming
            raise StaffError(f"Plik konfiguracyjny {path}: {e}.") from None
        # Settings are case-insensitive: [Roles] is [roles].
        self.key = next((k for k in self.doc if str(k).lower() == "roles"), "roles")

    def roles(self) -> dict[str, Role]:
        table = self.doc.get(self.key) or {}
        return {str(k): v for k, v in table.items() if v in ROLES}

    def set_role(self, login: str, role: Role | None) -> None:
        import tomlkit

        if self.key not in self.doc:
            if role is None:
                return
            self.doc[self.key] = tomlkit.table()
        table = self.doc[self.key]
        if role is None:
            table.pop(login, None)
        else:
            table[login] = role

    def save(self) -> None:
        import tomlkit

        write_atomically(self.path, tomlkit.dumps(self.doc))


# -- the use cases -------------------------------------------------------------------------

@contextmanager
def _managing(settings: Settings) -> Iterator[tuple[_Config, AuthorizedKeys]]:
    """Both files, read under a lock (two staff commands at once would lose one's change),
    for an administrator running as the account that owns them."""
    from filelock import FileLock

    role = decide_role(settings, cli=True)
    if role != "admin":
        raise forbidden(settings, login_of(settings), role, Permission.STAFF)
    config, keys = config_path(), authorized_keys_path(settings)
    for path in (config, keys):
        if hasattr(os, "getuid") and path.exists() and path.stat().st_uid != os.getuid():
            raise StaffError(f"Plik {path} należy do innego konta: uruchom polecenie jako konto usługi "
                             "(np. sudo -u mleg mleg-tui staff ...).")
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with FileLock(str(config) + ".lock", timeout=30):
        yield _Config(config), AuthorizedKeys.read(keys)


def list_staff(settings: Settings) -> StaffList:
    with _managing(settings) as (config, keys):
        roles = config.roles()
        members: dict[str, StaffMember] = {}
        for login, role in roles.items():
            members[login] = StaffMember(login, role, (), True)
        for line in keys.ours():
            m = members.get(line.login) or StaffMember(line.login, roles.get(line.login, "viewer"),
                                                       (), line.login in roles)
            members[line.login] = StaffMember(m.login, m.role, (*m.keys, line.key), m.in_roles)
        return StaffList(config.path, keys.path, tuple(sorted(members.values(), key=lambda m: m.login)),
                         tuple(keys.foreign()))


def add_staff(settings: Settings, login: str, role: Role, key_file: str | Path) -> str:
    check_login(login)
    try:
        text = Path(key_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise StaffError(f"Nie można odczytać klucza {key_file}: {getattr(e, 'strerror', None) or e}.") from None
    key = parse_public_key(text, f"Plik {key_file}")
    with _managing(settings) as (config, keys):
        current = config.roles().get(login)
        if current is not None and current != role:
            raise StaffError(f"{login} ma już rolę {ROLE_LABELS[current]}: zmień ją poleceniem "
                             f"mleg-tui staff set-role {login} {role}.")
        for line in keys.ours():
            if line.key.blob == key.blob:
                raise StaffError(f"Ten klucz ({key.fingerprint}) ma już {line.login}: jeden klucz to jedna osoba.")
        if any(key.blob in raw.split() for raw in keys.foreign()):
            raise StaffError(f"Ten klucz ({key.fingerprint}) jest już w {keys.path} poza mleg-tui: "
                             "usuń tamtą linię, zanim dodasz go pracownikowi.")
        command = forced_command(login, config.path)
        config.set_role(login, role)
        config.save()  # the role first: a key is never there without it
        keys.lines.append(KeyLine(login, key, command))
        write_atomically(keys.path, keys.text())
    return f"Dodano {login} ({ROLE_LABELS[role]}) z kluczem {key.kind} {key.fingerprint}."


def set_role(settings: Settings, login: str, role: Role) -> str:
    with _managing(settings) as (config, keys):
        if login not in config.roles() and not any(ln.login == login for ln in keys.ours()):
            raise StaffError(f"Nie ma pracownika {login}: dodaj go poleceniem mleg-tui staff add.")
        config.set_role(login, role)
        config.save()
    return f"{login}: rola {ROLE_LABELS[role]}."


def remove_staff(settings: Settings, login: str) -> str:
    with _managing(settings) as (config, keys):
        mine = [ln for ln in keys.ours() if ln.login == login]
        if login not in config.roles() and not mine:
            raise StaffError(f"Nie ma pracownika {login}.")
        if mine:  # the key first: without it nobody logs in as them any more
            keys.lines = [ln for ln in keys.lines if not (isinstance(ln, KeyLine) and ln.login == login)]
            write_atomically(keys.path, keys.text())
        config.set_role(login, None)
        config.save()
    return f"Usunięto {login}" + (f" i {len(mine)} " + ("klucz" if len(mine) == 1 else "klucze") if mine else "") + "."
