"""No attachment bytes stay on the host once nothing can use them: a task the
reaper ends (its worker gone, so the worker's own clean-up never runs), one
cancelled in the queue and a deleted project take their stored files with them;
links are never followed."""

from __future__ import annotations

import os

import pytest

from clawweb.models import Project
from clawweb.models import ProjectMember, ProjectRole, TaskStatus, User
from clawweb.services import fleet
from clawweb.services.projects.deletion import delete_project
from clawweb.services.tasks import attachments as att, service as tasks
from clawweb.settings import get_settings


@pytest.fixture
def world(session, fake_redis):
    owner = User(username="own")
    project = Project(name="P", slug="p")
    session.add_all([owner, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role=ProjectRole.owner))
    session.commit()
    return owner, project


def _blobs() -> list[str]:
    folder = get_settings().attachments_dir
    return sorted(os.listdir(folder)) if folder.exists() else []


def _task_with_file(session, owner, project, key="k1"):
    up = att.start_upload(session, owner, project.id)
    up.write("a.txt", 0, b"hello")
    [row] = att.finish_upload(session, owner, up)
    task = tasks.submit_task(session=session, user=owner, project_id=project.id,
                             command="cat attachments/a.txt", idempotency_key=key,
                             attachment_ids=[row["id"]])
    return task, row["id"]


def _lost(session, task, *, started: bool, attempt: int):
    task.status, task.worker_name = TaskStatus.running, "ghost"
    task.command_started, task.attempt = started, attempt
    session.add(task)
    session.commit()


def test_a_task_the_reaper_gives_up_on_takes_its_files(session, fake_redis, world):
    owner, project = world
    task, upload_id = _task_with_file(session, owner, project)
    _lost(session, task, started=False, attempt=fleet.MAX_ATTEMPTS)
    assert _blobs() == [upload_id]
    assert fleet.recover(session, fake_redis, task, reaper="me") == "failed"
    assert _blobs() == []
    assert [a["name"] for a in att.for_task(session, task.id)] == ["a.txt"]  # rows stay


def test_a_task_the_reaper_retries_keeps_its_files(session, fake_redis, world):
    owner, project = world
    task, upload_id = _task_with_file(session, owner, project)
    _lost(session, task, started=False, attempt=1)
    assert fleet.recover(session, fake_redis, task, reaper="me") == "queued"
    assert _blobs() == [upload_id]  # the retry copies them again


def test_deleting_a_project_deletes_its_stored_files(session, world):
    owner, project = world
    task, _ = _task_with_file(session, owner, project)
    task.status = TaskStatus.succeeded
    session.add(task)
    session.commit()
    up = att.start_upload(session, owner, project.id)  # one still waiting for a task
    up.write("b.txt", 0, b"x")
    att.finish_upload(session, owner, up)
    assert len(_blobs()) == 2
    delete_project(session=session, user=owner, project_id=project.id, confirm_name="P")
    assert _blobs() == []


def test_clean_up_never_follows_a_link(session, fake_redis, world, tmp_path):
    owner, project = world
    task, upload_id = _task_with_file(session, owner, project)
    folder = get_settings().attachments_dir
    outside = tmp_path / "precious"
    outside.write_text("keep")
    (folder / upload_id).unlink()
    (folder / upload_id).symlink_to(outside)
    _lost(session, task, started=True, attempt=1)
    assert fleet.recover(session, fake_redis, task, reaper="me") == "failed"
    assert outside.read_text() == "keep"
    assert not os.path.lexists(folder / upload_id)  # the link itself is gone


def test_a_task_cancelled_in_the_queue_takes_its_files(session, fake_redis, world):
    owner, project = world
    task, upload_id = _task_with_file(session, owner, project)
    assert _blobs() == [upload_id]
    assert tasks.cancel_task(session=session, user=owner, task_id=task.id).status \
        == TaskStatus.cancelled
    assert _blobs() == []  # no worker ever sees this task, so none would remove them
