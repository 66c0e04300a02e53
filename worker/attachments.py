"""A task's attachments, copied into its working copy before the sandbox starts.

The files go to ``attachments/<name>`` (names were cleaned on upload,
``clawweb.services.tasks.attachments.clean_name``). The working copy holds
whatever the repository committed, so nothing in it is followed: the folder
is made (or opened) with ``O_NOFOLLOW`` relative to the working copy's own
descriptor, a committed ``attachments`` that is a link or a file is refused,
and each file is created with ``O_EXCL | O_NOFOLLOW`` (never written through
something already there). ``.git/info/exclude`` lists the files, so
clawweb's own commit leaves them out; the agent may still commit one
(``git add -f``), which is then its decision.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from sqlmodel import Session, select

from clawweb.models import Task, TaskAttachment
from clawweb.services.tasks import attachment_blobs
from clawweb.services.tasks.attachments import FOLDER, blob_path

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class AttachmentError(Exception):
    """An attachment could not be placed; ``key``/``params`` say why (a message key)."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key, self.params = key, params


def _rows(session: Session, task: Task) -> list[TaskAttachment]:
    return list(session.exec(select(TaskAttachment).where(
        TaskAttachment.task_id == task.id).order_by(TaskAttachment.id)))


def place(session: Session, task: Task, workdir: Path) -> list[str]:
    """Copy ``task``'s attachments into ``workdir/attachments`` (call before the sandbox).

    Returns:
        The working-copy-relative paths, e.g. ``["attachments/a.png"]`` ([] for none).

    Raises:
        AttachmentError: ``attachments.error.folder_taken`` (``attachments`` is
            a link or a file in the repository), ``attachments.error.name_taken``
            (the repository already has a file of that name there),
            ``attachments.error.missing`` (the upload's bytes are gone).
    """
    rows = _rows(session, task)
    if not rows:
        return []
    _exclude(Path(workdir), [r.name for r in rows])
    top = os.open(workdir, _DIR)
    try:
        folder = _folder(top)
    finally:
        os.close(top)
    try:
        for row in rows:
            _copy(row, folder)
    finally:
        os.close(folder)
    return [f"{FOLDER}/{r.name}" for r in rows]


def _folder(top: int) -> int:
    """The ``attachments`` folder under the working copy's descriptor, opened without links."""
    try:
        os.mkdir(FOLDER, 0o777, dir_fd=top)
    except FileExistsError:
        if not stat.S_ISDIR(os.stat(FOLDER, dir_fd=top, follow_symlinks=False).st_mode):
            raise AttachmentError("attachments.error.folder_taken", folder=FOLDER) from None
    fd = os.open(FOLDER, _DIR, dir_fd=top)
    os.fchmod(fd, 0o777)  # the container's uid 1000 may add its own files beside them
    return fd


def _copy(row: TaskAttachment, folder: int) -> None:
    try:
        src = open(blob_path(row.upload_id), "rb", opener=_no_follow)
    except FileNotFoundError:
        raise AttachmentError("attachments.error.missing", name=row.name) from None
    with src:
        try:
            fd = os.open(row.name, _NEW, 0o666, dir_fd=folder)
        except FileExistsError:
            raise AttachmentError("attachments.error.name_taken",
                                  path=f"{FOLDER}/{row.name}") from None
        with open(fd, "wb") as dst:
            os.fchmod(fd, 0o666)  # readable and writable for the container's user
            shutil.copyfileobj(src, dst, 1 << 20)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC)


def _exclude(workdir: Path, names: list[str]) -> None:
    # .git is clawweb's own at this point (neutralized by the checkout, no
    # container has run yet); names carry no glob marks (clean_name).
    info = workdir / ".git" / "info"
    if info.is_symlink():
        raise AttachmentError("attachments.error.folder_taken", folder=".git/info")
    info.mkdir(exist_ok=True)
    fd = os.open(info / "exclude", os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW,
                 0o644)
    with open(fd, "a", encoding="utf-8") as f:
        f.write("".join(f"/{FOLDER}/{n}\n" for n in names))


def prompt_with(prompt: str, paths: list[str]) -> str:
    """The prompt sent to Claude: the user's, then which files came with it."""
    if not paths:
        return prompt
    return f"{prompt}\n\nAttached files (in the working copy): {', '.join(paths)}"


def attachment_env(paths: list[str]) -> dict[str, str]:
    """A shell task's environment: ``CLAWWEB_ATTACHMENTS``, one path a line (none: unset)."""
    return {"CLAWWEB_ATTACHMENTS": "\n".join(paths)} if paths else {}


def discard_blobs(session: Session, task_id: int) -> None:
    """Delete the server's copies of an ended task's files (the rows stay, for the page).

    Only once the task is terminal: before that, a run retried before its
    command started needs them again.
    """
    attachment_blobs.remove(attachment_blobs.of_task(session, task_id))
