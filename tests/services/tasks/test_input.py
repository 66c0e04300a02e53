"""Input to a running shell task (real redis-server): who may send, what, how much."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from clawweb import redis_conn, streams
from clawweb.models import AuditEvent, ProjectRole, TaskStatus
from clawweb.services.errors import InvalidInput, PermissionDenied
from clawweb.services.tasks import input as task_input
from tests.services.agent_fixtures import add_member, make_project, make_task, make_user


@pytest.fixture
def world(session, redis_url):
    owner, viewer = make_user(session, "own"), make_user(session, "vi")
    project = make_project(session, owner)
    add_member(session, project, viewer, ProjectRole.viewer)
    task = make_task(session, project, owner, command="read a", status=TaskStatus.running)
    task.kind = "shell"
    session.add(task)
    session.commit()
    return owner, viewer, task


def _queued(task_id: int) -> list[dict]:
    raw = redis_conn.get_redis().lrange(streams.task_input_key(task_id), 0, -1)
    return [json.loads(r) for r in raw]


def test_a_line_is_queued_for_the_worker_as_data(session, world):
    owner, _, task = world
    task_input.send_line(session=session, user=owner, task_id=task.id, line="yes; rm -rf /")
    task_input.send_interrupt(session=session, user=owner, task_id=task.id)
    task_input.send_eof(session=session, user=owner, task_id=task.id)
    assert _queued(task.id) == [{"kind": "line", "text": "yes; rm -rf /", "by": "own"},
                                {"kind": "signal", "signal": "INT", "by": "own"},
                                {"kind": "eof", "by": "own"}]


def test_a_viewer_is_refused_and_nothing_is_queued(session, world):
    _, viewer, task = world
    with pytest.raises(PermissionDenied):
        task_input.send_line(session=session, user=viewer, task_id=task.id, line="yes")
    with pytest.raises(PermissionDenied):
        task_input.send_interrupt(session=session, user=viewer, task_id=task.id)
    with pytest.raises(PermissionDenied):
        task_input.send_eof(session=session, user=viewer, task_id=task.id)
    assert _queued(task.id) == []


@pytest.mark.parametrize("status", [TaskStatus.queued, TaskStatus.succeeded])
def test_input_only_while_running(session, world, status):
    owner, _, task = world
    task.status = status
    session.add(task)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        task_input.send_line(session=session, user=owner, task_id=task.id, line="yes")
    assert err.value.key == "task_input.not_running"
    assert _queued(task.id) == []


def test_claude_tasks_take_no_stdin(session, world):
    owner, _, task = world
    task.kind = "claude"
    session.add(task)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        task_input.send_line(session=session, user=owner, task_id=task.id, line="yes")
    assert err.value.key == "task_input.not_shell"


def test_a_line_over_the_cap_is_refused_with_the_limit(session, world):
    owner, _, task = world
    task_input.send_line(session=session, user=owner, task_id=task.id,
                         line="é" * (task_input.MAX_LINE_BYTES // 2))  # at the cap: fine
    with pytest.raises(InvalidInput) as err:
        task_input.send_line(session=session, user=owner, task_id=task.id,
                             line="x" * (task_input.MAX_LINE_BYTES + 1))
    assert (err.value.key, err.value.params) == (
        "task_input.too_long", {"limit": task_input.MAX_LINE_BYTES})
    with pytest.raises(InvalidInput) as err:
        task_input.send_line(session=session, user=owner, task_id=task.id, line="a\nb")
    assert err.value.key == "task_input.one_line"
    assert len(_queued(task.id)) == 1


def test_input_is_rate_limited_per_user(session, world):
    owner, _, task = world
    for i in range(task_input.RATE_LIMIT):
        task_input.send_line(session=session, user=owner, task_id=task.id, line=str(i))
    with pytest.raises(InvalidInput) as err:
        task_input.send_line(session=session, user=owner, task_id=task.id, line="more")
    assert err.value.key == "task_input.rate_limited"
    assert len(_queued(task.id)) == task_input.RATE_LIMIT


def test_the_waiting_list_is_capped(session, world, monkeypatch):
    owner, _, task = world
    monkeypatch.setattr(task_input, "RATE_LIMIT", 1000)
    for i in range(task_input.MAX_PENDING):
        task_input.send_line(session=session, user=owner, task_id=task.id, line=str(i))
    with pytest.raises(InvalidInput) as err:
        task_input.send_line(session=session, user=owner, task_id=task.id, line="more")
    assert err.value.key == "task_input.backlog_full"
    assert len(_queued(task.id)) == task_input.MAX_PENDING


def test_the_audit_says_who_sent_input_but_not_what(session, world):
    owner, _, task = world
    task_input.send_line(session=session, user=owner, task_id=task.id, line="hunter2")
    task_input.send_interrupt(session=session, user=owner, task_id=task.id)
    rows = session.exec(select(AuditEvent).where(AuditEvent.object_id == str(task.id))).all()
    assert [(r.action, r.actor_id) for r in rows] == [("task.input", owner.id),
                                                     ("task.sigint", owner.id)]
    assert all("hunter2" not in json.dumps([r.before, r.after, r.detail]) for r in rows)
    assert rows[0].after == {"bytes": 8}
