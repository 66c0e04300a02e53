"""Failures of unattended work reach whoever set it up: schedules and webhooks."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clawweb import routes
from clawweb.models import Notification, TaskStatus
from clawweb.services import automation_notify
from clawweb.services.notify import events, hooks, text
from tests.services.agent_fixtures import make_project, make_task, make_user


@pytest.fixture
def world(session, fake_redis):
    owner, stranger = make_user(session, "owner"), make_user(session, "stranger")
    return owner, stranger, make_project(session, owner, name="shop")


def _notes(session):
    session.expire_all()
    return session.exec(select(Notification).order_by(Notification.id)).all()


def _schedule_failed(session, user, project, occurrence, task_id=None):
    return automation_notify.failed(
        session=session, user_id=user.id, project_id=project.id, source="schedule",
        object_id=7, reason="schedules.task_failed", occurrence=occurrence,
        params={"status": "failed", "attempts": 3, "name": "nightly\x1b[31m build"},
        link=routes.project_schedules(project.id), task_id=task_id)


def test_a_schedule_that_failed_its_last_attempt_notifies_its_owner(session, world):
    owner, _, project = world
    _schedule_failed(session, owner, project, occurrence=11)
    (note,) = _notes(session)
    assert (note.user_id, note.event, note.link) == (
        owner.id, events.SCHEDULE_FAILED, f"/projects/{project.id}/schedules")
    message = text.render(note.event, note.params, "en", note.link)
    assert message.title.startswith("Schedule failed: nightly") and "\x1b" not in message.title
    assert "失败" in text.render(note.event, note.params, "zh", note.link).title


def test_each_failed_run_is_its_own_notice_and_a_repeat_is_not(session, world):
    owner, _, project = world
    _schedule_failed(session, owner, project, occurrence=11)
    _schedule_failed(session, owner, project, occurrence=11)
    _schedule_failed(session, owner, project, occurrence=12)
    assert len(_notes(session)) == 2


def test_a_failed_webhook_delivery_notifies_the_hooks_owner(session, world):
    owner, _, project = world
    automation_notify.failed(session=session, user_id=owner.id, project_id=project.id,
                             source="webhook", object_id=3, reason="errors.forbidden",
                             occurrence=99, params={"kind": "push"},
                             link=routes.project_settings(project.id))
    (note,) = _notes(session)
    assert (note.event, note.link) == (events.WEBHOOK_FAILED,
                                      routes.project_settings(project.id))


def test_someone_who_lost_the_project_hears_nothing(session, world):
    _, stranger, project = world
    _schedule_failed(session, stranger, project, occurrence=5)
    assert _notes(session) == []


def test_a_scheduled_tasks_own_failure_waits_for_the_schedules_verdict(session, world):
    # Its retries may still succeed; the schedule notifies after the last one.
    owner, _, project = world
    task = make_task(session, project, owner, status=TaskStatus.failed, trigger="schedule")
    hooks.task_ended(task.id)
    assert _notes(session) == []
    by_hand = make_task(session, project, owner, status=TaskStatus.failed)
    hooks.task_ended(by_hand.id)
    assert [n.event for n in _notes(session)] == [events.TASK_FAILED]


def test_every_event_has_a_name_for_the_settings_page():
    from clawweb.i18n import messages
    from clawweb.services.notify import views
    for key in events.ORDER:
        for lang in ("en", "zh"):
            assert views.event_label(key, lang) != "notify.name." + key.replace(".", "_")
    assert "notify.name.schedule_failed" in messages()
