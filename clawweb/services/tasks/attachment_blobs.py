"""Deleting stored attachment bytes nothing can use any more, without following links.

The worker removes an ended task's copies with it (``worker/attachments.py``),
and so do the endings the worker never sees: a task the reaper ends (its worker is
gone), a task cancelled while queued, and a deleted project. Each name is
unlinked relative to the folder, opened with ``O_NOFOLLOW``: a link in the
folder is removed, never its target, and a linked folder is left alone.
"""

from __future__ import annotations

import logging
import os

from sqlmodel import Session, select

from clawweb.models import TaskAttachment
from clawweb.services.tasks.attachments import blob_path
from clawweb.settings import get_settings

log = logging.getLogger(__name__)


def of_task(session: Session, task_id: int) -> list[str]:
    return list(session.exec(select(TaskAttachment.upload_id).where(
        TaskAttachment.task_id == task_id)))


def of_project(session: Session, project_id: int) -> list[str]:
    return list(session.exec(select(TaskAttachment.upload_id).where(
        TaskAttachment.project_id == project_id)))


def remove(upload_ids: list[str]) -> None:
    """Unlink each upload's stored file (gone already: fine; errors logged, not raised)."""
    if not upload_ids:
        return
    try:
        folder = os.open(get_settings().attachments_dir,
                         os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        log.warning("attachments: folder not opened for clean-up: %s", exc)
        return
    try:
        for upload_id in upload_ids:
            try:
                os.unlink(blob_path(upload_id).name, dir_fd=folder)
            except FileNotFoundError:
                pass
            except Exception:  # noqa: BLE001 - one bad name must not keep the rest
                log.warning("attachments: %s not removed", upload_id, exc_info=True)
    finally:
        os.close(folder)
