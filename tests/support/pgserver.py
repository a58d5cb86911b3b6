"""A real PostgreSQL server for the test suite: started in a temporary directory on a
free loopback port, torn down at the end. PostgreSQL refuses to run as root, so as root
the cluster belongs to the `postgres` user. Where the server is not installed, the suite
says so loudly and installs it (Debian's package) rather than skipping in silence."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_GLOB = "/usr/lib/postgresql/*/bin"


def _bindir() -> Path | None:
    found = sorted(glob.glob(PG_GLOB), reverse=True)
    if found:
        return Path(found[0])
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def ensure_installed() -> Path:
    bindir = _bindir()
    if bindir:
        return bindir
    sys.stderr.write(
        "\n*** PostgreSQL is not installed: installing Debian's postgresql package for the "
        "test suite (apt-get) ***\n"
    )
    if os.geteuid() != 0:
        raise RuntimeError("PostgreSQL is missing and this is not root: install `postgresql` first.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "postgresql", "postgresql-contrib"], check=True, env=env)
    bindir = _bindir()
    if not bindir:
        raise RuntimeError("PostgreSQL was installed but pg_ctl is not to be found.")
    return bindir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.bindir = ensure_installed()
        self.root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="mleg-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = "postgres" if self.root else (os.environ.get("USER") or "postgres")
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd=self.dir)

    def start(self) -> PgServer:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200 -c shared_buffers=128MB")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts,
                  "-l", str(self.dir / "log"), "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new empty database, or (`template`) a copy of another one, made by the server:
        much faster than building the same data again. The template must have no open
        connections."""
        if template is None:
            self._admin(f'CREATE DATABASE "{name}"')
        else:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """FORCE: the test's engines may still hold connections."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # a server to try things by hand: prints its URL, Ctrl+C stops it
    server = PgServer().start()
    print(server.url(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
