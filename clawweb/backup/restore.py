"""Restoring a backup onto a fresh data directory (``manage restore SRC``).

Nothing is written until the whole archive checked out: the manifest's seal
(with the passphrase), the versions, every member's checksum, the secrets box.
Then the parts go in place (key files, transcripts, repositories, and the
database last), the schema is migrated to this code's head (a backup of an
older clawweb is upgraded), and the report says what came back, which tasks
were in flight when the backup was taken, and which encrypted values this
installation cannot open. If anything fails, the data directory is emptied
again: it was empty before.
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from clawweb.backup import archive, database, files, readable, repos, seal
from clawweb.backup.errors import BackupRefused, Incompatible, NotFresh, Tampered
from clawweb.backup.take import SECRETS_MEMBER
from clawweb.settings import get_settings

STAGING = ".restore-staging"


@dataclass
class RestoreReport:
    counts: dict[str, int]
    in_flight: list[int]
    unreadable: list[readable.Unreadable]
    warnings: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        out = ["restored: " + ", ".join(f"{n} {what}" for what, n in self.counts.items())]
        if self.in_flight:
            ids = ", ".join(str(i) for i in self.in_flight)
            out.append(f"tasks {ids} were running when the backup was taken. Their worker "
                       "is gone: once a worker runs here, the reaper ends them (failed, or "
                       "queued again when their command had not started).")
        return out

    def warning_lines(self) -> list[str]:
        out = list(self.warnings)
        if self.unreadable:
            out.append(f"{len(self.unreadable)} encrypted values cannot be opened with this "
                       "installation's secret key (the backup's secrets were not restored): "
                       + "; ".join(u.where for u in self.unreadable)
                       + ". Put the original secret.key in the data directory (or set "
                       "CLAWWEB_SECRET_KEY) to open them, or set them again: users re-enter "
                       "their model credentials, owners their remote tokens and deploy keys.")
        return out

    def lines(self) -> list[str]:
        return self.summary_lines() + self.warning_lines()


def restore_backup(src: Path, *, passphrase: str | None,
                   without_secrets: bool = False) -> RestoreReport:
    """Restore the archive ``src`` into the configured (empty) data dir and database.

    Raises:
        NotFresh: the data dir or the database already holds something.
        WrongPassphrase / Tampered / Incompatible / BackupRefused: nothing was written.
    """
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    url = settings.sqlalchemy_url
    _require_fresh(data_dir, url)
    existed = data_dir.exists()
    try:
        with archive.Reader(Path(src)) as reader:
            keys, warnings = _check(reader.manifest, reader.seal, passphrase, without_secrets)
            _check_compatible(reader.manifest, url)
            staging = data_dir / STAGING
            staging.mkdir(parents=True, mode=0o700)
            staged = reader.extract(staging)
            secrets = _open_secrets(reader.manifest, staged, keys, without_secrets)
            _apply(reader.manifest, staged, secrets, data_dir, url)
        shutil.rmtree(staging, ignore_errors=True)
        from clawweb import manage
        manage.migrate()
    except BaseException:
        _empty(data_dir, existed)
        raise
    return _report(warnings)


def _require_fresh(data_dir: Path, url: str) -> None:
    if data_dir.exists() and any(data_dir.iterdir()):
        raise NotFresh(f"restore only onto a fresh data directory: {data_dir} is not empty "
                       "(point CLAWWEB_DATA_DIR at a new one)")
    if not database.target_is_empty(url):
        raise NotFresh("restore only onto an empty database: the one CLAWWEB_DATABASE_URL "
                       "names already has tables")


def _empty(data_dir: Path, existed: bool) -> None:
    if not data_dir.exists():
        return
    if not existed:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for child in data_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _check(manifest: dict, mac: str | None, passphrase: str | None,
           without_secrets: bool) -> tuple[seal.Keys | None, list[str]]:
    """The archive's keys (None without a passphrase), after checking its seal."""
    kdf = manifest.get("kdf")
    if kdf is None:
        if passphrase:
            raise Tampered("the archive has no seal although a passphrase was given: it "
                           "was made without one, or its seal was removed. Restore it "
                           "without a passphrase only if you know it was made without one.")
        return None, ["this backup was made without a passphrase: its checksums catch "
                      "damage, not a deliberate edit"]
    if mac is None:
        raise Tampered("the archive's seal (manifest.hmac) is missing: it was changed")
    if not passphrase:
        if manifest.get("secrets", {}).get("included") and not without_secrets:
            raise BackupRefused("this backup's secrets are sealed with a passphrase: set "
                                "CLAWWEB_BACKUP_PASSPHRASE (or answer the prompt), or pass "
                                "--without-secrets to restore everything else")
        return None, ["restored without the passphrase: the archive's seal was not "
                      "checked, only its checksums"]
    keys = seal.keys_for(kdf, passphrase)
    seal.verify_manifest(keys, manifest, mac)
    return keys, []


def _check_compatible(manifest: dict, url: str) -> None:
    from alembic.script import ScriptDirectory

    from clawweb.manage import alembic_config

    revision = manifest.get("versions", {}).get("schema_revision")
    script = ScriptDirectory.from_config(alembic_config())
    if not revision:
        raise Incompatible("this backup's database has no schema revision (it was never "
                           "migrated with `manage migrate`): clawweb cannot upgrade it")
    if revision not in {r.revision for r in script.walk_revisions()}:
        raise Incompatible(f"this backup's database is at schema revision {revision}, "
                           "which this clawweb does not know: restore with the clawweb "
                           "version that made it (or a newer one)")
    member = manifest.get("database", {}).get("member")
    if member not in (database.SQLITE_MEMBER, database.PG_MEMBER):
        raise Tampered("the manifest names no database snapshot")
    want = "sqlite" if member == database.SQLITE_MEMBER else "postgresql"
    if database.kind_of(url) != want:
        raise Incompatible(f"this backup holds a {want} database but the target is "
                           f"{database.kind_of(url)} (CLAWWEB_DATABASE_URL): restore onto "
                           "the same kind")


def _open_secrets(manifest: dict, staged: dict[str, Path], keys: seal.Keys | None,
                  without_secrets: bool) -> dict | None:
    if without_secrets or keys is None or not manifest["secrets"].get("included"):
        return None
    return seal.open_secrets(keys, manifest["backup_id"], staged[SECRETS_MEMBER].read_bytes())


def _apply(manifest: dict, staged: dict[str, Path], secrets: dict | None, data_dir: Path,
           url: str) -> None:
    if secrets is not None:
        _write_keys(data_dir, secrets)
    for name, path in staged.items():
        if name.startswith("claude/"):
            parts = files.safe_relpath(name)[1:]
            files.write_new(data_dir / "claude", parts, path.read_bytes())
    repos_dir = get_settings().repos_dir
    for entry in manifest.get("repositories", []):
        bundle = staged.get(entry["file"]) if entry.get("file") else None
        repos.restore(entry, bundle, repos_dir / entry["name"])
    member = manifest["database"]["member"]
    database.restore(member, staged[member], url)


def _write_keys(data_dir: Path, secrets: dict) -> None:
    blobs = {n: base64.b64decode(d) for n, d in secrets.get("files", {}).items()
             if n in files.KEY_FILES}
    if secrets.get("secret_key"):
        # The key came from the environment: keep it as the key file, so the
        # restored installation opens its rows without that variable.
        blobs["secret.key"] = secrets["secret_key"].encode()
    if secrets.get("previous"):
        blobs[files.PREVIOUS_KEYS_FILE] = "\n".join(secrets["previous"]).encode() + b"\n"
    for name, data in blobs.items():
        files.write_new(data_dir, (name,), data)


def _report(warnings: list[str]) -> RestoreReport:
    from clawweb import db
    from clawweb.models import ACTIVE_STATUSES, Project, Task, User

    engine = db.get_engine()
    with Session(engine) as s:
        counts = {what: s.exec(select(func.count()).select_from(model)).one()
                  for what, model in (("users", User), ("projects", Project), ("tasks", Task))}
        in_flight = list(s.exec(select(Task.id).where(
            Task.status.in_(list(ACTIVE_STATUSES))).order_by(Task.id)).all())
    counts["repositories"] = sum(1 for p in get_settings().repos_dir.glob("*.git"))
    return RestoreReport(counts=counts, in_flight=in_flight,
                         unreadable=readable.unreadable(engine, get_settings()),
                         warnings=warnings)
