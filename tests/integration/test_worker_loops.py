"""Many tasks at once in one `python -m worker` (worker/loops.py), for real: redis-server,
dockerd + clawweb-runner, git. Tasks that block (a silent command) must not hold up
others; a warm stop finishes every running task; a cold stop and a kill -9 end them all.
"""

from __future__ import annotations

import signal
import time

from clawweb import redis_conn, streams
from clawweb.models import Project, ProjectMember, ProjectRole, TaskStatus
from clawweb.services import git
from clawweb.services.projects import service as projects
from clawweb.services.tasks import service as tasks
from clawweb.settings import get_settings
from tests.integration.fleet import (  # noqa: F401  (fixtures)
    finished, fleet, started_in_container, stdout, submit, task_now, terminal_events,
    wait_for, world,
)
from tests.support.said import said
from worker import recovery

# Starting a container on a busy 2-core machine takes ~1-3 s; a task queued
# behind two 300 s sleeps would take minutes.
PROMPT_SECONDS = 15


def another_project(session, owner, slug: str) -> Project:
    project = Project(name=slug.upper(), slug=slug, max_concurrent_tasks=2, memory_mb=512)
    session.add(project)
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=owner.id, role=ProjectRole.owner))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    return project


def running_together(session, fleet, world, n: int, command: str, names) -> list:
    """``n`` tasks over two projects (limit 2 each), all running in containers."""
    alice, project = world
    other = another_project(session, alice, "q")
    submitted = [submit(session, alice, (project, other)[i % 2], command.format(i=i))
                 for i in range(n)]
    return [started_in_container(session, t.id, names) for t in submitted]


def test_two_blocked_tasks_do_not_hold_up_a_third_with_default_settings(
        session, world, fleet):
    alice, project = world
    names = [fleet.start(f"w{i}") for i in range(get_settings().worker_slots)]
    blockers = [submit(session, alice, project, "echo waiting; sleep 300") for _ in range(2)]
    for b in blockers:
        started_in_container(session, b.id, names)
    third = submit(session, alice, another_project(session, alice, "q"), "echo third")
    submitted_at = time.monotonic()
    try:
        wait_for(lambda: task_now(session, third.id).command_started, PROMPT_SECONDS,
                 "the third task to start beside two blocked ones")
        assert time.monotonic() - submitted_at < PROMPT_SECONDS
        assert finished(session, third.id, timeout=30).status == TaskStatus.succeeded
    finally:
        for b in blockers:
            tasks.cancel_task(session=session, user=alice, task_id=b.id)
    for b in blockers:
        assert finished(session, b.id, timeout=30).status == TaskStatus.cancelled


def test_sigterm_once_finishes_every_running_task_then_exits(session, world, fleet):
    name = fleet.start("w")
    running = running_together(session, fleet, world, 3, "sleep 2; echo done-{i}", [name])
    proc = fleet.procs[name]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    for i, t in enumerate(running):
        done = finished(session, t.id, timeout=5)
        assert (done.status, stdout(session, t.id).strip()) == (TaskStatus.succeeded,
                                                               f"done-{i}")


def test_sigterm_twice_stops_every_running_task(session, world, fleet):
    name = fleet.start("w")
    running = running_together(session, fleet, world, 3, "echo started; sleep 300", [name])
    proc = fleet.procs[name]
    proc.send_signal(signal.SIGTERM)
    time.sleep(1.2)  # RQ ignores a second signal within 1 s of the first
    assert proc.poll() is None, "one SIGTERM must let the tasks finish"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(40) == 0
    for t in running:
        done = finished(session, t.id, timeout=5)
        assert done.status == TaskStatus.failed
        assert said(done.failure_reason, "tasks.ended.worker_stopped")[0] == \
            "the worker was stopped while the task was running"
        assert terminal_events(session, t.id) == ["failed"]
    assert fleet.containers() == []


def test_kill_9_with_several_running_tasks_is_recovered_for_all(session, world, fleet):
    victim = fleet.start("victim")
    running = running_together(session, fleet, world, 3, "echo started; sleep 300", [victim])
    fleet.start("reaper")
    fleet.kill9(victim)
    for t in running:
        lost = finished(session, t.id, timeout=60)
        assert (lost.status, lost.failure_reason) == (TaskStatus.failed, recovery.LOST_STARTED)
        assert terminal_events(session, t.id) == ["failed"]
    wait_for(lambda: fleet.containers() == [], 30, "the dead worker's containers removed")
    assert not redis_conn.get_redis().exists(*[streams.task_lock_key(t.id) for t in running])
