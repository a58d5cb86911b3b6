"""The office server of the deployment tests: a service account that owns the store, the
config and its authorized_keys, staff added with `mleg-tui staff add`, and a real sshd on
loopback in front of it (support/sshserver.py). It takes root to make local users and run
sshd, as CI and the README's server do."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from support.register import csv_text, enrolment
from support.sshserver import LocalUser, SshServer, Terminal, ensure_installed, new_dir


def _usable_by_others(path: Path) -> bool:
    """Every folder on the way may be passed, and the file read (and run) by any user."""
    real = path.resolve()
    return bool(real.stat().st_mode & 0o004) and all(p.stat().st_mode & 0o001 for p in real.parents)


def _open_copy(tree: Path, into: Path) -> Path:
    """`tree` itself when any user may read it, else a copy in `into` (hard links where
    the file system allows: instant, and no more disk)."""
    if _usable_by_others(tree):
        return tree
    target = into / tree.name

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(tree, target, copy_function=link, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def service_program(directory: Path) -> str:
    """`mleg-tui` as the service account can run it: the README's /opt/mleg, in a
    temporary folder. The suite's own script when its interpreter, packages and source
    are open to other users; otherwise (pyenv's interpreter in root's home, a clone in a
    private folder) a virtual environment on the system's Python of the same version that
    loads the suite's packages and this source tree, copied where they are not open."""
    import sysconfig

    import mleg_tui

    mine = Path(sys.executable).with_name("mleg-tui")
    source = Path(mleg_tui.__file__).parent
    packages = Path(sysconfig.get_paths()["purelib"])
    if all(_usable_by_others(p) for p in (Path(sys.executable), mine, source, packages)):
        return str(mine)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.executable) if _usable_by_others(Path(sys.executable)) else Path("/usr/bin") / version
    if not base.exists():
        raise RuntimeError(f"the suite's Python is not open to other users and {base} is missing: "
                           f"install {version} (apt-get install {version}) for the office tests")
    venv, libs = directory / "venv", directory / "lib"
    (libs / "src").mkdir(parents=True)
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
    src = _open_copy(source, libs / "src").parent
    site = _open_copy(packages, libs)
    (venv / "lib" / version / "site-packages" / "suite.pth").write_text(
        f"import sys, site; site.addsitedir({str(site)!r}); sys.path.insert(0, {str(src)!r})\n")
    script = venv / "bin" / "mleg-tui"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom mleg_tui.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return str(script)


@dataclass
class OfficeServer:
    dir: Path
    service: LocalUser  # owns the store, the config and its authorized_keys
    other: LocalUser  # another login of the machine, not staff
    sshd: SshServer
    store: Path
    program: str  # the mleg-tui the service account runs
    keys: dict[str, Path]  # staff login -> private key (the client's side)

    def mleg(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`mleg-tui ARGS` as the service account (its imports, cron jobs, `staff`)."""
        return self.service.run(self.program, *args)

    def session(self, login: str, *command: str, env: dict[str, str] | None = None,
                ssh_options: tuple[str, ...] = ()) -> Terminal:
        """A staff member's `ssh -tt`, in a terminal of its own."""
        args = self.sshd.ssh_args(self.service.name, self.keys[login], *ssh_options)
        return Terminal(self.dir, [*args, *command], env=env)


def _ok(r: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert r.returncode == 0, f"{r.args}\n{r.stdout}\n{r.stderr}"
    return r


def build_office() -> Iterator[OfficeServer]:
    ensure_installed()
    d = new_dir()
    tag = f"{os.getpid() % 100000}"
    service = LocalUser(f"mlegsvc{tag}", d / "service")
    other = LocalUser(f"mlegoth{tag}", d / "other")
    sshd = None
    try:
        store = service.home / "data" / "mleg.db"
        # The administrator's config, by hand (README: "Deploying in an office").
        service.write(service.home / ".config" / "mleg-tui" / "config.toml",
                      f'# the office server\ndb = "{store}"\nuniversity = "UW"\n\n[roles]\n')
        service.write(service.home / "register.csv", csv_text([
            enrolment("S1", "100001", "Karolina", "Bachta"),
            enrolment("S2", "100002", "Jan", "Nowak", birth_date="2002-02-02"),
        ]))
        program = service_program(d)
        server = OfficeServer(d, service, other, SshServer(d / "sshd", [service.name]), store, program, {})
        # README: `mkdir -p ... ~/data ...`: the store's folder is made by hand (mleg-tui
        # makes no folder for a configured path).
        _ok(service.run("mkdir", "-m", "700", str(store.parent)))
        _ok(server.mleg("import", "register.csv"))
        _ok(server.mleg("order", "place", "100001"))
        keys = d / "keys"
        keys.mkdir(mode=0o700)
        for login, role in (("jan", "viewer"), ("ewa", "operator")):
            key = keys / login
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{login}@laptop",
                            "-f", str(key)], check=True)
            service.write(service.home / f"{login}.pub", key.with_suffix(".pub").read_text(), 0o644)
            _ok(server.mleg("staff", "add", login, "--role", role, "--key", f"{login}.pub"))
            server.keys[login] = key
        (d / "sshd").mkdir()
        sshd = server.sshd.start()
        yield server
    finally:
        if sshd:
            sshd.stop()
        for sock in d.glob("tmux-*.sock"):
            subprocess.run(["tmux", "-S", str(sock), "kill-server"], capture_output=True)
        service.delete()
        other.delete()
        shutil.rmtree(d, ignore_errors=True)
