"""Files uploaded with a task's prompt: names, limits, storage, ownership.

An upload arrives as a stream of chunks (Reflex's streaming upload route,
python-multipart underneath). :class:`Upload` writes each chunk as it comes
to ``settings.attachments_dir / <upload id>`` (a random id, never the user's
name) and refuses the moment a limit is passed, so nothing beyond a limit is
ever kept. The rows start "pending" (no task) and belong to the uploader and
the project; :func:`attach` hands them to the task being submitted, in the
submit's own transaction, so a worker never sees a task without its files.
The worker copies them into the working copy (``worker/attachments.py``).
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from clawweb.models import ProjectRole, TaskAttachment, User, utcnow
from clawweb.services import access
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.settings import get_settings

FOLDER = "attachments"  # in the working copy
MAX_NAME_BYTES = 120
# Anything but letters, digits (any script) and a few plain marks becomes "_".
_UNSAFE = re.compile(r"[^\w.\- ()+]")
MB = 1024 * 1024
# An upload never submitted with a task is deleted after this (at the next upload).
PENDING_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    count: int
    file_bytes: int
    total_bytes: int

    @classmethod
    def from_settings(cls) -> "Limits":
        s = get_settings()
        return cls(s.attachment_max_count, s.attachment_max_file_mb * MB,
                   s.attachment_max_total_mb * MB)


def _shown(raw: str) -> str:
    """A refused name as it may be shown back: printable, short."""
    return "".join(c if c.isprintable() else "?" for c in raw)[:60]


def clean_name(raw: str) -> str:
    """The name a file gets in ``attachments/``, or a refusal.

    A name that is a path (``/``, ``\\``) or carries control characters (NUL
    included) is refused rather than guessed at; otherwise it is NFC-normalised,
    marks other than ``. - _ ( ) +`` and space become ``_``, leading dots go (no
    hidden files), and a long name keeps its extension within 120 bytes.

    Raises:
        InvalidInput: ``attachments.error.bad_name``.
    """
    name = unicodedata.normalize("NFC", raw or "")
    if "/" in name or "\\" in name or any(unicodedata.category(c)[0] == "C" for c in name):
        raise InvalidInput("attachments.error.bad_name", name=_shown(raw))
    name = _UNSAFE.sub("_", name).strip(" ").lstrip(".").rstrip(" .")
    if not name.strip("_"):
        raise InvalidInput("attachments.error.bad_name", name=_shown(raw))
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and stem and len(ext.encode()) <= 16 else ""
        room = MAX_NAME_BYTES - len(ext.encode()) - (1 if ext else 0)
        stem = (stem if ext else name).encode()[:room].decode(errors="ignore")
        name = f"{stem}.{ext}" if ext else stem
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2.ext`` … when a file of the same task already has it."""
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, dot + ext) if dot and stem else (name, "")
    n = 2
    while f"{stem}-{n}{ext}" in taken:
        n += 1
    return f"{stem}-{n}{ext}"


def blob_path(upload_id: str) -> Path:
    """Where an upload's bytes are kept (the id is ours: hex, never user input)."""
    if not re.fullmatch(r"[0-9a-f]{32}", upload_id):
        raise NotFound()
    return get_settings().attachments_dir / upload_id


def _pending(session: Session, user: User, project_id: int) -> list[TaskAttachment]:
    return list(session.exec(select(TaskAttachment).where(
        TaskAttachment.user_id == user.id, TaskAttachment.project_id == project_id,
        TaskAttachment.task_id.is_(None)).order_by(TaskAttachment.id)))


def pending(session: Session, user: User, project_id: int) -> list[dict]:
    """The caller's uploads waiting for a task in this project (editor or better)."""
    access.require_role(session=session, user=user, project_id=project_id,
                        at_least=ProjectRole.editor)
    return [view(a) for a in _pending(session, user, project_id)]


def view(a: TaskAttachment) -> dict:
    return {"id": a.upload_id, "name": a.name, "size": a.size, "path": f"{FOLDER}/{a.name}"}


def for_task(session: Session, task_id: int) -> list[dict]:
    """A task's attachments (the caller's right to see the task is checked by the caller)."""
    return [view(a) for a in session.exec(select(TaskAttachment).where(
        TaskAttachment.task_id == task_id).order_by(TaskAttachment.id))]


@dataclass
class _File:
    upload_id: str
    name: str
    fd: int
    size: int = 0


@dataclass
class Upload:
    """One upload request's files, written chunk by chunk within the limits.

    Made by :func:`start_upload`; feed it :meth:`write`, then :func:`finish_upload`
    (or :meth:`abort` on any error: what was written is deleted).
    """

    user_id: int
    project_id: int
    limits: Limits
    count: int  # files already pending, plus this upload's
    total: int  # bytes already pending, plus this upload's
    taken: set[str] = field(default_factory=set)
    files: list[_File] = field(default_factory=list)
    _current: str | None = None

    def write(self, filename: str, offset: int, data: bytes) -> None:
        """Append a chunk; a new filename (or offset 0) starts the next file.

        Raises:
            InvalidInput: too many files, a file or the whole too big, a bad name.
        """
        if filename != self._current or offset == 0 or not self.files:
            self._start(filename)
        f = self.files[-1]
        f.size += len(data)
        self.total += len(data)
        if f.size > self.limits.file_bytes:
            raise InvalidInput("attachments.error.file_too_big", name=f.name,
                               limit_mb=self.limits.file_bytes // MB)
        if self.total > self.limits.total_bytes:
            raise InvalidInput("attachments.error.total_too_big",
                               limit_mb=self.limits.total_bytes // MB)
        view_ = memoryview(data)
        while view_:
            view_ = view_[os.write(f.fd, view_):]

    def _start(self, filename: str) -> None:
        self._close_current()
        name = unique_name(clean_name(filename), self.taken)
        self.count += 1
        if self.count > self.limits.count:
            raise InvalidInput("attachments.error.too_many", limit=self.limits.count)
        folder = get_settings().attachments_dir
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        upload_id = secrets.token_hex(16)
        fd = os.open(folder / upload_id,
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        self.files.append(_File(upload_id, name, fd))
        self.taken.add(name)
        self._current = filename

    def _close_current(self) -> None:
        for f in self.files:
            if f.fd >= 0:
                os.close(f.fd)
                f.fd = -1

    def abort(self) -> None:
        """Close and delete everything this upload wrote."""
        self._close_current()
        for f in self.files:
            blob_path(f.upload_id).unlink(missing_ok=True)
        self.files = []


def start_upload(session: Session, user: User, project_id: int,
                 limits: Limits | None = None) -> Upload:
    """An upload for ``user`` into ``project_id`` (editor or better), counting what is pending.

    Raises:
        NotFound / PermissionDenied: from the project access check.
    """
    access.require_role(session=session, user=user, project_id=project_id,
                        at_least=ProjectRole.editor)
    _sweep_stale(session)
    waiting = _pending(session, user, project_id)
    return Upload(user_id=user.id, project_id=project_id,
                  limits=limits or Limits.from_settings(), count=len(waiting),
                  total=sum(a.size for a in waiting), taken={a.name for a in waiting})


def _sweep_stale(session: Session) -> None:
    """Delete anyone's uploads that waited longer than PENDING_MAX_AGE for a task."""
    stale = session.exec(select(TaskAttachment).where(
        TaskAttachment.task_id.is_(None),
        TaskAttachment.created_at < utcnow() - PENDING_MAX_AGE).limit(200)).all()
    for row in stale:
        blob_path(row.upload_id).unlink(missing_ok=True)
        session.delete(row)
    if stale:
        session.commit()


def finish_upload(session: Session, user: User, upload: Upload) -> list[dict]:
    """Record the upload's files as the caller's pending attachments (role checked again)."""
    upload._close_current()
    try:
        access.require_role(session=session, user=user, project_id=upload.project_id,
                            at_least=ProjectRole.editor)
    except Exception:
        upload.abort()
        raise
    rows = [TaskAttachment(upload_id=f.upload_id, project_id=upload.project_id,
                           user_id=user.id, name=f.name, size=f.size) for f in upload.files]
    session.add_all(rows)
    session.commit()
    return [view(r) for r in rows]


def remove_pending(session: Session, user: User, project_id: int, upload_id: str) -> None:
    """Delete one of the caller's pending uploads (attached ones stay with their task)."""
    row = session.exec(select(TaskAttachment).where(
        TaskAttachment.upload_id == upload_id, TaskAttachment.user_id == user.id,
        TaskAttachment.project_id == project_id, TaskAttachment.task_id.is_(None))).first()
    if row is None:
        raise NotFound()
    blob_path(row.upload_id).unlink(missing_ok=True)
    session.delete(row)
    session.commit()


def attach(session: Session, user: User, project_id: int, task_id: int,
           upload_ids: list[str]) -> None:
    """Hand the caller's pending uploads to a new task (no commit: the submit's own).

    Raises:
        InvalidInput: ``attachments.error.gone`` for an id that is not the
            caller's pending upload in this project (removed, used, or someone else's).
    """
    if not upload_ids:
        return
    mine = {a.upload_id: a for a in _pending(session, user, project_id)}
    for upload_id in dict.fromkeys(upload_ids):
        row = mine.get(upload_id)
        if row is None:
            raise InvalidInput("attachments.error.gone")
        row.task_id = task_id
        session.add(row)
