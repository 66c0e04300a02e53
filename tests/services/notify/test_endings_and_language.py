"""The remaining endings reach the centre as their own events, and chat text speaks the
channel's language: a user's own channel the user's, a project channel its own."""

from __future__ import annotations

import json

import pytest
import responses
from sqlmodel import select

from clawweb.i18n import stored
from clawweb.models import Delivery, Notification, TaskStatus
from clawweb.services.notify import channels, events, hooks, sender
from tests.services.agent_fixtures import make_project, make_task, make_user


@pytest.fixture
def world(session, fake_redis, settings):
    alice = make_user(session, "alice")
    return alice, make_project(session, alice, "shop")


def _events(session, task_id):
    session.expire_all()
    return [n.event for n in session.exec(select(Notification).where(
        Notification.task_id == task_id))]


def test_a_task_that_timed_out_is_notified_as_such(session, world):
    alice, project = world
    task = make_task(session, project, alice, status=TaskStatus.timed_out)
    hooks.task_ended(task.id)
    assert _events(session, task.id) == [events.TASK_TIMED_OUT]


def test_a_budget_stop_is_notified_as_budget_reached(session, world):
    alice, project = world
    # What worker/agents/claude.py stores when the project budget stops a task.
    task = make_task(session, project, alice, status=TaskStatus.failed,
                     failure_reason=stored.encode("agents.budget_reached", budget="5.00"))
    hooks.task_ended(task.id)
    assert _events(session, task.id) == [events.BUDGET_REACHED]
    # Rows from before the key was stored hold the English text.
    old = make_task(session, project, alice, status=TaskStatus.failed,
                    failure_reason="Stopped: the task's cost reached the project budget of $5.00.")
    hooks.task_ended(old.id)
    assert _events(session, old.id) == [events.BUDGET_REACHED]
    other = make_task(session, project, alice, status=TaskStatus.failed,
                      failure_reason="exited with code 1")
    hooks.task_ended(other.id)
    assert _events(session, other.id) == [events.TASK_FAILED]


def _sent_text(session, channel) -> str:
    row = session.exec(select(Delivery).where(
        Delivery.channel_key == channels.key_of(channel.id))).one()
    with responses.RequestsMock() as rsps:
        rsps.post("https://hooks.example.com/" + channel.name, json={})
        assert sender.run(row.id) == "sent"
        body = json.loads(rsps.calls[0].request.body)
    return body["title"]


def test_chat_text_is_in_the_channels_language(session, world):
    alice, project = world
    alice.language = "zh"
    session.add(alice)
    session.commit()
    mine = channels.add(session=session, user=alice, kind="webhook", name="mine",
                        values={"url": "https://hooks.example.com/mine"})
    team = channels.add(session=session, user=alice, kind="webhook", name="team",
                        project_id=project.id, language="en",
                        values={"url": "https://hooks.example.com/team"})
    task = make_task(session, project, alice, status=TaskStatus.failed)
    hooks.task_ended(task.id)
    assert _sent_text(session, mine) == f"任务 #{task.id} 失败"
    assert _sent_text(session, team) == f"Task #{task.id} failed"
