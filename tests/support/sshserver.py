"""A real OpenSSH server for the office-deployment tests, and local users to log in as.

sshd runs as root (it must become the user who logs in), on a free loopback port, with a
host key and an sshd_config of its own; tmux gives each session a terminal whose screen
the test reads. Where openssh-server, the ssh client or tmux is missing, the suite says
so loudly and installs Debian's packages, as it does for PostgreSQL (support/pgserver.py),
rather than skipping in silence.
"""
from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")


def _missing() -> list[str]:
    need = []
    if not SSHD.exists():
        need.append("openssh-server")
    if not (shutil.which("ssh") and shutil.which("ssh-keygen")):
        need.append("openssh-client")
    if not shutil.which("tmux"):
        need.append("tmux")
    return need


def ensure_installed() -> None:
    need = _missing()
    if not need:
        return
    sys.stderr.write(f"\n*** {', '.join(need)} not installed: installing Debian's packages for the "
                     "test suite (apt-get) ***\n")
    if os.geteuid() != 0:
        raise RuntimeError(f"{', '.join(need)} missing and this is not root: install them first.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *need], check=True, env=env)
    if _missing():
        raise RuntimeError(f"installed, but still missing: {', '.join(_missing())}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalUser:
    """A login of this machine made for the test (removed by `delete`): a password that
    matches nothing ('*', not locked: sshd refuses locked accounts), /bin/sh as its shell
    (sshd runs forced commands through it)."""

    def __init__(self, name: str, home: Path) -> None:
        self.name, self.home = name, home
        subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/sh",
                        "--password", "*", "--user-group", name], check=True, capture_output=True)
        os.chmod(home, 0o700)

    def run(self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A command as this user, with a login's plain environment (no MLEG_TUI_* of ours)."""
        base = {"HOME": str(self.home), "USER": self.name, "LOGNAME": self.name, "SHELL": "/bin/sh",
                "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
        base.update(env or {})
        return subprocess.run(["runuser", "-u", self.name, "--", "env", "-i",
                               *[f"{k}={v}" for k, v in base.items()], *args],
                              capture_output=True, text=True, cwd=cwd or self.home, timeout=timeout)

    def write(self, path: Path, text: str, mode: int = 0o600) -> None:
        """A file of this user's, as they would write it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.chmod(path, mode)
        for p in [path, *path.parents]:
            if p == self.home.parent:
                break
            shutil.chown(p, self.name, self.name)

    def delete(self) -> None:
        subprocess.run(["userdel", self.name], capture_output=True)
        subprocess.run(["groupdel", self.name], capture_output=True)


class SshServer:
    def __init__(self, directory: Path, allow_users: list[str]) -> None:
        ensure_installed()
        self.dir = directory
        self.port = free_port()
        self.host_key = directory / "ssh_host_ed25519_key"
        self.config = directory / "sshd_config"
        self.log = directory / "sshd.log"
        self.allow_users = allow_users
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SshServer:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)], check=True)
        self.config.write_text("\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}",
            "AuthorizedKeysFile .ssh/authorized_keys",
            "StrictModes yes",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin no",
            f"AllowUsers {' '.join(self.allow_users)}",
            # As a careless administrator might: the client's MLEG_TUI_* get through to the
            # session, and the program itself must pay them no heed.
            "AcceptEnv LANG LC_* MLEG_TUI_*",
            "PrintMotd no",
            "PrintLastLog no",
            "LogLevel VERBOSE",
        ]) + "\n")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation
        check = subprocess.run([str(SSHD), "-t", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"sshd -t: {check.stderr}")
        self.proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd ended: {self.log.read_text(errors='replace')}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("sshd did not start listening")

    def ssh_args(self, user: str, key: Path, *extra: str, tty: bool = True) -> list[str]:
        return ["ssh", "-F", "/dev/null", "-p", str(self.port), "-i", str(key), "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", *(["-tt"] if tty else ["-T"]), *extra, f"{user}@127.0.0.1"]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Terminal:
    """One tmux window on a private socket: a command in a real pty, its screen as text."""

    def __init__(self, directory: Path, command: list[str], env: Mapping[str, str] | None = None,
                 size: tuple[int, int] = (120, 40)) -> None:
        self.socket = str(directory / f"tmux-{len(list(directory.glob('tmux-*')))}.sock")
        line = " ".join(shlex.quote(a) for a in command)
        if env:
            line = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + line
        # remain-on-exit: the last screen stays readable after the command ended.
        self._tmux("new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), "-s", "t",
                   f"exec env TERM=xterm-256color {line}")
        self._tmux("set-option", "-t", "t", "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        r = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, timeout=30)
        if r.returncode:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr}")
        return r.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 40) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{screen}")

    def keys(self, *keys: str) -> None:
        """tmux key names (Enter, Escape, BTab) or, with a leading 'text:', literal text."""
        for k in keys:
            if k.startswith("text:"):
                self._tmux("send-keys", "-t", "t", "-l", k[5:])
            else:
                self._tmux("send-keys", "-t", "t", k)
            time.sleep(0.15)

    def dead(self) -> bool:
        return self._tmux("display-message", "-p", "-t", "t", "#{pane_dead}").strip() == "1"

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


def new_dir() -> Path:
    """A folder every local user may pass through (homes go inside it)."""
    d = Path(tempfile.mkdtemp(prefix="mleg-office-"))
    os.chmod(d, 0o755)
    return d
