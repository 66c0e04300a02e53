"""Claude Code's session transcript, kept by the worker between a task and its follow-ups.

The CLI's config dir (``~/.claude`` in the container) lives on the task's own
disk and goes with it: whatever the container planted there (links to the
host's secret key, ``/proc/self/environ``, FIFOs, devices) is never copied on.
After a run the worker keeps exactly one thing, the transcript the CLI needs to
resume (``projects/-workspace/<session id>.jsonl``), as a regular file it writes
itself under ``data/claude/task-<id>/``: read through directory fds with
``O_NOFOLLOW`` at every step, regular files only (checked with lstat, then
fstat after open), size-capped (``settings.claude_session_max_mb``). A
follow-up gets that file written into its own fresh config dir.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from pathlib import Path

from clawweb.i18n import stored
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

# Where the CLI keeps sessions for the cwd /workspace ("/" becomes "-").
PROJECT_DIR = ("projects", "-workspace")
RUNNER_UID = RUNNER_GID = 1000
_SESSION_ID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Refused(Exception):
    """The transcript is not something the worker will read; ``note`` says why."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.note = stored.note(key, **params)


def saved_dir(task_id: int) -> Path:
    """Where the worker keeps a task's transcript (not mounted into any container)."""
    return get_settings().data_dir.resolve() / "claude" / f"task-{task_id}"


def _max_bytes() -> int:
    return get_settings().claude_session_max_mb * 1024 * 1024


def prepare_config_dir(config_dir: Path) -> None:
    """Create the config dir and hand it (only it, nothing inside) to the container's user."""
    config_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(config_dir, _DIR_FLAGS)
    try:
        _give(fd, 0o700, 0o777)
    finally:
        os.close(fd)


def _give(fd: int, mode: int, fallback_mode: int) -> None:
    # fchown/fchmod act on what the fd is: never on a link's target.
    try:
        os.fchown(fd, RUNNER_UID, RUNNER_GID)
        os.fchmod(fd, mode)
    except PermissionError:  # a worker that is not root cannot chown
        os.fchmod(fd, fallback_mode)


def save(task_id: int, session_id: str, config_dir: Path) -> dict | None:
    """Keep the run's transcript for follow-ups.

    Returns:
        None when kept (or there was no session), else a stored message saying why not.
    """
    if not session_id or not _SESSION_ID.match(session_id):
        return None
    try:
        data = read_regular(config_dir, (*PROJECT_DIR, f"{session_id}.jsonl"), _max_bytes())
    except Refused as exc:
        log.warning("task %s: session transcript not kept: %s", task_id, exc)
        return stored.note("workspace.session_not_saved", detail=exc.note)
    if data is None:
        return None
    dest = saved_dir(task_id)
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest / f".{session_id}.jsonl.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, dest / f"{session_id}.jsonl")
    return None


def restore(parent_id: int, session_id: str, config_dir: Path) -> bool:
    """Write the parent's kept transcript into a follow-up's config dir; False if none."""
    if not session_id or not _SESSION_ID.match(session_id):
        return False
    name = f"{session_id}.jsonl"
    try:
        data = read_regular(saved_dir(parent_id), (name,), _max_bytes())
        if data is None:
            # Kept before this module existed: the whole folder the container
            # wrote, so read it as carefully as a live one.
            data = read_regular(saved_dir(parent_id), (*PROJECT_DIR, name), _max_bytes())
    except Refused as exc:
        log.warning("task %s: parent session transcript refused: %s", parent_id, exc)
        return False
    if data is None:
        return False
    try:
        write_regular(config_dir, (*PROJECT_DIR, name), data)
    except OSError:
        log.exception("task %s: could not hand the session to its follow-up", parent_id)
        return False
    return True


def read_regular(root: Path, parts: tuple[str, ...], max_bytes: int) -> bytes | None:
    """Read ``root/parts...`` without following any link; None if it does not exist.

    Raises:
        Refused: a link, device, FIFO or directory on the way, or more than ``max_bytes``.
    """
    try:
        fd = os.open(root, _DIR_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Refused("workspace.session_not_regular") from exc
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(lambda: os.close(fd))
            dir_fd = _walk_down(fd, parts[:-1], stack)
            return _read_file(dir_fd, parts[-1], max_bytes)
    except FileNotFoundError:
        return None
    except Refused:
        raise
    except OSError as exc:  # ELOOP (a link), ENOTDIR, EACCES (a device on nodev)
        raise Refused("workspace.session_not_regular") from exc


def _walk_down(fd: int, parts: tuple[str, ...], stack: contextlib.ExitStack) -> int:
    for part in parts:
        fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
        stack.callback(os.close, fd)
    return fd


def _read_file(dir_fd: int, name: str, max_bytes: int) -> bytes:
    seen = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISREG(seen.st_mode):
        raise Refused("workspace.session_not_regular")
    too_big = Refused("workspace.session_too_big", max_mb=max_bytes // (1024 * 1024))
    if seen.st_size > max_bytes:
        raise too_big
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    with os.fdopen(os.open(name, flags, dir_fd=dir_fd), "rb") as f:
        now = os.fstat(f.fileno())
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (seen.st_dev,
                                                                         seen.st_ino):
            raise Refused("workspace.session_not_regular")  # swapped after the lstat
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    return data


def write_regular(root: Path, parts: tuple[str, ...], data: bytes) -> None:
    """Write ``data`` at ``root/parts...`` as a new regular file the container's user owns.

    Directories on the way are created (or entered) without following links;
    whatever already sits at the file's name is replaced, never written through.
    """
    with contextlib.ExitStack() as stack:
        fd = os.open(root, _DIR_FLAGS)
        stack.callback(os.close, fd)
        for part in parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o700, dir_fd=fd)
            fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            stack.callback(os.close, fd)
            _give(fd, 0o700, 0o777)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(parts[-1], dir_fd=fd)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(parts[-1], flags, 0o600, dir_fd=fd), "wb") as f:
            f.write(data)
            _give(f.fileno(), 0o600, 0o666)
