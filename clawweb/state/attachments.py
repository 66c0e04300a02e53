"""The submit form's "Attach files" (pending uploads) and a task page's attachment list.

The upload handler is a streaming one (``rx.upload_files_chunk``): Reflex
parses the multipart body with python-multipart and hands chunks over as they
arrive, so a file over a limit is refused at the chunk that passes it
(``services.tasks.attachments.Upload``) and the rest of the request is never read.
"""

from __future__ import annotations

import asyncio
import functools
import logging

import reflex as rx

from clawweb.db import session_scope
from clawweb.models import ProjectRole
from clawweb.services import access
from clawweb.services.errors import PermissionDenied, ServiceError
from clawweb.services.tasks import attachments as att, service as task_service
from clawweb.state.access import signed_in, streaming
from clawweb.state.base import AppState, route_id
from clawweb.state.live_access import Caller

log = logging.getLogger(__name__)

UPLOAD_ID = "task-attachments"


def _project_of(session, user, project_id: int, task_id: int) -> int:
    """The project page's project, or on a task page (follow-up box) the task's."""
    if task_id:
        return task_service.get_task(session=session, user=user, task_id=task_id).project_id
    return project_id


def _editor(project_id: int, task_id: int, session, user) -> int:
    """May the caller submit to the box's project; the project id (``Caller.scope``)."""
    project_id = _project_of(session, user, project_id, task_id)
    if not project_id:
        raise PermissionDenied()
    access.require_role(session=session, user=user, project_id=project_id,
                        at_least=ProjectRole.editor)
    return project_id


def size_label(state: AppState, size: int) -> str:
    """1 023 bytes, 12.5 KB, 3.2 MB: the reader's words for a file size."""
    if size < 1024:
        return state.tr("attachments.size_bytes", count=size)
    if size < att.MB:
        return state.tr("attachments.size_kb", size=f"{size / 1024:.1f}")
    return state.tr("attachments.size_mb", size=f"{size / att.MB:.1f}")


def _start(user, project_id: int) -> att.Upload:
    with session_scope() as s:
        return att.start_upload(s, user, project_id)


def _finish(user, upload: att.Upload) -> list[dict]:
    with session_scope() as s:
        att.finish_upload(s, user, upload)
        return att.pending(s, user, upload.project_id)


class AttachmentsState(AppState):
    files: list[dict] = []  # {id, name, size, label}
    attach_error: str = ""
    uploading: bool = False
    limits_hint: str = ""

    @rx.var
    def attachment_ids(self) -> str:
        """The pending uploads the form hands to the submit (the service checks them)."""
        return ",".join(f["id"] for f in self.files)

    def _show(self, rows: list[dict]) -> None:
        self.files = [{**r, "label": size_label(self, r["size"])} for r in rows]

    def _box_project(self, session, user) -> int:
        """The project the box submits to: the route's, or the task's on a task page."""
        return _project_of(session, user, route_id(self, "project_id"),
                           route_id(self, "task_id"))

    @rx.event
    @signed_in
    def load_pending(self):
        """The caller's uploads still waiting for a task (project page or follow-up box)."""
        user = self.require_user()
        self.attach_error, self.uploading, self.files = "", False, []
        limits = att.Limits.from_settings()
        self.limits_hint = self.tr("attachments.hint", count=limits.count,
                                   file_mb=limits.file_bytes // att.MB,
                                   total_mb=limits.total_bytes // att.MB)
        with session_scope() as s:
            try:
                project_id = self._box_project(s, user)
                if project_id:
                    self._show(att.pending(s, user, project_id))
            except ServiceError:
                self.files = []  # a viewer: no form, nothing pending

    @rx.event
    @signed_in
    def remove_attachment(self, upload_id: str):
        user = self.require_user()
        with session_scope() as s:
            project_id = self._box_project(s, user)
            att.remove_pending(s, user, project_id, str(upload_id)[:40])
            self._show(att.pending(s, user, project_id))
        self.attach_error = ""

    @rx.event(background=True)
    @streaming
    async def upload(self, files: rx.UploadChunkIterator):
        """Store the chosen files as they stream in; refuse at the first limit passed."""
        async with self:
            caller = Caller.of(self, functools.partial(
                _editor, route_id(self, "project_id"), route_id(self, "task_id")))
            self.attach_error, self.uploading = "", True
        upload = None
        try:
            if not await caller.allowed():
                raise PermissionDenied()
            project_id = caller.scope
            upload = await asyncio.to_thread(_start, caller.user, project_id)
            async for chunk in files:
                upload.write(chunk.filename, chunk.offset, chunk.data)
            rows = await asyncio.to_thread(_finish, caller.user, upload)
        except (ServiceError, OSError) as exc:
            if upload is not None:
                upload.abort()
            log.warning("attachment upload refused: %s", getattr(exc, "key", exc))
            message = self.tr(exc.key, **exc.params) if isinstance(exc, ServiceError) \
                else self.tr("attachments.error.store_failed")  # e.g. the data disk is full
            async with self:
                self.attach_error, self.uploading = message, False
            return
        except BaseException:
            if upload is not None:
                upload.abort()  # a dropped request keeps nothing
            raise
        async with self:
            self._show(rows)
            self.uploading = False


class TaskAttachmentsState(AppState):
    """The task page's list of the files that came with the task."""

    task_files: list[dict] = []

    @rx.event
    @signed_in
    def load_task_attachments(self):
        user, task_id = self.require_user(), route_id(self, "task_id")
        self.task_files = []
        if not task_id:
            return
        with session_scope() as s:
            task_service.get_task(session=s, user=user, task_id=task_id)  # may they see it
            rows = att.for_task(s, task_id)
        self.task_files = [{**r, "label": size_label(self, r["size"])} for r in rows]
