"""Every way a task ends reaches the notification centre, not only a worker's finish."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb.models import Notification, ProjectRole, TaskStatus
from clawweb.services.tasks import service as tasks
from clawweb.services.notify import events
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user
from worker import recovery


@pytest.fixture
def world(session, fake_redis):
    owner, editor = make_user(session, "owner"), make_user(session, "ed")
    project = make_project(session, owner)
    add_member(session, project, editor, ProjectRole.editor)
    return owner, editor, project


def _notes(session, task_id):
    session.expire_all()
    return [(n.user_id, n.event) for n in session.exec(
        select(Notification).where(Notification.task_id == task_id))]


def test_a_task_the_reaper_ends_notifies_its_creator(session, world, fake_redis):
    owner, _, project = world
    task = make_task(session, project, owner, status=TaskStatus.running,
                     worker_name="ghost", command_started=True, attempt=1)
    assert recovery.recover(session, fake_redis, task, reaper="me") == "failed"
    assert _notes(session, task.id) == [(owner.id, events.TASK_FAILED)]


def test_a_queued_task_someone_else_cancels_notifies_its_creator(session, world):
    owner, editor, project = world
    task = make_task(session, project, owner, status=TaskStatus.queued)
    tasks.cancel_task(session=session, user=editor, task_id=task.id)
    assert _notes(session, task.id) == [(owner.id, events.TASK_CANCELLED)]


def test_cancelling_your_own_queued_task_is_not_news(session, world):
    owner, _, project = world
    task = make_task(session, project, owner, status=TaskStatus.queued)
    tasks.cancel_task(session=session, user=owner, task_id=task.id)
    session.expire_all()
    assert session.get(type(task), task.id).status == TaskStatus.cancelled
    assert _notes(session, task.id) == []
