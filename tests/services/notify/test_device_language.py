"""Notifications speak the language the person's pages speak.

A user who leaves the language on "follow the browser" reads Chinese pages on
a Chinese phone; their pushes and own chat channels must be Chinese too, from
the language that device's browser asked for when it signed in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from clawweb.models import AuthSession, Delivery, Notification, TaskStatus, utcnow
from clawweb.services.accounts import auth_sessions
from clawweb.services.notify import channels, delivery, hooks, sender
from tests.services.agent_fixtures import make_project, make_task, make_user


@pytest.fixture
def world(session, fake_redis, settings):
    alice = make_user(session, "alice")
    project = make_project(session, alice, "shop")
    task = make_task(session, project, alice, status=TaskStatus.failed, title="deploy")
    session.commit()
    return alice, task


def _push_title(session, alice, task) -> str:
    hooks.task_ended(task.id)
    note = session.exec(select(Notification)).one()
    row = Delivery(channel_key=delivery.push_key(alice.id), event="task.failed",
                   event_key="x", params=dict(note.params), link=note.link)
    return sender._push_payload(session, [row], alice)["title"]


def test_a_push_speaks_the_language_of_the_users_latest_device(session, world):
    alice, task = world
    auth_sessions.open_session(session=session, user=alice, ip="", user_agent="", language="en")
    auth_sessions.open_session(session=session, user=alice, ip="", user_agent="", language="zh")
    session.commit()
    assert _push_title(session, alice, task) == f"任务 #{task.id} 失败"


def test_a_chosen_language_wins_over_the_devices(session, world):
    alice, task = world
    auth_sessions.open_session(session=session, user=alice, ip="", user_agent="", language="zh")
    alice.language = "en"
    session.commit()
    assert _push_title(session, alice, task) == f"Task #{task.id} failed"


def test_a_signed_out_or_expired_device_does_not_choose(session, world):
    alice, task = world
    auth_sessions.open_session(session=session, user=alice, ip="", user_agent="", language="zh")
    for row in session.exec(select(AuthSession)).all():
        row.revoked_at = utcnow()
    old = AuthSession(user_id=alice.id, token_hash="f" * 64, language="zh",
                      expires_at=utcnow() - timedelta(days=1))
    session.add(old)
    session.commit()
    assert auth_sessions.device_language(session=session, user=alice) == ""
    assert _push_title(session, alice, task) == f"Task #{task.id} failed"


def test_a_new_own_channel_speaks_the_devices_language(session, world):
    alice, _task = world
    auth_sessions.open_session(session=session, user=alice, ip="", user_agent="", language="zh")
    session.commit()
    row = channels.add(session=session, user=alice, kind="webhook",
                       values={"url": "https://hooks.example.com/mine"})
    assert row.language == "zh"
