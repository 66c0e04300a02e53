"""Files of the data dir that a backup carries: session transcripts and key files.

The transcripts under ``data/claude`` were written by the worker from what a
task's container produced, and the oldest layout kept the container's whole
folder: read them as hostile. The walk never follows a link (``os.fwalk`` with
``follow_symlinks=False``, every open ``O_NOFOLLOW``), takes regular files only
(checked with lstat, then fstat on the open descriptor), skips the worker's
half-written ``.tmp`` files, and caps each file's size. Restored files are
created new (``O_EXCL``), mode 0600, under directories mode 0700.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from clawweb.backup.errors import Tampered

KEY_FILES = ("secret.key", "vapid_private.pem")
PREVIOUS_KEYS_FILE = "secret-previous.key"
_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$")
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def safe_relpath(name: str) -> tuple[str, ...]:
    """The parts of a relative member path made only of plain names.

    Raises:
        Tampered: an absolute path, ``..``, an empty or odd part.
    """
    parts = tuple(name.split("/"))
    if not parts or not all(_PART.match(p) and p not in (".", "..") for p in parts):
        raise Tampered(f"the archive holds a path clawweb would never write: {name!r}")
    return parts


def read_regular(dir_fd: int, name: str, max_bytes: int) -> bytes | None:
    """``name`` in ``dir_fd`` if it is a regular file of at most ``max_bytes``, else None."""
    seen = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISREG(seen.st_mode) or seen.st_size > max_bytes:
        return None
    fd = os.open(name, _READ, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as f:
        now = os.fstat(f.fileno())
        if (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino):
            return None  # swapped after the lstat
        data = f.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


def transcripts(root: Path, max_bytes: int) -> Iterator[tuple[str, bytes | None]]:
    """``(path relative to root, contents)`` of every transcript file under ``root``.

    Contents are None for what is skipped: links, devices, FIFOs, files over the
    cap, names the restore would refuse.
    """
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        return
    for dirpath, dirs, files, dir_fd in os.fwalk(root, follow_symlinks=False):
        rel = os.path.relpath(dirpath, root)
        dirs[:] = [d for d in dirs if _PART.match(d)]
        for name in sorted(files):
            path = name if rel == "." else f"{rel}/{name}"
            if name.startswith(".") or not _PART.match(name):
                yield path, None
                continue
            try:
                yield path, read_regular(dir_fd, name, max_bytes)
            except OSError:
                yield path, None


def write_new(root: Path, parts: tuple[str, ...], data: bytes) -> None:
    """Create ``root/parts...`` (mode 0600, directories 0700) without following links."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            try:
                os.mkdir(part, 0o700, dir_fd=fd)
            except FileExistsError:
                pass
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                          dir_fd=fd)
            os.close(fd)
            fd = nxt
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(parts[-1], flags, 0o600, dir_fd=fd), "wb") as f:
            f.write(data)
    finally:
        os.close(fd)


def read_key_file(data_dir: Path, name: str) -> bytes | None:
    """A key file of the data dir (regular, not a link), or None when absent."""
    try:
        fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        return read_regular(fd, name, 1024 * 1024)
    except FileNotFoundError:
        return None
    finally:
        os.close(fd)
