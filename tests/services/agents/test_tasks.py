"""Claude task services on fakeredis: credential check, follow-up rules, interrupt, thread."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from clawweb import streams
from clawweb.models import AuditEvent, Project, ProjectMember, ProjectRole, Task, TaskStatus, User
from clawweb.services.agents import credentials, tasks as agent_tasks
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied

SECRET = "sk-ant-api03-unit-" + "z" * 30


@pytest.fixture
def world(session, fake_redis):
    users = {n: User(username=n) for n in ("alice", "vera", "mallory")}
    session.add_all(users.values())
    project = Project(name="P", slug="p", max_concurrent_tasks=5)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=users["alice"].id,
                              role=ProjectRole.editor))
    session.add(ProjectMember(project_id=project.id, user_id=users["vera"].id,
                              role=ProjectRole.viewer))
    session.commit()
    credentials.set_user_credential(session=session, user=users["alice"], kind="api_key",
                                    secret=SECRET)
    return users, project


def ask(session, user, project, prompt="Fix the bug"):
    return agent_tasks.submit_prompt(session=session, user=user, project_id=project.id,
                                     prompt=prompt, idempotency_key=uuid.uuid4().hex)


def finish(session, task, status=TaskStatus.succeeded, sid="sess-1"):
    row = session.get(Task, task.id)
    row.status, row.agent_session_id = status, sid
    session.add(row)
    session.commit()
    return row


def follow(session, user, task, prompt="And now the tests"):
    return agent_tasks.follow_up(session=session, user=user, task_id=task.id, prompt=prompt,
                                 idempotency_key=uuid.uuid4().hex)


def test_submit_prompt_makes_a_queued_claude_task(session, world):
    users, project = world
    task = ask(session, users["alice"], project)
    assert (task.kind, task.command, task.status) == ("claude", "Fix the bug", TaskStatus.queued)
    assert task.branch == f"clawweb/task-{task.id}"


def test_submit_without_any_credential_is_refused_with_the_clear_key(session, world):
    users, project = world
    credentials.delete_user_credential(session=session, user=users["alice"])
    with pytest.raises(InvalidInput) as exc:
        ask(session, users["alice"], project)
    assert exc.value.key == "agent_tasks.no_credential"
    assert session.exec(select(Task)).all() == []


def test_a_project_credential_is_enough(session, world):
    users, project = world
    credentials.delete_user_credential(session=session, user=users["alice"])
    admin = User(username="root", role="admin")
    session.add(admin)
    session.commit()
    credentials.set_project_credential(session=session, user=admin, project=project,
                                       kind="api_key", secret=SECRET)
    assert ask(session, users["alice"], project).kind == "claude"


def test_viewers_and_strangers_cannot_submit(session, world):
    users, project = world
    with pytest.raises(PermissionDenied):
        ask(session, users["vera"], project)
    with pytest.raises(NotFound):
        ask(session, users["mallory"], project)


def test_follow_up_continues_the_parents_branch(session, world):
    users, project = world
    parent = finish(session, ask(session, users["alice"], project))
    child = follow(session, users["alice"], parent)
    assert (child.parent_id, child.branch, child.kind) == (parent.id, parent.branch, "claude")
    audit = session.exec(select(AuditEvent).where(AuditEvent.object_id == str(child.id),
                                                  AuditEvent.action == "task.submit")).one()
    assert audit.after["parent_id"] == parent.id


@pytest.mark.parametrize("status", [TaskStatus.queued, TaskStatus.running,
                                    TaskStatus.awaiting_approval])
def test_follow_up_is_refused_while_the_parent_is_active(session, world, status):
    users, project = world
    parent = finish(session, ask(session, users["alice"], project), status=status)
    with pytest.raises(InvalidInput) as exc:
        follow(session, users["alice"], parent)
    assert exc.value.key == "agent_tasks.parent_active"


def test_follow_up_is_refused_while_another_run_is_on_the_branch(session, world):
    users, project = world
    parent = finish(session, ask(session, users["alice"], project))
    follow(session, users["alice"], parent)  # queued on the same branch
    with pytest.raises(InvalidInput) as exc:
        follow(session, users["alice"], parent)
    assert exc.value.key == "agent_tasks.parent_active"


def test_follow_up_needs_a_session_and_a_claude_parent(session, world):
    users, project = world
    parent = finish(session, ask(session, users["alice"], project), sid="")
    with pytest.raises(InvalidInput) as exc:
        follow(session, users["alice"], parent)
    assert exc.value.key == "agent_tasks.no_session"
    shell = Task(project_id=project.id, created_by=users["alice"].id, kind="shell",
                 command="ls", status=TaskStatus.succeeded, agent_session_id="x")
    session.add(shell)
    session.commit()
    with pytest.raises(InvalidInput) as exc:
        follow(session, users["alice"], shell)
    assert exc.value.key == "agent_tasks.not_claude"


def test_viewer_cannot_follow_up(session, world):
    users, project = world
    parent = finish(session, ask(session, users["alice"], project))
    with pytest.raises(PermissionDenied):
        follow(session, users["vera"], parent)


def test_interrupt_sets_the_signal_only_while_running(session, world, fake_redis):
    users, project = world
    task = ask(session, users["alice"], project)
    with pytest.raises(InvalidInput) as exc:
        agent_tasks.interrupt(session=session, user=users["alice"], task_id=task.id)
    assert exc.value.key == "agent_tasks.not_running"
    assert not fake_redis.exists(streams.task_interrupt_key(task.id))
    finish(session, task, status=TaskStatus.running)
    with pytest.raises(PermissionDenied):
        agent_tasks.interrupt(session=session, user=users["vera"], task_id=task.id)
    assert not fake_redis.exists(streams.task_interrupt_key(task.id))
    agent_tasks.interrupt(session=session, user=users["alice"], task_id=task.id, ip="1.2.3.4")
    assert fake_redis.exists(streams.task_interrupt_key(task.id))
    row = session.exec(select(AuditEvent).where(AuditEvent.action == "task.interrupt")).one()
    assert (row.object_id, row.ip) == (str(task.id), "1.2.3.4")


def test_thread_is_root_to_latest_from_any_member(session, world):
    users, project = world
    root = finish(session, ask(session, users["alice"], project))
    second = finish(session, follow(session, users["alice"], root), sid="s2")
    third = follow(session, users["alice"], second)
    for t in (root, second, third):
        chain = agent_tasks.thread(session=session, user=users["vera"], task_id=t.id)
        assert [x.id for x in chain] == [root.id, second.id, third.id]
    with pytest.raises(NotFound):
        agent_tasks.thread(session=session, user=users["mallory"], task_id=root.id)
