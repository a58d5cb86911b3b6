"""Who may read an SQLite store: its owner only, unless the office shares it by group.

The file holds names, full PESELs and activation codes. A new store and its folder are
made private before SQLite writes a byte; SQLite gives its -wal and -shm files the
database file's own mode. An existing store that others can read is told, not changed:
the office may have its reasons, and the fix is one command.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

SIDE_FILES = ("", "-wal", "-shm", "-journal")


def _modes(group: bool) -> tuple[int, int]:
    """(file, folder) modes of a new store."""
    return (0o640, 0o750) if group else (0o600, 0o700)


def make_private(database: str, *, group: bool = False) -> None:
    """Create the store's folder and an empty database file with owner-only modes (group
    read too when `group`), unless they exist. An empty file is a valid empty database."""
    file_mode, dir_mode = _modes(group)
    path = Path(database)
    missing = []
    for parent in [path.parent, *path.parent.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=dir_mode)
        except FileExistsError:  # another process made it meanwhile
            continue
        os.chmod(folder, dir_mode)  # mkdir's mode passes through the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, file_mode)  # not narrowed nor widened by the umask
    finally:
        os.close(fd)


def exposure(database: str, *, group: bool = False) -> str | None:
    """A warning in Polish when other users (or the group, unless `group`) can read or
    write the store's files; None when they are private or do not exist."""
    if os.name != "posix":
        return None
    loose: list[tuple[str, int]] = []
    allowed = stat.S_IRWXU | (stat.S_IRWXG if group else 0)
    for suffix in SIDE_FILES:
        name = database + suffix
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except OSError:
            continue
        if mode & ~allowed & 0o777:
            loose.append((name, mode))
    if not loose:
        return None
    names = " ".join(_quote(n) for n, _ in loose)
    modes = ", ".join(f"{Path(n).name}: {m:04o}" for n, m in loose)
    who = "inni użytkownicy" if any(m & stat.S_IRWXO for _, m in loose) else "grupa"
    fix = "640" if group else "600"
    text = (f"Bazę danych mogą czytać {who} tego komputera ({modes}): zobaczą nazwiska, numery "
            f"PESEL i kody aktywacyjne. Popraw to poleceniem: chmod {fix} {names}")
    if not group:
        text += " (albo ustaw store_group_readable = true, jeśli biuro celowo dzieli ją w grupie)"
    return text + "."


def _quote(name: str) -> str:
    import shlex

    return shlex.quote(name)
