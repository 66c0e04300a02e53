"""The database part of a backup: one consistent snapshot, and putting it back.

SQLite: the online backup API, in one step, copies the database as one read
transaction sees it (in WAL mode writers carry on meanwhile); a plain file copy
could catch a torn page or miss what is still in the WAL. PostgreSQL:
``pg_dump`` in its custom format, which dumps from one snapshot too, restored
with ``pg_restore`` in a single transaction. The password goes to the client
through ``PGPASSWORD``, never on a command line others can read in ``ps``.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import subprocess
import zlib
from pathlib import Path

from sqlalchemy.engine import make_url

from clawweb.backup.errors import BackupRefused, Tampered

SQLITE_MEMBER = "database/clawweb.sqlite3.gz"
PG_MEMBER = "database/clawweb.pgdump"


def kind_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` for a SQLAlchemy URL."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupRefused(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def sqlite_snapshot(src: Path, dest: Path) -> None:
    """Copy the live SQLite database ``src`` to ``dest`` as of one moment."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)  # pages=-1: all of it in one step, one read transaction
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        target.commit()
    finally:
        target.close()
        source.close()


def revision_of_sqlite(path: Path) -> str | None:
    """The Alembic revision a SQLite file is at (None before the first migration)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def dump(url: str, workdir: Path) -> tuple[str, Path, str | None]:
    """Snapshot the database at ``url`` into ``workdir``.

    Returns:
        (archive member name, file to store, Alembic revision of the snapshot).
    """
    if kind_of(url) == "sqlite":
        snap = workdir / "clawweb.sqlite3"
        sqlite_snapshot(sqlite_path(url), snap)
        revision = revision_of_sqlite(snap)
        packed = workdir / "clawweb.sqlite3.gz"
        with snap.open("rb") as f, gzip.open(packed, "wb", compresslevel=6) as out:
            shutil.copyfileobj(f, out, 1024 * 1024)
        snap.unlink()
        return SQLITE_MEMBER, packed, revision
    out = workdir / "clawweb.pgdump"
    _pg(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(out)],
        url)
    return PG_MEMBER, out, _pg_revision(url)


def restore(member: str, staged: Path, url: str) -> None:
    """Put the staged snapshot in place as the database at ``url`` (which must be empty).

    Raises:
        BackupRefused: the kinds differ, or the target database is not empty.
        Tampered: the snapshot is not a readable database.
    """
    want = "sqlite" if member == SQLITE_MEMBER else "postgresql"
    if kind_of(url) != want:
        raise BackupRefused(f"this backup holds a {want} database but CLAWWEB_DATABASE_URL "
                            f"names a {kind_of(url)} one; restore onto the same kind")
    if want == "sqlite":
        _restore_sqlite(staged, sqlite_path(url))
    else:
        _pg(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction"], url, dbname_flag=True, input_file=staged)


def target_is_empty(url: str) -> bool:
    """Whether the database at ``url`` holds no clawweb tables yet."""
    if kind_of(url) == "sqlite":
        return not sqlite_path(url).exists()
    out = _pg(["psql", "-At", "-c", "SELECT count(*) FROM information_schema.tables "
               "WHERE table_schema = 'public'"], url, dbname_flag=True)
    return out.strip() == "0"


def _restore_sqlite(staged: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.restoring")
    try:
        with gzip.open(staged, "rb") as f, open(tmp, "xb") as out:
            shutil.copyfileobj(f, out, 1024 * 1024)
        conn = sqlite3.connect(tmp)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()
    except (OSError, EOFError, zlib.error, sqlite3.Error) as exc:
        tmp.unlink(missing_ok=True)
        raise Tampered(f"the database snapshot does not read back: {exc}") from exc
    if not ok:
        tmp.unlink(missing_ok=True)
        raise Tampered("the database snapshot fails SQLite's integrity check")
    os.chmod(tmp, 0o600)
    os.rename(tmp, dest)


def pg_dump_version() -> str:
    try:
        return subprocess.run(["pg_dump", "--version"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except FileNotFoundError:
        return ""


def _pg_revision(url: str) -> str | None:
    out = _pg(["psql", "-At", "-c", "SELECT version_num FROM alembic_version"], url,
              dbname_flag=True, check=False)
    return out.strip() or None


def _pg_env(url: str) -> dict[str, str]:
    u = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    host = u.host or u.query.get("host")
    for var, value in (("PGHOST", host), ("PGPORT", u.port), ("PGUSER", u.username),
                       ("PGPASSWORD", u.password), ("PGDATABASE", u.database)):
        if value:
            env[var] = str(value if not isinstance(value, tuple) else value[0])
    return env


def _pg(args: list[str], url: str, *, dbname_flag: bool = False, check: bool = True,
        input_file: Path | None = None) -> str:
    cmd = list(args)
    if dbname_flag:
        cmd += ["--dbname", make_url(url).database or ""]
    if input_file is not None:
        cmd.append(str(input_file))
    try:
        res = subprocess.run(cmd, env=_pg_env(url), capture_output=True, text=True,
                             timeout=3600, stdin=subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise BackupRefused(f"{args[0]} is not installed (Debian: postgresql-client-15)") \
            from exc
    if check and res.returncode != 0:
        raise BackupRefused(f"{args[0]} failed: {res.stderr.strip()[-2000:]}")
    return res.stdout
