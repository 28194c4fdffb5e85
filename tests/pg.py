"""A real PostgreSQL server for the tests, started by the suite itself (issue #19).

Debian's binaries (``make install`` installs the ``postgresql`` package where they are
missing) run from a temporary folder: ``initdb`` a fresh cluster, then ``pg_ctl start``
with a Unix socket in that folder and no TCP port at all, so that nothing else on the
machine is reached or disturbed. PostgreSQL refuses to run as root, so as root (CI, the
developers' machines) every server command runs as the ``postgres`` OS user through
``runuser``, in a folder owned by it; as any other user, as that user. Logins need a
password (``scram-sha-256``), so a wrong one is refused as on a real server. Every
command has a finite timeout and writes to a log file, never to a pipe left unread.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

#: Where Debian puts the server's programs (the newest version installed is used).
PG_ROOT = Path("/usr/lib/postgresql")
#: Long enough for a slow machine to start or stop a cluster, short enough to fail.
PG_TIMEOUT_S = 120
SUPERUSER = "postgres"


def pg_bin() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``; an error says how to install them."""
    found = sorted(PG_ROOT.glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError(
            f"no PostgreSQL server under {PG_ROOT}: run `make install` (apt-get install "
            "postgresql) to get it"
        )
    return found[-1].parent


@dataclass
class PgServer:
    """A running cluster: its socket folder, its superuser's password, and its log."""

    base: Path
    password: str
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "sock"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    def url(self, db: str = "postgres", *, password: str | None = None) -> str:
        """A libpq URL of database ``db`` through the socket (``?host=`` its folder)."""
        secret = quote(self.password if password is None else password, safe="")
        return f"postgresql://{SUPERUSER}:{secret}@/{db}?host={self.socket_dir}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A server program (``initdb``, ``pg_ctl``) as the server's OS user."""
        command = [*self.as_user, str(pg_bin() / args[0]), *args[1:]]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=PG_TIMEOUT_S, check=False,
            stdin=subprocess.DEVNULL, cwd=self.base,
        )  # fmt: skip

    def start(self) -> None:
        """``pg_ctl start`` and wait until it takes connections."""
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}'"
        options += " -c fsync=off -c max_connections=200"
        done = self.run("pg_ctl", "start", "-w", "-t", str(PG_TIMEOUT_S), "-D", str(self.data),
                        "-l", str(self.log), "-o", options)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr}{self._log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop`` (``fast``: connections are cut, as when a server goes down)."""
        self.run("pg_ctl", "stop", "-w", "-t", str(PG_TIMEOUT_S), "-m", mode, "-D", str(self.data))

    def create_database(self, name: str) -> str:
        """A fresh database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=30) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _log_tail(self) -> str:
        try:
            return "\n" + self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""


def start_server() -> PgServer:
    """``initdb`` a cluster in a new temporary folder and start it (see the docstring)."""
    # Not under pytest's tmp folder: that one is private to root (mode 700).
    base = Path(tempfile.mkdtemp(prefix="econ-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", SUPERUSER, "--"]
        shutil.chown(base, user=SUPERUSER)
    server = PgServer(base=base, password=secrets.token_urlsafe(12), as_user=as_user)
    pwfile = base / "pwfile"
    pwfile.write_text(server.password + "\n", encoding="utf-8")
    if as_user:
        shutil.chown(pwfile, user=SUPERUSER)
    server.socket_dir.mkdir()
    if as_user:
        shutil.chown(server.socket_dir, user=SUPERUSER)
    done = server.run(
        "initdb", "-D", str(server.data), "-U", SUPERUSER, "--pwfile", str(pwfile),
        "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8",
        "--locale=C.UTF-8", "--no-sync",
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")
    server.start()
    return server


def remove_server(server: PgServer) -> None:
    """Stop the cluster (fast, then immediate) and remove its folder."""
    server.stop("fast")
    if (server.data / "postmaster.pid").exists():
        server.stop("immediate")
    shutil.rmtree(server.base, ignore_errors=True)
