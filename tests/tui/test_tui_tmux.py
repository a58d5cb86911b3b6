"""The real `mleg-tui` in a real terminal (tmux, 80x24), keys sent from outside in one
burst, as a barcode scanner or a paste delivers them: every key arrives, in order."""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.tui import TODAY

TMUX = shutil.which("tmux")
MLEG = str(Path(sys.executable).with_name("mleg-tui"))
_sockets = itertools.count(1)


class Terminal:
    """One tmux server of its own (-L), one session `S` running the program."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        assert TMUX
        r = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (args, r.stderr)
        return r.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "S", command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "S")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "S", *keys)

    def paste(self, text: str) -> None:
        self.tmux("set-buffer", "-b", "t", text)
        self.tmux("paste-buffer", "-p", "-b", "t", "-t", "S")  # bracketed, as a terminal pastes

    def wait_for(self, *texts: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            flat = " ".join(shown.split())
            if all(t in flat for t in texts):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"never shown: {texts!r}; the terminal shows:\n{shown}")
            time.sleep(0.1)


@pytest.fixture
def terminal(db: Path | str, tmp_path: Path) -> Iterator[Terminal]:
    if TMUX is None:
        pytest.skip("TMUX IS NOT INSTALLED: the test of keys sent from a real terminal did not run "
                    "(apt-get install tmux)")
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    term = Terminal(f"mleg-test-{os.getpid()}-{next(_sockets)}")
    env = f"MLEG_TUI_CONFIG={config} TERM=xterm-256color"
    term.start(f"env {env} {MLEG} --db '{db}' --today {TODAY} tui")  # (Textual draws on stderr)
    socket = Path(term.tmux("display-message", "-p", "#{socket_path}").strip())
    try:
        term.wait_for("Wyświetlane są elementy 1..", "(spośród")  # rows and their count
        yield term
    finally:
        subprocess.run([TMUX, "-L", term.socket, "kill-server"], capture_output=True, timeout=30)
        socket.unlink(missing_ok=True)  # the server leaves it behind


def test_album_number_sent_in_one_burst_opens_the_student(terminal: Terminal) -> None:
    terminal.keys("l1234336607", "Enter")  # one call: the whole string at once
    terminal.wait_for("Student: Karolina Bachta", "nr albumu 1234336607")


def test_name_sent_in_one_burst_opens_the_student(terminal: Terminal) -> None:
    terminal.keys("lbachta karolina", "Enter")
    terminal.wait_for("Student: Karolina Bachta")


def test_filter_sent_in_one_burst_and_a_paste_keep_every_letter(terminal: Terminal) -> None:
    terminal.keys("/walczak")  # `w` alone opens the sweep (for an admin)
    shown = terminal.wait_for("Szukaj: walczak", "Walczak")
    assert "Skrypt unieważniający" not in shown
    terminal.keys("Escape")
    time.sleep(0.2)  # an Esc right before another key would read as Alt+that key
    terminal.paste("Kowalska")  # on the list: into the filter
    terminal.wait_for("Szukaj: Kowalska", "Marta Kowalska")


def test_every_screen_from_the_start_says_which_rows_it_shows(db: Path | str, tmp_path: Path) -> None:
    """Watched as fast as tmux shows it, from the start until the count is in: every screen
    with rows names those rows in its status line (the first frame said "1..1" for 35 ms),
    and nothing but the fields' own text stands where they come ("FilterBar#filter")."""
    import re

    if TMUX is None:
        pytest.skip("TMUX IS NOT INSTALLED (apt-get install tmux)")
    row = re.compile(r"^[ ●]\s*(\d+) \S.*\d{4}-\d{2}-\d{2}")
    shown = re.compile(r"Wyświetlane są elementy (\d+)\.\.(\d+) \(spośród(?: (\d+)|: liczenie…)\)")
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    term = Terminal(f"mleg-test-{os.getpid()}-{next(_sockets)}")
    term.start(f"env MLEG_TUI_CONFIG={config} TERM=xterm-256color {MLEG} --db '{db}' --today {TODAY} tui")
    socket = Path(term.tmux("display-message", "-p", "#{socket_path}").strip())
    try:
        seen, deadline = 0, time.monotonic() + 30
        while time.monotonic() < deadline:
            screen = term.screen()
            assert "FilterBar" not in screen and "#filter" not in screen, screen
            rows = [int(m.group(1)) for line in screen.splitlines() if (m := row.match(line))]
            if rows:
                seen += 1
                found = shown.search(screen)
                assert found is not None, screen
                assert (int(found.group(1)), int(found.group(2))) == (rows[0], rows[-1]), screen
                if found.group(3):  # the count is in: the start is over
                    break
        assert seen, "no rows shown"
    finally:
        subprocess.run([TMUX, "-L", term.socket, "kill-server"], capture_output=True, timeout=30)
        socket.unlink(missing_ok=True)
