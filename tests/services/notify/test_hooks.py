"""The approval code tells the notification centre: requested, decided (close), expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlmodel import select

from clawweb.models import Notification, ProjectRole, utcnow
from clawweb.services import approvals
from clawweb.services.notify import delivery, events
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user


@pytest.fixture
def world(session, fake_redis, monkeypatch):
    monkeypatch.setenv("CLAWWEB_NOTIFY_EXPIRING_SECONDS", "300")
    owner, editor, viewer = (make_user(session, n) for n in ("owner", "ed", "vi"))
    project = make_project(session, owner)
    add_member(session, project, editor, ProjectRole.editor)
    add_member(session, project, viewer, ProjectRole.viewer)
    task = make_task(session, project, owner, title="Fix the build")
    return dict(owner=owner, editor=editor, viewer=viewer, project=project, task=task,
                redis=fake_redis)


def _notes(session, event):
    session.expire_all()
    return session.exec(select(Notification).where(Notification.event == event)
                        .order_by(Notification.user_id)).all()


def _request(session, world, timeout=1800):
    return approvals.create_request(session=session, task=world["task"], tool_use_id="toolu_1",
                                    tool_name="Bash", tool_input={"command": "npm test"},
                                    timeout_seconds=timeout)


def test_a_request_notifies_everyone_who_may_answer_it(session, world):
    row = _request(session, world)
    notes = _notes(session, events.APPROVAL_REQUESTED)
    assert [n.user_id for n in notes] == [world["owner"].id, world["editor"].id]
    assert notes[0].link == f"/tasks/{world['task'].id}#approval-{row.id}"
    assert notes[0].params["tool"] == "Bash" and notes[0].params["summary"] == "npm test"
    # Asked twice (the worker retried), stored once.
    _request(session, world)
    assert len(_notes(session, events.APPROVAL_REQUESTED)) == 2


def test_a_long_request_schedules_one_check_before_it_expires(session, world):
    row = _request(session, world, timeout=1800)
    registry = ScheduledJobRegistry("clawweb-notify", connection=world["redis"])
    assert f"notify-expiring-{row.id}" in registry.get_job_ids()
    when = registry.get_scheduled_time(f"notify-expiring-{row.id}")
    expected = row.expires_at - timedelta(seconds=300)
    assert abs((when - expected).total_seconds()) < 2


def test_a_decision_resolves_the_notices_and_closes_them_on_devices(session, world):
    row = _request(session, world)
    approvals.decide(session=session, user=world["editor"], approval_id=row.id, decision="allow")
    assert all(n.read_at is not None for n in _notes(session, events.APPROVAL_REQUESTED))
    queued = delivery.rq_queue(world["redis"]).get_job_ids()
    assert f"notify-close-{row.id}" in queued


def test_an_expired_request_tells_who_could_have_answered(session, world):
    row = _request(session, world)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    approvals.expire(session=session, approval_id=row.id)
    expired = _notes(session, events.APPROVAL_EXPIRED)
    assert [n.user_id for n in expired] == [world["owner"].id, world["editor"].id]
    assert f"notify-close-{row.id}" in delivery.rq_queue(world["redis"]).get_job_ids()


def test_the_expiring_check_speaks_only_while_the_request_waits(session, world):
    from clawweb.services.notify import hooks

    row = _request(session, world)
    hooks.approval_expiring(row.id)
    notes = _notes(session, events.APPROVAL_EXPIRING)
    assert [n.user_id for n in notes] == [world["owner"].id, world["editor"].id]
    assert notes[0].params["minutes"] == 5
    other = approvals.create_request(session=session, task=world["task"], tool_use_id="toolu_2",
                                     tool_name="Read", tool_input={"file_path": "/a"},
                                     timeout_seconds=1800)
    approvals.decide(session=session, user=world["owner"], approval_id=other.id,
                     decision="deny")
    hooks.approval_expiring(other.id)
    assert [n.approval_id for n in _notes(session, events.APPROVAL_EXPIRING)] == [row.id, row.id]


def test_a_broken_notification_never_fails_the_approval(session, world, monkeypatch):
    from clawweb.services.notify import centre

    def broken(**_kw):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(centre, "add", broken)
    row = _request(session, world)
    assert row.id and approvals.decide(session=session, user=world["owner"], approval_id=row.id,
                                       decision="allow").decision == "allow"
