"""A throwaway PostgreSQL 15 cluster for the backup tests (loopback, unix socket in tmp).

The same shape as the suite's PostgreSQL harness (``create_database``, ``url``,
``stop``) so the two can merge: initdb and pg_ctl refuse root, so under root
the cluster runs as the system user ``clawweb-pgtest`` (created if missing).
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

BIN = Path("/usr/lib/postgresql/15/bin")
OS_USER = "clawweb-pgtest"
DB_USER = "clawweb"


def _psycopg() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


class Cluster:
    def __init__(self):
        need((BIN / "initdb").exists(), "PostgreSQL 15 server",
             "apt-get install postgresql-15 (./scripts/test does)")
        need(_psycopg(), "psycopg", "pip install -r requirements.txt (psycopg[binary])")
        self.dir = Path(tempfile.mkdtemp(prefix="clawweb-pgb-"))
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.user = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(OS_USER)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir",
                                "/nonexistent", "--shell", "/usr/sbin/nologin", OS_USER],
                               check=True)
            self.user = OS_USER
            shutil.chown(self.dir, OS_USER, OS_USER)

    def _run(self, *argv: str) -> None:
        cmd = ["runuser", "-u", self.user, "--", *argv] if self.user else list(argv)
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> "Cluster":
        pw = self.dir / "pw"
        pw.write_text(self.password + "\n")
        if self.user:
            shutil.chown(pw, self.user, self.user)
        self._run(str(BIN / "initdb"), "-D", str(self.dir / "data"), "-U", DB_USER,
                  "--pwfile", str(pw), "--auth-local=trust", "--auth-host=scram-sha-256",
                  "-E", "UTF8", "--locale=C.UTF-8")
        pw.unlink()
        self._run(str(BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                  str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")
        wait_for_port(self.port)
        return self

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://{DB_USER}:{self.password}@127.0.0.1:{self.port}/"
                f"{database}")

    def create_database(self) -> str:
        import psycopg

        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(host=str(self.dir), port=self.port, user=DB_USER,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        try:
            self._run(str(BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                      "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
