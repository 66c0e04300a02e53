"""Submit returns at once: dispatch never waits for another dispatcher of the project.

Whoever holds the project's dispatch lock picks up tasks committed meanwhile
(a "pending" mark it reads after releasing), so none waits for the sweep.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import Session

from clawweb import streams
from clawweb.models import Project, ProjectMember, ProjectRole, Task, User
from clawweb.services.tasks import queue as task_queue, service as tasks


@pytest.fixture
def world(session, fake_redis):
    user = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=5)
    session.add_all([user, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.editor))
    session.commit()
    return user, project


def _submit(session, user, project, key):
    return tasks.submit_task(session=session, user=user, project_id=project.id,
                             command="echo hi", idempotency_key=key)


def test_submit_does_not_wait_while_another_dispatch_holds_the_lock(session, fake_redis,
                                                                     world):
    user, project = world
    fake_redis.set(streams.project_dispatch_lock_key(project.id), b"someone-else", ex=30)
    t0 = time.monotonic()
    task = _submit(session, user, project, "k1")
    assert time.monotonic() - t0 < 1.0  # it spun for up to 15 s before
    assert task.dispatched_at is None  # the holder's job now, not this request's


def test_the_lock_holder_dispatches_what_was_submitted_meanwhile(session, engine, fake_redis,
                                                                 world, monkeypatch):
    user, project = world
    inside, release = threading.Event(), threading.Event()
    real_if_owner = task_queue.if_owner

    def slow_release(*args):
        # The holder has read the waiting tasks (none yet) and is about to let go.
        if threading.current_thread().name == "holder" and not inside.is_set():
            inside.set()
            release.wait(10)
        return real_if_owner(*args)

    monkeypatch.setattr(task_queue, "if_owner", slow_release)

    def holder():
        with Session(engine, expire_on_commit=False) as s:
            task_queue.dispatch_ready(session=s, project_id=project.id)

    thread = threading.Thread(target=holder, name="holder")
    thread.start()
    assert inside.wait(10)
    t0 = time.monotonic()
    task = _submit(session, user, project, "k2")
    assert time.monotonic() - t0 < 1.0 and task.dispatched_at is None
    release.set()
    thread.join(10)
    session.expire_all()
    assert session.get(Task, task.id).dispatched_at is not None  # without any sweep
    assert fake_redis.get(streams.project_dispatch_lock_key(project.id)) is None
