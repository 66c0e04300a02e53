"""Attach files through the real handlers: streamed in, handed to the submit, shown on the task."""

from __future__ import annotations

import asyncio
import uuid

import reflex  # noqa: F401 - a missing Reflex must fail these tests, never skip them
from sqlmodel import Session, select

from clawweb.models import ProjectMember, ProjectRole, Task, TaskAttachment
from tests.state.test_agent_ui_state import _state, world  # noqa: F401
from tests.support.reflex_state import BackgroundProxy


async def _chunks(files: dict[str, bytes]):
    from reflex_components_core.core._upload import UploadChunk

    for name, data in files.items():
        yield UploadChunk(filename=name, offset=0, content_type="text/plain", data=data)


def _upload(state, files: dict[str, bytes]) -> None:
    from clawweb.state.attachments import AttachmentsState

    fn = AttachmentsState.event_handlers["upload"].fn
    asyncio.run(fn(BackgroundProxy(state), _chunks(files)))


def test_uploaded_files_go_with_the_task_and_show_on_its_page(world, engine):
    from clawweb.state.attachments import AttachmentsState, TaskAttachmentsState
    from clawweb.state.task_list import TasksState

    token, _user_id, project_id = world
    _, att_state = _state(AttachmentsState, token, f"/projects/{project_id}")
    _upload(att_state, {"note.txt": b"hello"})
    assert att_state.attach_error == ""
    assert [(f["name"], f["label"]) for f in att_state.files] == [("note.txt", "5 bytes")]
    _, tasks_state = _state(TasksState, token, f"/projects/{project_id}")
    tasks_state.list_project = project_id
    asyncio.run(TasksState.event_handlers["submit_task"].fn(tasks_state, {
        "command": "cat attachments/note.txt", "idempotency_key": uuid.uuid4().hex,
        "attachment_ids": att_state.attachment_ids}))
    assert tasks_state.submit_error == ""
    with Session(engine) as s:
        task = s.exec(select(Task)).one()
    _, page = _state(TaskAttachmentsState, token, f"/tasks/{task.id}")
    TaskAttachmentsState.event_handlers["load_task_attachments"].fn(page)
    assert [(f["path"], f["size"]) for f in page.task_files] == [("attachments/note.txt", 5)]


def test_a_viewer_is_refused_and_nothing_is_stored(world, engine, settings):
    from clawweb.state.attachments import AttachmentsState

    token, user_id, project_id = world
    with Session(engine) as s:
        member = s.exec(select(ProjectMember).where(ProjectMember.user_id == user_id)).one()
        member.role = ProjectRole.viewer
        s.add(member)
        s.commit()
    _, state = _state(AttachmentsState, token, f"/projects/{project_id}")
    _upload(state, {"note.txt": b"hello"})
    assert state.attach_error and state.files == []
    with Session(engine) as s:
        assert s.exec(select(TaskAttachment)).all() == []
    folder = settings.attachments_dir
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_disk_that_fills_up_says_so_and_keeps_nothing(world, engine, settings, monkeypatch):
    import errno
    import os

    from clawweb.state.attachments import AttachmentsState

    token, _user_id, project_id = world

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    _, state = _state(AttachmentsState, token, f"/projects/{project_id}")
    _upload(state, {"note.txt": b"hello"})
    assert "could not be stored" in state.attach_error and not state.uploading
    assert list(settings.attachments_dir.iterdir()) == []


def test_files_picked_in_the_follow_up_box_go_with_the_follow_up(world, engine):
    """On a Claude task's page the upload is for the task's project and lands on the next turn."""
    from clawweb.models import TaskStatus, User, utcnow
    from clawweb.services.agents import credentials
    from clawweb.state.attachments import AttachmentsState, TaskAttachmentsState
    from clawweb.state.task_page import TaskPageState

    token, user_id, project_id = world
    with Session(engine) as s:
        credentials.set_user_credential(session=s, user=s.get(User, user_id), kind="api_key",
                                        secret="sk-ant-api03-unit-" + "z" * 30)
        parent = Task(project_id=project_id, created_by=user_id, kind="claude",
                      command="fix it", status=TaskStatus.succeeded, exit_code=0,
                      finished_at=utcnow(), agent_session_id="sess-1",
                      idempotency_key=uuid.uuid4().hex)
        s.add(parent)
        s.commit()
        parent_id = parent.id
    _, att_state = _state(AttachmentsState, token, f"/tasks/{parent_id}")
    AttachmentsState.event_handlers["load_pending"].fn(att_state)
    _upload(att_state, {"bug.png": b"\x89PNG shot"})
    assert att_state.attach_error == ""
    assert [f["name"] for f in att_state.files] == ["bug.png"]
    _, page = _state(TaskPageState, token, f"/tasks/{parent_id}")
    page._task_id = parent_id
    TaskPageState.event_handlers["follow_up"].fn(page, {
        "prompt": "Fix the bug in the screenshot", "idempotency_key": uuid.uuid4().hex,
        "attachment_ids": att_state.attachment_ids})
    with Session(engine) as s:
        new = s.exec(select(Task).where(Task.parent_id == parent_id)).one()
    _, shown = _state(TaskAttachmentsState, token, f"/tasks/{new.id}")
    TaskAttachmentsState.event_handlers["load_task_attachments"].fn(shown)
    assert [f["path"] for f in shown.task_files] == ["attachments/bug.png"]
