"""`mleg-tui staff`: the service account's authorized_keys and `[roles]` kept in step.

Each key line binds a staff member's key to `mleg-tui --as LOGIN` with no shell and no
forwarding; anything that is not one public SSH key is refused and changes nothing; the
files are replaced whole, never left half-written; the admin's comments in the config
survive. (The sshd that reads these lines is in tests/deploy.)
"""
from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mleg_tui.config import load_settings
from mleg_tui.services.context import os_login
from support.cli import CliResult, cli_environment, mleg_command, run_cli, run_main
from support.sshserver import ensure_installed

PROGRAM = str(Path(sys.executable).with_name("mleg-tui"))
CONFIG = """\
# The office's settings (written by hand; mleg-tui staff keeps this comment)
db = "{db}"
university = "UW"  # order references: UW-000123

[roles]
# the service account runs imports and cron jobs: admin without being named
"""


class Office:
    def __init__(self, directory: Path, config: Path) -> None:
        self.dir, self.config = directory, config
        self.keys = directory / "ssh" / "authorized_keys"
        config.write_text(CONFIG.format(db=directory / "mleg.db"), encoding="utf-8")
        os.chmod(config, 0o600)
        self.env = cli_environment(directory / "mleg.db", config)
        self.env["MLEG_TUI_AUTHORIZED_KEYS"] = str(self.keys)

    def main(self, *args: str) -> CliResult:
        return run_main(args, self.env)

    def run(self, *args: str) -> CliResult:
        return run_cli(args, self.env, self.dir)

    def key(self, name: str, kind: str = "ed25519") -> Path:
        path = self.dir / name
        if not path.exists():
            ensure_installed()
            subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", f"{name}@laptop", "-f", str(path)],
                           check=True)
        return path.with_suffix(".pub")

    def fingerprint(self, pub: Path) -> str:
        out = subprocess.run(["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True, text=True).stdout
        return out.split()[1]

    def state(self) -> tuple[bytes, bytes]:
        return self.config.read_bytes(), self.keys.read_bytes() if self.keys.exists() else b""


@pytest.fixture
def office(tmp_path: Path, isolated_env: Path) -> Office:
    return Office(tmp_path, isolated_env)


def ok(r: CliResult) -> CliResult:
    assert r.returncode == 0 and "Traceback" not in r.stderr, r
    return r


def refused(r: CliResult, *words: str) -> None:
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.err_lines) == 1, r
    for word in words:
        assert word in r.stderr, r


def test_add_writes_the_role_and_a_key_line_bound_to_the_forced_command(office: Office) -> None:
    ewa, jan = office.key("ewa"), office.key("jan", "rsa")
    added = ok(office.main("staff", "add", "ewa", "--role", "operator", "--key", str(ewa)))
    assert office.fingerprint(ewa) in added.stdout and "operator" in added.stdout
    ok(office.main("staff", "add", "jan.k", "--role", "viewer", "--key", str(jan)))

    kind, blob = ewa.read_text().split()[:2]
    lines = office.keys.read_text().splitlines()
    command = f"{PROGRAM} --config {office.config} --as ewa"  # sshd gives the session no MLEG_TUI_CONFIG
    assert lines[0] == f'restrict,pty,command="{command}" {kind} {blob} mleg-tui:ewa'
    assert lines[1].startswith(f'restrict,pty,command="{PROGRAM} --config {office.config} --as jan.k" ssh-rsa ')
    assert stat.S_IMODE(office.keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(office.keys.parent.stat().st_mode) == 0o700  # sshd's StrictModes
    assert stat.S_IMODE(office.config.stat().st_mode) == 0o600

    text = office.config.read_text()
    assert text.startswith("# The office's settings (written by hand; mleg-tui staff keeps this comment)")
    assert 'university = "UW"  # order references: UW-000123' in text
    assert "# the service account runs imports and cron jobs" in text
    assert load_settings().roles == {"ewa": "operator", "jan.k": "viewer"}

    listed = ok(office.main("staff", "list")).stdout
    assert "ewa" in listed and "operator" in listed and office.fingerprint(ewa) in listed
    assert "jan.k" in listed and "podgląd" in listed and office.fingerprint(jan) in listed


def test_set_role_and_remove_keep_both_files_in_step(office: Office) -> None:
    ewa, jan = office.key("ewa"), office.key("jan")
    ok(office.main("staff", "add", "ewa", "--role", "operator", "--key", str(ewa)))
    ok(office.main("staff", "add", "jan", "--role", "viewer", "--key", str(jan)))
    ok(office.main("staff", "set-role", "jan", "operator"))
    assert load_settings().roles == {"ewa": "operator", "jan": "operator"}
    before_keys = office.keys.read_text()
    ok(office.main("staff", "remove", "ewa"))
    assert load_settings().roles == {"jan": "operator"}
    assert "mleg-tui:ewa" not in office.keys.read_text() and before_keys.splitlines()[1] in office.keys.read_text()
    refused(office.main("staff", "remove", "ewa"), "ewa")
    refused(office.main("staff", "set-role", "marek", "admin"), "marek", "staff add")


def test_lines_mleg_tui_did_not_write_are_kept_and_a_shell_key_is_pointed_out(office: Office) -> None:
    admin = office.key("admin")
    office.keys.parent.mkdir(mode=0o700)
    foreign = f"# the administrator's own key\n{admin.read_text().strip()}\n"
    office.keys.write_text(foreign)
    ok(office.main("staff", "add", "ewa", "--role", "operator", "--key", str(office.key("ewa"))))
    assert office.keys.read_text().startswith(foreign)
    listed = ok(office.main("staff", "list")).stdout
    assert "bez command=, daje powłokę konta usługi" in listed
    refused(office.main("staff", "add", "jan", "--role", "viewer", "--key", str(admin)), "poza mleg-tui")


@pytest.mark.parametrize("content, why", [
    ("", "nie jest jednym publicznym kluczem"),
    ("ssh-ed25519\n", "nie jest publicznym kluczem"),
    ('command="/bin/sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG016oPQlWlVlWatvZlzKssm8uMLBdVCRnANlWwEwAge x\n',
     "opcje przed kluczem"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG016oPQlWlVlWatvZlzKssm8uMLBdVCRnANlWwEwAge x\n"
     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG016oPQlWlVlWatvZlzKssm8uMLBdVCRnANlWwEwAge y\n",
     "nie jest jednym"),
    ("ssh-ed25519 not*base64 x\n", "base64"),
    ("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIG016oPQlWlVlWatvZlzKssm8uMLBdVCRnANlWwEwAge x\n", "nie pasuje do jego typu"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
     "klucz prywatny"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG016oPQlWlVlWatvZlzKssm8uMLBdVCRnANlWwEwAge x\n\x00\xff", "publicznym"),
])
def test_anything_but_one_public_key_is_refused_and_changes_nothing(office: Office, content: str, why: str) -> None:
    ok(office.main("staff", "add", "ewa", "--role", "operator", "--key", str(office.key("ewa"))))
    before = office.state()
    bad = office.dir / "bad.pub"
    bad.write_text(content, encoding="utf-8", errors="surrogateescape")
    refused(office.main("staff", "add", "jan", "--role", "viewer", "--key", str(bad)), why)
    assert office.state() == before


def test_bad_requests_are_refused_and_change_nothing(office: Office) -> None:
    ewa = office.key("ewa")
    ok(office.main("staff", "add", "ewa", "--role", "operator", "--key", str(ewa)))
    before = office.state()
    refused(office.main("staff", "add", "jan", "--role", "viewer", "--key", str(ewa)), "ma już ewa")
    refused(office.main("staff", "add", "ewa", "--role", "admin", "--key", str(office.key("ewa2"))),
            "staff set-role ewa admin")
    refused(office.main("staff", "add", 'x" sh', "--role", "viewer", "--key", str(office.key("x"))), "login")
    refused(office.main("staff", "add", "-rf", "--role", "viewer", "--key", str(office.key("x"))))
    refused(office.main("staff", "add", "jan", "--role", "viewer", "--key", str(office.dir / "none.pub")),
            "none.pub")
    assert office.state() == before


def test_only_an_administrator_manages_staff(office: Office) -> None:
    office.config.write_text(office.config.read_text() + f'"{os_login()}" = "operator"\n')
    refused(office.main("staff", "add", "jan", "--role", "viewer", "--key", str(office.key("jan"))),
            "zarządzanie pracownikami")
    refused(office.main("--read-only", "staff", "list"), "--read-only")
    assert not office.keys.exists()


def test_a_staff_change_that_cannot_be_written_whole_leaves_authorized_keys_as_it_was(office: Office) -> None:
    """The disk fills (here: a file-size limit) while the new authorized_keys is written:
    sshd must go on reading the old one, whole; a file written in place would be cut."""
    for n in range(40):
        ok(office.main("staff", "add", f"p{n:02d}", "--role", "viewer", "--key", str(office.key(f"p{n:02d}"))))
    before = office.keys.read_bytes()
    assert len(before) > 8000

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, it does not kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = subprocess.run([*mleg_command(), "staff", "add", "late", "--role", "viewer",
                           "--key", str(office.key("late"))], env=office.env, cwd=office.dir,
                          capture_output=True, text=True, preexec_fn=small_files, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "pozostał bez zmian" in proc.stderr, proc.stderr
    assert office.keys.read_bytes() == before
    assert sorted(p.name for p in office.keys.parent.iterdir()) == ["authorized_keys"]  # no leftovers


def test_staff_help_and_the_default_authorized_keys(office: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    from mleg_tui.services.staff import authorized_keys_path

    monkeypatch.setenv("HOME", str(office.dir / "home"))
    monkeypatch.delenv("MLEG_TUI_AUTHORIZED_KEYS", raising=False)
    assert authorized_keys_path(load_settings()) == office.dir / "home" / ".ssh" / "authorized_keys"
    out = ok(office.run("staff", "--help")).stdout
    for word in ("add", "list", "set-role", "remove"):
        assert word in out
    assert shutil.which("ssh-keygen")
