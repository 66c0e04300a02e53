"""Task services on fakeredis: submit, idempotency, dispatch under the project limit, cancel."""

from __future__ import annotations

import pytest
from rq import Queue
from rq.serializers import JSONSerializer
from sqlmodel import select

from clawweb import streams
from clawweb.models import (
    AuditEvent, Project, ProjectMember, ProjectRole, Task, TaskEvent, TaskStatus, User,
)
from clawweb.services.tasks import queue as task_queue, service as tasks, waiting
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied, Unavailable

from tests.support.said import said


@pytest.fixture
def world(session, fake_redis):
    users = {n: User(username=n) for n in ("alice", "vera", "mallory")}
    session.add_all(users.values())
    project = Project(name="P", slug="p", max_concurrent_tasks=2)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=users["alice"].id,
                              role=ProjectRole.editor))
    session.add(ProjectMember(project_id=project.id, user_id=users["vera"].id,
                              role=ProjectRole.viewer))
    session.commit()
    return users, project


def _jobs(redis) -> list[str]:
    ids = []
    for p in streams.QUEUE_ORDER:
        ids += Queue(streams.queue_name(p), connection=redis, serializer=JSONSerializer).job_ids
    return ids


def submit(session, user, project, key, **kw):
    return tasks.submit_task(session=session, user=user, project_id=project.id,
                             command=kw.pop("command", "echo hi"), idempotency_key=key, **kw)


def test_submit_commits_then_enqueues_by_path_with_json(session, fake_redis, world):
    users, project = world
    task = submit(session, users["alice"], project, "k1")
    assert task.status == TaskStatus.queued and task.dispatched_at is not None
    assert task.branch == f"clawweb/task-{task.id}"
    q = Queue(streams.queue_name("normal"), connection=fake_redis, serializer=JSONSerializer)
    job = q.fetch_job(q.job_ids[0])
    assert (job.func_name, list(job.args)) == ("worker.jobs.run_task", [task.id])
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "task.submit")).one()
    status = session.exec(select(TaskEvent).where(TaskEvent.task_id == task.id)).one()
    assert status.type == "status" and status.data["status"] == "queued"


def test_a_new_task_is_never_visible_without_its_queued_event(session, engine, fake_redis,
                                                              world):
    """Another process may dispatch a task as soon as its row is committed, and the
    worker numbers its events after what is stored then. A task seen before its
    "queued" event was stored got that event's seq a second time (PostgreSQL
    refused every later batch of the task's history)."""
    from sqlalchemy import event
    from sqlmodel import Session as Fresh

    seen = []

    def look(_session):
        with Fresh(engine) as other:  # what another process sees after this commit
            for row in other.exec(select(Task)).all():
                seen.append((row.id, [e.seq for e in other.exec(
                    select(TaskEvent).where(TaskEvent.task_id == row.id)).all()]))

    users, project = world
    event.listen(session, "after_commit", look)
    try:
        task = submit(session, users["alice"], project, "k-visible")
    finally:
        event.remove(session, "after_commit", look)
    assert seen and all(seqs == [1] for task_id, seqs in seen if task_id == task.id), seen


def test_a_cancelled_queued_task_is_never_visible_without_its_cancelled_event(
        session, engine, fake_redis, world):
    """Whoever reads the task as cancelled must find its "cancelled" event stored: a
    page that loads the status from the row and then waits for the event on the stream
    otherwise waits forever (the same race as submit's queued event)."""
    from sqlalchemy import event
    from sqlmodel import Session as Fresh

    users, project = world
    project.max_concurrent_tasks = 1
    session.add(project)
    session.commit()
    submit(session, users["alice"], project, "runs")
    waiting = submit(session, users["alice"], project, "waits")
    seen = []

    def look(_session):
        with Fresh(engine) as other:
            row = other.get(Task, waiting.id)
            kinds = [e.data.get("status") for e in other.exec(
                select(TaskEvent).where(TaskEvent.task_id == waiting.id)).all()]
            seen.append((row.status, kinds))

    event.listen(session, "after_commit", look)
    try:
        tasks.cancel_task(session=session, user=users["alice"], task_id=waiting.id)
    finally:
        event.remove(session, "after_commit", look)
    cancelled = [kinds for status, kinds in seen if status == TaskStatus.cancelled]
    assert cancelled and all(kinds == ["queued", "cancelled"] for kinds in cancelled), seen


def test_double_submit_is_one_task_and_one_job(session, fake_redis, world):
    users, project = world
    first = submit(session, users["alice"], project, "same")
    again = submit(session, users["alice"], project, "same")
    assert again.id == first.id
    assert len(session.exec(select(Task)).all()) == 1
    assert _jobs(fake_redis) == [f"task-{first.id}-0"]


def test_someone_elses_key_is_not_a_replay(session, fake_redis, world):
    users, project = world
    submit(session, users["alice"], project, "k")
    session.add(ProjectMember(project_id=project.id, user_id=users["mallory"].id,
                              role=ProjectRole.editor))
    session.commit()
    with pytest.raises(InvalidInput):
        submit(session, users["mallory"], project, "k")


@pytest.mark.parametrize("kw, key", [
    ({"command": "   "}, "tasks.error.command_empty"),
    ({"command": "x" * (100 * 1024 + 1)}, "tasks.error.command_too_long"),
    ({"timeout_seconds": 0}, "tasks.error.timeout"),
    ({"timeout_seconds": 86401}, "tasks.error.timeout"),
    ({"priority": "urgent"}, "tasks.error.priority"),
])
def test_bad_input_is_refused(session, world, kw, key):
    users, project = world
    with pytest.raises(InvalidInput) as err:
        submit(session, users["alice"], project, "k", **kw)
    assert err.value.key == key
    assert session.exec(select(Task)).all() == []


def test_viewer_and_stranger_cannot_submit(session, world):
    users, project = world
    with pytest.raises(PermissionDenied):
        submit(session, users["vera"], project, "k")
    with pytest.raises(NotFound):
        submit(session, users["mallory"], project, "k2")
    with pytest.raises(NotFound):
        tasks.list_tasks(session=session, user=users["mallory"], project_id=project.id)


def test_redis_down_at_submit_creates_nothing(session, fake_redis, world):
    users, project = world
    fake_redis.connection_pool.connection_kwargs["server"].connected = False
    with pytest.raises(Unavailable) as err:
        submit(session, users["alice"], project, "k")
    assert err.value.key == "errors.redis_unavailable"
    assert session.exec(select(Task)).all() == []


def test_limit_holds_and_next_goes_by_priority_then_age(session, fake_redis, world):
    users, project = world
    a = submit(session, users["alice"], project, "a")
    b = submit(session, users["alice"], project, "b")
    low = submit(session, users["alice"], project, "c", priority="low")
    normal = submit(session, users["alice"], project, "d")
    high = submit(session, users["alice"], project, "e", priority="high")
    assert [a.dispatched_at is not None, b.dispatched_at is not None] == [True, True]
    assert all(t.dispatched_at is None for t in (low, normal, high))
    info = waiting.queue_info(session=session, task=high)
    assert info["reason"] == "tasks.wait.project_limit" and info["params"] == {"limit": 2}
    assert info["position"] == 1
    order = []
    for done in (a, b, high, normal):
        assert task_queue.transition(session=session, task_id=done.id,
                                     from_statuses=[TaskStatus.queued],
                                     to=TaskStatus.succeeded)
        order += task_queue.dispatch_ready(session=session, project_id=project.id)
    assert order == [high.id, normal.id, low.id]
    assert task_queue.active_count(session, project.id) == 1


def test_transition_is_compare_and_set(session, world):
    users, project = world
    task = submit(session, users["alice"], project, "k")
    assert task_queue.transition(session=session, task_id=task.id,
                                 from_statuses=[TaskStatus.queued], to=TaskStatus.running,
                                 attempt=0, values={"attempt": 1})
    # The same move again, or on the old attempt, loses.
    assert not task_queue.transition(session=session, task_id=task.id,
                                     from_statuses=[TaskStatus.queued], to=TaskStatus.running)
    assert not task_queue.transition(session=session, task_id=task.id,
                                     from_statuses=[TaskStatus.running],
                                     to=TaskStatus.failed, attempt=0)
    assert task_queue.transition(session=session, task_id=task.id,
                                 from_statuses=[TaskStatus.running],
                                 to=TaskStatus.succeeded, attempt=1)


def test_cancel_queued_is_immediate_and_frees_the_slot(session, fake_redis, world):
    users, project = world
    project.max_concurrent_tasks = 1
    session.add(project)
    session.commit()
    first = submit(session, users["alice"], project, "a")
    second = submit(session, users["alice"], project, "b")
    assert second.dispatched_at is None
    with pytest.raises(PermissionDenied):
        tasks.cancel_task(session=session, user=users["vera"], task_id=first.id)
    done = tasks.cancel_task(session=session, user=users["alice"], task_id=first.id)
    assert done.status == TaskStatus.cancelled and done.cancelled_by == users["alice"].id
    assert said(done.failure_reason, "tasks.ended.cancelled_by") == (
        "cancelled by alice", "已被 alice 取消")
    assert tasks.get_task(session=session, user=users["alice"],
                          task_id=second.id).dispatched_at is not None


def test_cancel_running_sets_the_signal_and_the_db_flag(session, fake_redis, world):
    users, project = world
    task = submit(session, users["alice"], project, "a")
    task_queue.transition(session=session, task_id=task.id, from_statuses=[TaskStatus.queued],
                          to=TaskStatus.running)
    after = tasks.cancel_task(session=session, user=users["alice"], task_id=task.id)
    assert after.status == TaskStatus.running
    assert after.cancel_requested_by == users["alice"].id
    assert fake_redis.get(streams.task_cancel_key(task.id)) == str(users["alice"].id).encode()


def test_rerun_makes_a_new_task_with_the_same_settings(session, fake_redis, world):
    users, project = world
    old = submit(session, users["alice"], project, "a", command="make test",
                 priority="high", timeout_seconds=77)
    new = tasks.rerun_task(session=session, user=users["alice"], task_id=old.id,
                           idempotency_key="b")
    assert new.id != old.id
    assert (new.command, new.priority, new.timeout_seconds) == ("make test", old.priority, 77)


def test_my_tasks_lists_only_visible_projects(session, fake_redis, world):
    users, project = world
    mine = submit(session, users["alice"], project, "a")
    other = Project(name="Q", slug="q")
    session.add(other)
    session.flush()
    session.add(Task(project_id=other.id, command="secret"))
    session.commit()
    assert [t.id for t in tasks.list_tasks(session=session, user=users["vera"])] == [mine.id]
    assert tasks.list_tasks(session=session, user=users["mallory"]) == []


def test_sweep_dispatches_what_redis_missed(session, fake_redis, world, monkeypatch):
    users, project = world
    task = submit(session, users["alice"], project, "a")
    # Redis lost the job after the claim (e.g. flushed): the sweep takes it back.
    fake_redis.flushall()
    assert task_queue.sweep(session=session, stale_after=0) == [task.id]
    assert _jobs(fake_redis) == [f"task-{task.id}-0"]
