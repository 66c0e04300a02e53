"""Planning deliveries: which channels get a row, once; what goes to RQ and when."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from rq.registry import ScheduledJobRegistry
from sqlmodel import select

from clawweb.models import Delivery, ProjectRole, TaskStatus, utcnow
from clawweb.services.notify import channels, delivery, events, hooks, prefs, push
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user
from tests.support.push_service import b64url


@pytest.fixture
def world(session, fake_redis, settings):
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    project = make_project(session, alice, "shop")
    add_member(session, project, bob, ProjectRole.editor)
    team = channels.add(session=session, user=alice, kind="webhook", project_id=project.id,
                        values={"url": "https://team.example.com/hook"})
    mine = channels.add(session=session, user=alice, kind="webhook",
                        values={"url": "https://alice.example.com/hook"})
    return alice, bob, project, team, mine


def _subscription() -> dict:
    """A browser's subscription; nothing is sent in these tests."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(serialization.Encoding.X962,
                             serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": f"https://push.example.com/{os.urandom(4).hex()}",
            "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}}


def _keys(session):
    session.expire_all()
    return sorted((d.channel_key, d.event, d.status) for d in session.exec(select(Delivery)))


def test_rows_follow_preferences_and_devices(session, world):
    alice, bob, project, team, mine = world
    push.subscribe(session=session, user=bob, info=_subscription())
    task = make_task(session, project, alice, status=TaskStatus.succeeded)
    hooks.task_ended(task.id)
    # Success: not a default for push or channels, and alice has no device anyway.
    assert _keys(session) == []
    prefs.set_events(session=session, user=alice, project_id=project.id,
                     channel=prefs.channel_ref(mine.id), chosen=[events.TASK_FAILED])
    failed = make_task(session, project, alice, status=TaskStatus.failed)
    hooks.task_ended(failed.id)
    assert _keys(session) == [(channels.key_of(team.id), events.TASK_FAILED, "queued"),
                              (channels.key_of(mine.id), events.TASK_FAILED, "queued")]


def test_the_team_channel_hears_an_approval_once_and_push_reaches_each_approver(
        session, world, fake_redis):
    from clawweb.services import approvals

    alice, bob, project, team, mine = world
    channels.set_team_events(session=session, user=alice, channel_id=team.id,
                             chosen=[events.APPROVAL_REQUESTED])
    for user in (alice, bob):
        push.subscribe(session=session, user=user, info=_subscription())
    task = make_task(session, project, alice, status=TaskStatus.awaiting_approval)
    approvals.create_request(session=session, task=task, tool_use_id="t", tool_name="Bash",
                             tool_input={"command": "ls"}, timeout_seconds=60)
    assert _keys(session) == sorted([
        (channels.key_of(team.id), events.APPROVAL_REQUESTED, "queued"),
        (channels.key_of(mine.id), events.APPROVAL_REQUESTED, "queued"),
        (delivery.push_key(alice.id), events.APPROVAL_REQUESTED, "queued"),
        (delivery.push_key(bob.id), events.APPROVAL_REQUESTED, "queued")])
    # Approvals go out at once; nothing waits in the scheduled registry.
    assert delivery.rq_queue(fake_redis).count == 4
    assert ScheduledJobRegistry("clawweb-notify", connection=fake_redis).count == 0


def test_other_events_wait_for_the_group_window(session, world, fake_redis):
    alice, _, project, _, _ = world
    hooks.task_ended(make_task(session, project, alice, status=TaskStatus.failed).id)
    registry = ScheduledJobRegistry("clawweb-notify", connection=fake_redis)
    assert registry.count == 2 and delivery.rq_queue(fake_redis).count == 0


def test_the_sweep_picks_up_rows_whose_job_was_lost(session, world, fake_redis):
    alice, _, project, _, _ = world
    hooks.task_ended(make_task(session, project, alice, status=TaskStatus.failed).id)
    fake_redis.flushall()  # the jobs are gone
    assert delivery.sweep(session=session, redis=fake_redis) == 0  # too young to call lost
    for row in session.exec(select(Delivery)):
        row.updated_at = utcnow() - timedelta(minutes=10)
        session.add(row)
    session.commit()
    assert delivery.sweep(session=session, redis=fake_redis) == 2
    assert delivery.rq_queue(fake_redis).count == 2


def test_an_interrupted_turn_is_not_notified_as_a_failure(session, world):
    alice, bob, project, team, mine = world
    prefs.set_events(session=session, user=alice, project_id=project.id,
                     channel=prefs.channel_ref(mine.id), chosen=[events.TASK_FAILED])
    hooks.task_ended(make_task(session, project, alice, status=TaskStatus.interrupted).id)
    assert _keys(session) == []
    assert events.for_ending(TaskStatus.interrupted) is None
