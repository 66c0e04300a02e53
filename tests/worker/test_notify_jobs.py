"""Notification jobs: a finished task notifies; the delivery thread runs RQ jobs from the notify queue."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from clawweb import settings as settings_mod
from clawweb.models import (Delivery, Notification, Project, ProjectMember, ProjectRole,
                            Task, TaskStatus, User)
from clawweb.services import git
from clawweb.services.projects import service as projects
from clawweb.services.tasks import service as tasks
from clawweb.services.notify import channels, events
from worker import jobs
from worker.sandbox import FakeRun, FakeSandbox


@pytest.fixture
def sandbox(monkeypatch):
    box = FakeSandbox()
    monkeypatch.setattr(jobs, "make_sandbox", lambda name: box)
    return box


@pytest.fixture
def world(session, fake_redis, sandbox):
    alice, bob = User(username="alice"), User(username="bob")
    project = Project(name="Shop", slug="shop", max_concurrent_tasks=2)
    session.add_all([alice, bob, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.add(ProjectMember(project_id=project.id, user_id=bob.id, role=ProjectRole.editor))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    return alice, bob, project


def _submit(session, user, project, command):
    return tasks.submit_task(session=session, user=user, project_id=project.id, command=command,
                             idempotency_key=f"k-{time.monotonic_ns()}")


def _notes(session, task_id):
    session.expire_all()
    return session.exec(select(Notification).where(Notification.task_id == task_id)).all()


def test_a_finished_task_notifies_its_creator_once(session, world, sandbox):
    alice, _bob, project = world
    sandbox.handler = lambda spec: FakeRun(output=[("stdout", b"SECRET-OUTPUT\n")], exit_code=1)
    task = _submit(session, alice, project, "make test")
    assert jobs.run_task(task.id) == "failed"
    notes = _notes(session, task.id)
    assert [(n.user_id, n.event, n.link) for n in notes] == [
        (alice.id, events.TASK_FAILED, f"/tasks/{task.id}")]
    assert notes[0].params["summary"] == "make test"
    assert "SECRET-OUTPUT" not in repr(notes[0].params)
    assert jobs.run_task(task.id) == "not-queued"  # a replayed job: still one notification
    assert len(_notes(session, task.id)) == 1


def test_the_teams_channel_hears_about_a_failure(session, world, sandbox, monkeypatch):
    alice, _bob, project = world
    monkeypatch.setenv("CLAWWEB_NOTIFY_PRIVATE_HOSTS", "127.0.0.1:9")
    settings_mod.get_settings.cache_clear()
    channel = channels.add(session=session, user=alice, kind="webhook", project_id=project.id,
                           values={"url": "http://127.0.0.1:9/hook"})
    sandbox.handler = lambda spec: FakeRun(output=[], exit_code=0)
    ok = _submit(session, alice, project, "true")
    jobs.run_task(ok.id)
    sandbox.handler = lambda spec: FakeRun(output=[], exit_code=2)
    bad = _submit(session, alice, project, "false")
    jobs.run_task(bad.id)
    session.expire_all()
    rows = session.exec(select(Delivery).where(
        Delivery.channel_key == channels.key_of(channel.id))).all()
    assert [(r.event, r.event_key) for r in rows] == [
        (events.TASK_FAILED, f"task.failed:task:{bad.id}")]


def test_cancelling_your_own_task_is_not_news_but_someone_elses_is(session, world, sandbox):
    alice, bob, project = world
    sandbox.handler = lambda spec: FakeRun(hang=True)
    for canceller in (alice, bob):
        task = _submit(session, alice, project, "sleep 100")
        runner = threading.Thread(target=jobs.run_task, args=(task.id,))
        runner.start()
        while len(sandbox.handles) < (1 if canceller is alice else 2):
            time.sleep(0.02)
        tasks.cancel_task(session=session, user=canceller, task_id=task.id)
        runner.join(10)
        session.expire_all()
        assert session.get(Task, task.id).status == TaskStatus.cancelled
        expected = [] if canceller is alice else [(alice.id, events.TASK_CANCELLED)]
        assert [(n.user_id, n.event) for n in _notes(session, task.id)] == expected
