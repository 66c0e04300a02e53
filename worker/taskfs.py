"""A task's own filesystem on the host: a size-limited ext4 image, loop-mounted.

Why a loop-mounted image: the limit is enforced by the kernel outside the
container, on any host filesystem, without touching the host's disk setup
(project quotas need XFS or ext4 with ``prjquota``; a ``tmpfs`` with ``size=``
is charged to RAM and the container's memory cgroup; ``docker --storage-opt``
needs overlay2 on XFS with ``pquota``). A sparse image costs only what is
written; mkfs of a fresh one takes milliseconds.

Layout under ``base`` (``settings.workspaces_dir``)::

    task-<id>.img   the sparse image, and this task's lock (see below)
    task-<id>/      its mount point (nosuid, nodev); subdirectories for the
                    working copy and the Claude config dir, each mounted into
                    the container on its own

The image file doubles as the task's host-local lock: whoever holds an
exclusive ``flock`` on it owns the task's files. The running attempt holds it
from :func:`create` to :meth:`TaskFs.destroy`; orphan cleanup only removes
what it can lock, so it never unmounts or deletes a live task's files, and a
killed worker's lock dies with its process. With ``size_mb=0`` (explicitly
unbounded, weak) the mount point is a plain directory and the image stays empty.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from clawweb.services.errors import ServiceError

log = logging.getLogger(__name__)

MKFS = ["mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1"]
MOUNT_OPTIONS = "loop,nosuid,nodev,noatime"
# Below this much free space (or with no free inode) the disk counts as full.
FULL_BELOW_BYTES = 1024 * 1024
LOCK_WAIT_SECONDS = 120.0
_ENTRY = re.compile(r"^task-(\d+)(\.img)?$")


class TaskFsError(ServiceError):
    """The task's filesystem could not be set up or taken down; ``key`` says why."""


@dataclass
class TaskFs:
    """One task's mounted (or, when unbounded, plain) filesystem, locked by this process."""

    root: Path
    image: Path
    size_mb: int
    _lock_fd: int | None = field(default=None, repr=False)

    def is_full(self) -> bool:
        """Whether the task used up its disk (always False when unbounded)."""
        if not self.size_mb or not is_mounted(self.root):
            return False
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize < FULL_BELOW_BYTES or st.f_favail == 0

    def destroy(self) -> None:
        """Unmount, delete everything and release the lock. Safe to call twice.

        Raises:
            TaskFsError: ``workspace.unmount_failed``; nothing was deleted then.
        """
        if self._lock_fd is None:
            return
        try:
            _teardown(self.root, self.image)
        finally:
            os.close(self._lock_fd)
            self._lock_fd = None


def paths(base: Path, task_id: int) -> tuple[Path, Path]:
    """(mount point, image) of a task under ``base``."""
    return base / f"task-{task_id}", base / f"task-{task_id}.img"


def create(base: Path, task_id: int, size_mb: int, subdirs: tuple[str, ...]) -> TaskFs:
    """A fresh filesystem of ``size_mb`` MB for ``task_id``, leftovers of earlier runs removed.

    Raises:
        TaskFsError: ``workspace.disk_needs_root`` (a limit but no root),
            ``workspace.disk_busy`` (another process holds the task's files),
            ``workspace.disk_failed`` (mkfs or mount failed).
    """
    if size_mb and os.geteuid() != 0:
        raise TaskFsError("workspace.disk_needs_root")
    base.mkdir(parents=True, exist_ok=True)
    root, image = paths(base, task_id)
    fd = _lock(image, wait=LOCK_WAIT_SECONDS)
    if fd is None:
        raise TaskFsError("workspace.disk_busy")
    fs = TaskFs(root, image, size_mb, fd)
    try:
        _teardown(root, None)  # an earlier attempt's mount or directory
        os.ftruncate(fd, 0)
        if size_mb:
            os.ftruncate(fd, size_mb * 1024 * 1024)  # sparse: costs what is written
            _run([*MKFS, str(image)])
            root.mkdir(mode=0o755)
            _run(["mount", "-t", "ext4", "-o", MOUNT_OPTIONS, str(image), str(root)])
        else:
            root.mkdir(mode=0o755)
        for name in subdirs:
            (root / name).mkdir(mode=0o755)
    except BaseException:
        try:
            fs.destroy()
        except TaskFsError:
            log.exception("task %s: could not clean up a failed disk setup", task_id)
        raise
    return fs


def _run(argv: list[str]) -> None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TaskFsError("workspace.disk_failed", detail=f"{argv[0]}: {exc}") from exc
    if proc.returncode != 0:
        detail = f"{argv[0]}: {(proc.stderr or proc.stdout).strip()[:300]}"
        raise TaskFsError("workspace.disk_failed", detail=detail)


def _lock(image: Path, *, wait: float) -> int | None:
    """An fd holding an exclusive flock on ``image`` (created if missing), or None.

    The holder before us may have deleted the file: only a lock on the file the
    name still points to counts, so check and try again.
    """
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(image, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.1)
            continue
        try:
            now = os.stat(image, follow_symlinks=False)
        except FileNotFoundError:
            now = None
        mine = os.fstat(fd)
        if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            return fd
        os.close(fd)


def _teardown(root: Path, image: Path | None) -> None:
    """Unmount ``root`` (lazily if busy), then delete it and ``image``. Caller holds the lock."""
    for _ in range(8):  # stacked mounts of crashed attempts come off one by one
        if not is_mounted(root):
            break
        if subprocess.run(["umount", str(root)], capture_output=True).returncode != 0:
            # Busy (a process still has a file open there): detach it now; the
            # kernel frees it, and the loop device, when the last user lets go.
            subprocess.run(["umount", "-l", str(root)], capture_output=True)
    # Never delete through a mounted filesystem.
    if mounts_under(root):
        raise TaskFsError("workspace.unmount_failed", detail=str(root))
    if root.is_symlink():
        root.unlink()
    elif root.exists():
        shutil.rmtree(root)
    if image is not None:
        image.unlink(missing_ok=True)


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        for line in f:
            fields = line.split(" ")
            if len(fields) > 4:
                # Spaces, tabs, newlines and backslashes are octal-escaped.
                points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)),
                                     fields[4]))
    return points


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` (absolute), from /proc/self/mountinfo."""
    top = str(Path(path).absolute())
    return [p for p in _mount_points() if p == top or p.startswith(top.rstrip("/") + "/")]


def is_mounted(path: Path) -> bool:
    return str(Path(path).absolute()) in _mount_points()


def remove_orphans(base: Path, keep: set[int]) -> list[Path]:
    """Remove the filesystems of tasks not in ``keep`` that no live process holds.

    Returns:
        The mount points removed.
    """
    if not base.is_dir():
        return []
    ids = {int(m.group(1)) for e in base.iterdir() if (m := _ENTRY.match(e.name))}
    removed = []
    for task_id in sorted(ids - set(keep)):
        root, image = paths(base, task_id)
        fd = _lock(image, wait=0)
        if fd is None:
            continue  # a live attempt on this host holds it
        try:
            _teardown(root, image)
            removed.append(root)
        except TaskFsError:
            log.exception("task %s: could not remove its leftover disk", task_id)
        finally:
            os.close(fd)
    return removed
