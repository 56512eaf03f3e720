"""A real PostgreSQL server for the tests: Debian's ``postgresql`` binaries, a cluster made by
``initdb`` in a temporary directory, started by ``pg_ctl`` on a free port of 127.0.0.1 (and a
unix socket in that directory), with a password that TCP connections must give (SCRAM), stopped
and removed afterwards. initdb and postgres refuse to run as root: as root, both run as the
``postgres`` system user. Without the binaries the tests skip, or fail under CI."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "xlmargin"
PASSWORD = "s3cret pass'word"
DATABASE = "litellm"
INSTALL = "apt-get install postgresql"


def bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl: pg_config's, Debian's newest
    /usr/lib/postgresql/N/bin, or the PATH's."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(found.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda d: int(Path(d).parent.name)
                         if Path(d).parent.name.isdigit() else 0, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for folder in candidates:
        if folder and all((Path(folder) / b).is_file() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def require_bin_dir() -> Path:
    """bin_dir(), or a failure under CI and a skip elsewhere."""
    found = bin_dir()
    if found is not None:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL's server (initdb, pg_ctl) is required in CI: {INSTALL}")
    pytest.skip(f"PostgreSQL's server is not installed ({INSTALL})")


def require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("psycopg is required in CI: pip install -e '.[dev,postgres]'")
        pytest.skip("psycopg is not installed (pip install -e '.[dev,postgres]')")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    host: str
    port: int
    socket_dir: Path
    user: str = USER
    password: str = PASSWORD
    database: str = DATABASE

    def url(self, database: str | None = None) -> str:
        """The URL without the password (libpq finds it in PGPASSWORD or a .pgpass)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database or self.database}"

    def connect(self, database: str | None = None, autocommit: bool = True):  # type: ignore[no-untyped-def]
        """A connection as the owner, through the unix socket (no password: trust)."""
        import psycopg

        return psycopg.connect(host=str(self.socket_dir), port=self.port, user=self.user,
                               dbname=database or self.database, autocommit=autocommit)

    def create_database(self, name: str) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A started server with an empty database DATABASE owned by USER; stopped at the end."""
    binaries = require_bin_dir()
    require_psycopg()
    with running(binaries) as server:
        yield server


@contextlib.contextmanager
def running(binaries: Path) -> Iterator[Server]:
    """initdb, pg_ctl start, then (on leaving) pg_ctl stop and the directory removed."""
    top = Path(tempfile.mkdtemp(prefix="xlmargin-pg-"))
    if os.geteuid() == 0:
        shutil.chown(top, "postgres", "postgres")
    data, sockets = top / "data", top / "sockets"
    pwfile = top / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run(_as_postgres([str(binaries / "initdb"), "-D", str(data), "-U", USER,
                                 f"--pwfile={pwfile}", "--auth-local=trust",
                                 "--auth-host=scram-sha-256", "-E", "UTF8",
                                 "--locale=C.UTF-8"]), **run)  # type: ignore[call-overload]
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(sockets, "postgres", "postgres")
    port = free_port()
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off")
    try:
        subprocess.run(_as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-l",
                                     str(top / "log"), "-o", options, "-w", "-t", "60",
                                     "start"]), **run)  # type: ignore[call-overload]
    except subprocess.CalledProcessError as error:
        log = (top / "log").read_text() if (top / "log").exists() else ""
        shutil.rmtree(top, ignore_errors=True)
        raise AssertionError(f"pg_ctl start failed: {error.stderr}{log}") from None
    server = Server("127.0.0.1", port, sockets)
    try:
        server.create_database(DATABASE)
        yield server
    finally:
        subprocess.run(_as_postgres([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast",
                                     "-w", "stop"]), capture_output=True, timeout=120)
        shutil.rmtree(top, ignore_errors=True)
