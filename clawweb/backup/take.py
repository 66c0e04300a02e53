"""Taking a backup of a running installation (``manage backup DEST``).

Order matters, because the parts are taken one after the other: the database
first, then the repositories, then the transcripts. A worker publishes a
task's branch and keeps its transcript before it commits the task's ending,
so whatever the database snapshot names is already in the repositories and
transcripts taken after it. (The reverse can happen: a branch of a task that
finished a moment after the database snapshot; it is simply there, unused.)
"""

from __future__ import annotations

import base64
import os
import platform
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from clawweb.backup import archive, database, files, repos, seal
from clawweb.settings import Settings, get_settings

SECRETS_MEMBER = "secrets.enc"
NO_SECRETS = ("the secret key and the VAPID key are left out (no passphrase was given): "
              "stored credentials, remote tokens and deploy keys will not open after a "
              "restore unless you keep {data_dir}/secret.key safe yourself. Set "
              "CLAWWEB_BACKUP_PASSPHRASE (or answer the prompt) to include them encrypted.")


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    warnings: list[str] = field(default_factory=list)


def _archive_path(dest: Path) -> Path:
    if dest.suffix == ".tar":
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return dest / f"clawweb-backup-{stamp}-{uuid.uuid4().hex[:6]}.tar"


def make_backup(dest: Path, *, passphrase: str | None,
                settings: Settings | None = None) -> BackupResult:
    """Snapshot the installation into one archive under ``dest``.

    Args:
        dest: a directory (the archive gets a dated name inside it) or a ``.tar`` path.
        passphrase: seals the key files and the manifest; None leaves the key
            files out (with a warning) and the manifest unsealed.
        settings: defaults to the process settings.

    Returns:
        Where the archive is, its manifest, and warnings for the operator.
    """
    settings = settings or get_settings()
    path = _archive_path(Path(dest))
    work = Path(tempfile.mkdtemp(prefix=".clawweb-backup-", dir=path.parent))
    try:
        result = _take(settings, path, work, passphrase)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _take(settings: Settings, path: Path, work: Path, passphrase: str | None) -> BackupResult:
    warnings: list[str] = []
    members: dict[str, Path] = {}
    backup_id = uuid.uuid4().hex
    db_member, db_file, revision = database.dump(settings.sqlalchemy_url, work)
    members[db_member] = db_file
    repo_entries = _repositories(settings, work, members)
    transcripts = _transcripts(settings, work, members, warnings)
    manifest = {
        "format": archive.FORMAT, "format_version": archive.FORMAT_VERSION,
        "backup_id": backup_id, "created_at": datetime.now(timezone.utc).isoformat(),
        "versions": _versions(revision, settings.sqlalchemy_url),
        "database": {"kind": database.kind_of(settings.sqlalchemy_url), "member": db_member},
        "repositories": repo_entries, "transcripts": transcripts,
    }
    keys = None
    if passphrase:
        manifest["kdf"] = seal.new_kdf(passphrase)
        keys = seal.keys_for(manifest["kdf"], passphrase)
        payload = _secrets_payload(settings)
        (work / SECRETS_MEMBER).write_bytes(seal.seal_secrets(keys, backup_id, payload))
        members[SECRETS_MEMBER] = work / SECRETS_MEMBER
        manifest["secrets"] = {"included": True, "member": SECRETS_MEMBER,
                               "names": sorted(payload["files"]) + (
                                   ["CLAWWEB_SECRET_KEY"] if payload["secret_key"] else [])
                               + (["previous keys"] if payload["previous"] else [])}
    else:
        manifest["secrets"] = {"included": False, "reason": "no passphrase"}
        warnings.append(NO_SECRETS.format(data_dir=settings.data_dir.resolve()))
    manifest["files"] = {name: {"sha256": archive.sha256_of(p), "size": p.stat().st_size}
                         for name, p in members.items()}
    archive.write(path, manifest, members,
                  seal.sign_manifest(keys, manifest) if keys else None)
    return BackupResult(path=path, manifest=manifest, warnings=warnings)


def _repositories(settings: Settings, work: Path, members: dict[str, Path]) -> list[dict]:
    root = settings.repos_dir
    if not root.is_dir():
        return []
    (work / "repos").mkdir()
    entries = []
    for repo in sorted(root.iterdir()):
        # Only what clawweb makes there: real directories named <slug>.git.
        if repo.is_symlink() or not repo.is_dir() or not repos.REPO_NAME.match(repo.name):
            continue
        bundle = work / "repos" / f"{repo.name}.bundle"
        entry = repos.snapshot(repo, bundle)
        if entry["refs"]:
            entry["file"] = f"repos/{repo.name}.bundle"
            members[entry["file"]] = bundle
        entries.append(entry)
    return entries


def _transcripts(settings: Settings, work: Path, members: dict[str, Path],
                 warnings: list[str]) -> int:
    cap = settings.claude_session_max_mb * 1024 * 1024
    count = 0
    for rel, data in files.transcripts(settings.data_dir.resolve() / "claude", cap):
        if data is None:
            if not rel.split("/")[-1].startswith("."):
                warnings.append(f"left out data/claude/{rel}: not a regular file within "
                                f"{settings.claude_session_max_mb} MB")
            continue
        name = f"claude/{rel}"
        out = work / f"claude-{count:06d}"
        out.write_bytes(data)
        members[name] = out
        count += 1
    return count


def _secrets_payload(settings: Settings) -> dict:
    data_dir = settings.data_dir.resolve()
    found = {name: files.read_key_file(data_dir, name) for name in files.KEY_FILES}
    return {"files": {n: base64.b64encode(d).decode() for n, d in found.items() if d},
            "secret_key": settings.secret_key or None,
            "previous": [k.decode() for k in settings.previous_secret_bytes()]}


def _versions(revision: str | None, url: str) -> dict:
    from alembic.script import ScriptDirectory

    from clawweb.manage import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    git_version = subprocess.run(["git", "--version"], capture_output=True,
                                 text=True).stdout.strip()
    versions = {"schema_revision": revision, "code_schema_head": head,
                "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                "git": git_version, "host": os.uname().nodename}
    if database.kind_of(url) == "postgresql":
        versions["pg_dump"] = database.pg_dump_version()
    return versions
