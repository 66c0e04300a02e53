"""The backup file: a plain tar whose first member is the manifest.

Layout::

    manifest.json          format, versions, what is inside, and the SHA-256 and
                           size of every other member
    manifest.hmac          the manifest's seal (only with a passphrase; see seal.py)
    database/...           the database snapshot
    repos/<name>.bundle    one git bundle per project repository
    claude/task-<id>/...   Claude Code session transcripts
    secrets.enc            key files, sealed with the passphrase (or absent)

Reading never uses tarfile's extract: each member must be a regular file the
manifest names, with a plain relative path, of the recorded size; it is copied
into a staging directory while hashed, and the restore goes on only when every
member matched and none was missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path

from clawweb.backup.errors import BackupRefused, Tampered
from clawweb.backup.files import safe_relpath

FORMAT = "clawweb-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SEAL = "manifest.hmac"
_MAX_MANIFEST = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def write(dest: Path, manifest: dict, members: dict[str, Path], seal: str | None) -> None:
    """Write the archive to ``dest`` (mode 0600); a partial file never has its name."""
    tmp = dest.with_name(f".{dest.name}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w",
                                                      format=tarfile.PAX_FORMAT) as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            if seal is not None:
                _add_bytes(tar, SEAL, seal.encode() + b"\n")
            for name in sorted(members):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = members[name].stat().st_size, time.time(), 0o600
                with members[name].open("rb") as f:
                    tar.addfile(info, f)
            raw.flush()
            os.fsync(raw.fileno())
        os.rename(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), time.time(), 0o600
    tar.addfile(info, io.BytesIO(data))


class Reader:
    """Opens an archive, hands out its manifest, then stages its members.

    Use as a context manager; call :meth:`extract` only after the caller checked
    the manifest (its seal, its versions).
    """

    def __init__(self, src: Path):
        try:
            self._tar = tarfile.open(src, mode="r:")
        except FileNotFoundError as exc:
            raise BackupRefused(f"no backup at {src}") from exc
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise Tampered(f"{src} is not a clawweb backup (not a readable tar): {exc}") from exc
        self.manifest, self.seal = self._read_head()

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc) -> None:
        self._tar.close()

    def _next(self) -> tarfile.TarInfo | None:
        try:
            return self._tar.next()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise Tampered(f"the archive is damaged or incomplete: {exc}") from exc

    def _small(self, member: tarfile.TarInfo | None, name: str) -> bytes:
        if member is None or member.name != name or not member.isreg() \
                or member.size > _MAX_MANIFEST:
            raise Tampered(f"the archive does not start with its {name}")
        return self._tar.extractfile(member).read()

    def _read_head(self) -> tuple[dict, str | None]:
        try:
            manifest = json.loads(self._small(self._next(), MANIFEST))
        except ValueError as exc:
            raise Tampered("the manifest is not valid JSON") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise Tampered("this is not a clawweb backup (no clawweb manifest)")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BackupRefused(f"backup format {manifest.get('format_version')} is not "
                                f"one this clawweb reads ({FORMAT_VERSION})")
        self._pending = self._next()
        seal = None
        if self._pending is not None and self._pending.name == SEAL:
            seal = self._small(self._pending, SEAL).decode(errors="replace")
            self._pending = self._next()
        return manifest, seal

    def extract(self, staging: Path) -> dict[str, Path]:
        """Copy every member into ``staging``, checking it against the manifest.

        Returns:
            member name -> staged file.

        Raises:
            Tampered: an unexpected, duplicated, missing, resized or changed member.
        """
        expected = self.manifest.get("files") or {}
        staged: dict[str, Path] = {}
        member = self._pending
        while member is not None:
            staged[member.name] = self._stage(member, expected, staged, staging)
            member = self._next()
        missing = sorted(set(expected) - set(staged))
        if missing:
            raise Tampered(f"the archive is incomplete: missing {', '.join(missing[:5])}")
        return staged

    def _stage(self, member: tarfile.TarInfo, expected: dict, staged: dict,
               staging: Path) -> Path:
        want = expected.get(member.name)
        if want is None or member.name in staged:
            raise Tampered(f"the archive holds a part its manifest does not list: "
                           f"{member.name!r}")
        safe_relpath(member.name)
        if not member.isreg() or member.size != want["size"]:
            raise Tampered(f"{member.name} is not the file the manifest describes")
        path = staging / f"{len(staged):06d}"
        h = hashlib.sha256()
        src = self._tar.extractfile(member)
        with open(path, "xb") as out:
            try:
                while chunk := src.read(_CHUNK):
                    h.update(chunk)
                    out.write(chunk)
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise Tampered(f"the archive is damaged or incomplete: {exc}") from exc
        if h.hexdigest() != want["sha256"]:
            raise Tampered(f"{member.name} does not match its checksum: the archive was "
                           "changed or damaged")
        return path
