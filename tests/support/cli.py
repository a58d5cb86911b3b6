"""The command line as a user runs it: `mleg-tui` as a real process (`run_cli`,
`run_cli_parallel`, `popen_cli`) or its main() in this process (`run_main`), in the
environment `cli_environment` gives, with the outcome as a `CliResult`."""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.register import TODAY


@dataclass
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self) -> str:  # shown by pytest when an assertion about it fails
        return (f"mleg-tui {' '.join(self.args)} -> {self.returncode}\n"
                f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}")


def mleg_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("mleg-tui")
    if script.exists():
        return [str(script)]
    found = shutil.which("mleg-tui")
    return [found] if found else [sys.executable, "-m", "mleg_tui.cli"]


def cli_environment(store_path: Path | str, config: Path, today: str = TODAY) -> dict[str, str]:
    """The environment of a CLI run: the store, the config file and a fixed today."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MLEG_TUI_")}
    env.update(MLEG_TUI_DB=str(store_path), MLEG_TUI_TODAY=today, MLEG_TUI_CONFIG=str(config),
               MLEG_TUI_LOG_FILE=str(config.with_name("mleg-tui.log")),
               PYTHONIOENCODING="utf-8", COLUMNS="200")
    return env


def _merged(env: Mapping[str, str], extra: Mapping[str, str | None] | None) -> dict[str, str]:
    full = dict(env)
    for k, v in (extra or {}).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    return full


def popen_cli(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    """Start `mleg-tui` without waiting (for tests of processes running at once)."""
    return subprocess.Popen(
        [*mleg_command(), *args], env=dict(env), cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )


def run_cli(args: Iterable[str], env: Mapping[str, str], cwd: Path, *,
            extra_env: Mapping[str, str | None] | None = None, timeout: float = 60,
            stdin: str | None = None) -> CliResult:
    """Run `mleg-tui ARGS` to the end; `extra_env` entries set to None are removed."""
    args = list(args)
    proc = subprocess.run(
        [*mleg_command(), *args], env=_merged(env, extra_env), cwd=cwd, input=stdin,
        capture_output=True, text=True, encoding="utf-8", timeout=timeout,
    )
    return CliResult(tuple(args), proc.returncode, proc.stdout, proc.stderr)


def run_cli_parallel(calls: Iterable[tuple[Iterable[str], Mapping[str, str | None] | None]],
                     env: Mapping[str, str], cwd: Path, timeout: float = 120) -> list[CliResult]:
    """Independent runs at once (start-up dominates a run): [(args, extra_env), ...]."""
    started = [(list(a), popen_cli(list(a), _merged(env, e), cwd)) for a, e in calls]
    results = []
    for args, proc in started:
        out, err = proc.communicate(timeout=timeout)
        results.append(CliResult(tuple(args), proc.returncode, out, err))
    return results


def run_main(args: Iterable[str], env: Mapping[str, str], *,
             extra_env: Mapping[str, str | None] | None = None) -> CliResult:
    """`mleg-tui ARGS` in this process (the same code as the console script, without the
    second of start-up a process costs): for the many runs of one story. A traceback here
    is an exception that fails the test, as it would be on the user's screen."""
    from mleg_tui.cli import main

    args = list(args)
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.upper().startswith("MLEG_TUI_"):
                mp.delenv(key)
        for key, value in _merged(env, extra_env).items():
            if key.startswith("MLEG_TUI_"):
                mp.setenv(key, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as e:  # argparse's own exits
                code = e.code if isinstance(e.code, int) else 1
    return CliResult(tuple(args), code, out.getvalue(), err.getvalue())

