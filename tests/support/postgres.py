"""A throwaway PostgreSQL 15 server for tests, started by the tests themselves.

Debian's server binaries (``initdb``, ``pg_ctl``) refuse to run as root, so
under root the cluster belongs to a system user made for it
(``clawweb-pgtest``, no login shell, no home). The cluster lives in a fresh
directory under /tmp (pytest's own tmp dirs are root-only), listens on a free
loopback port and on a unix socket in that directory, and is tuned for speed,
not durability (``fsync=off``): it is thrown away at the end of the session.

Each test gets a database of its own (:meth:`PostgresServer.create_database`),
dropped with ``WITH (FORCE)`` afterwards, so a worker process that still holds
a connection cannot keep it alive.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.services import free_port, need, wait_for_port

PG_USER = "clawweb-pgtest"       # the OS user that owns the cluster (when we are root)
DB_USER = "clawweb"              # the role the app connects as
BIN_DIRS = ("/usr/lib/postgresql/15/bin",)


def pg_bin(name: str) -> str | None:
    """The path of a PostgreSQL server program, or None when not installed."""
    for d in BIN_DIRS:
        path = Path(d) / name
        if path.exists():
            return str(path)
    return None


def psycopg_installed() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_os_user() -> str | None:
    """Under root, the unprivileged user the cluster runs as (created once); else None."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", PG_USER], check=True)
    return PG_USER


class PostgresServer:
    """One cluster: ``start()``, ``create_database()``/``drop_database()``, ``stop()``.

    Args:
        listen: addresses to listen on besides the unix socket (``127.0.0.1``;
            the multi-host test adds its namespace's address).
        wrap: a command prefix that runs the server somewhere else (``ip netns
            exec NS``); initdb always runs here.
        allow_net: a CIDR that may connect over TCP with the password.
    """

    def __init__(self, listen: str = "127.0.0.1", wrap: list[str] | None = None,
                 allow_net: str = ""):
        need(pg_bin("initdb") is not None and pg_bin("pg_ctl") is not None,
             "PostgreSQL 15 server", "apt-get install postgresql-15 (./scripts/test does)")
        need(psycopg_installed(), "psycopg", "pip install -r requirements.txt")
        self.listen, self.wrap, self.allow_net = listen, wrap or [], allow_net
        self.os_user = ensure_os_user()
        self.dir = Path(tempfile.mkdtemp(prefix="clawweb-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.host = listen.split(",")[0]
        self._started = False

    # -- running programs as the cluster's owner --------------------------------
    def _as_owner(self, argv: list[str], wrapped: bool = False) -> subprocess.CompletedProcess:
        if self.os_user:
            argv = ["runuser", "-u", self.os_user, "--", *argv]
        if wrapped:  # `ip netns exec` needs root: it goes outside runuser
            argv = [*self.wrap, *argv]
        return subprocess.run(argv, check=True, capture_output=True, text=True)

    def start(self) -> "PostgresServer":
        if self.os_user:
            shutil.chown(self.dir, self.os_user, self.os_user)
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self.os_user:
            shutil.chown(pwfile, self.os_user, self.os_user)
        self._as_owner([pg_bin("initdb"), "-D", str(self.data), "-U", DB_USER,
                        "--pwfile", str(pwfile), "--auth-local=trust",
                        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        pwfile.unlink()
        if self.allow_net:
            with (self.data / "pg_hba.conf").open("a") as f:
                f.write(f"host all all {self.allow_net} scram-sha-256\n")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses={self.listen} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200 -c shared_buffers=64MB")
        self._as_owner([pg_bin("pg_ctl"), "-D", str(self.data), "-l",
                        str(self.dir / "server.log"), "-o", options, "-w", "-t", "60",
                        "start"], wrapped=True)
        self._started = True
        if not self.wrap:
            wait_for_port(self.port, host=self.host)
        return self

    def url(self, database: str, host: str | None = None) -> str:
        """A SQLAlchemy URL for ``database`` (psycopg 3), over TCP with the password."""
        return (f"postgresql+psycopg://{DB_USER}:{self.password}@{host or self.host}:"
                f"{self.port}/{database}")

    def _admin(self):
        import psycopg

        return psycopg.connect(host=str(self.dir), port=self.port, user=DB_USER,
                               dbname="postgres", autocommit=True)

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"t_{secrets.token_hex(6)}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def empty_database(self, name: str, tables: list[str]) -> None:
        """Delete every row and restart every id sequence, for the next test.

        ``tables`` children first (``SQLModel.metadata.sorted_tables`` reversed).
        DELETE, not TRUNCATE: on tables this small it is three times quicker.
        A connection a test left behind (a killed worker's, an undisposed
        engine's) could hold a lock the DELETE would wait for: those are ended first.
        """
        import psycopg

        with psycopg.connect(host=str(self.dir), port=self.port, user=DB_USER, dbname=name,
                             autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            seqs = [r[0] for r in conn.execute("SELECT sequencename FROM pg_sequences")]
            conn.execute("; ".join([f'DELETE FROM "{t}"' for t in tables]
                                   + [f"SELECT setval('\"{q}\"', 1, false)" for q in seqs]))

    def stop(self) -> None:
        if self._started:
            try:
                self._as_owner([pg_bin("pg_ctl"), "-D", str(self.data), "-m",
                                "immediate", "-w", "stop"], wrapped=True)
            except subprocess.CalledProcessError:
                pass  # already gone (its namespace was deleted)
            self._started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self) -> str:
        try:
            return (self.dir / "server.log").read_text()[-3000:]
        except OSError:
            return ""
