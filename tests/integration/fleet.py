"""Real ``python -m worker`` processes for fleet tests, found by their heartbeats.

``--name`` is only where a worker's name starts (each process start adds its
own suffix, so a restarted worker never collides with its dead predecessor's
registration), so a test learns a process's name from the pid its heartbeat
carries. Short settings: heartbeat 1 s, dead after 5 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_lib
from sqlmodel import select

from clawweb.models import (
    TERMINAL_STATUSES, Project, ProjectMember, ProjectRole, Task, TaskEvent, User,
)
from clawweb.services import git
from clawweb.services.tasks import service as tasks
from clawweb.services.projects import service as projects
from tests.support.services import need_docker
from worker.heartbeat import name_of_pid

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT_SECONDS = 1
DEAD_AFTER_SECONDS = 5


def worker_env(redis_url: str | None, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "CLAWWEB_DATA_DIR": str(data_dir),
           "CLAWWEB_WORKER_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
           "CLAWWEB_WORKER_DEAD_AFTER_SECONDS": str(DEAD_AFTER_SECONDS),
           "PYTHONPATH": str(ROOT)}
    env.pop("CLAWWEB_REDIS_URL", None)
    if redis_url:
        env["CLAWWEB_REDIS_URL"] = redis_url
    return env


def wait_for(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def containers(worker_names, task_id: int | None = None) -> list[str]:
    """Containers (running or not) labelled with one of ``worker_names``."""
    out = subprocess.run(["docker", "ps", "-a", "--format",
                          '{{.Names}} {{.Label "clawweb.worker"}} {{.Label "clawweb.task"}}'],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return [r[0] for r in rows if len(r) == 3 and r[1] in set(worker_names)
            and (task_id is None or r[2] == str(task_id))]


class Fleet:
    """``python -m worker --name <prefix>-<base>`` processes; stopped at teardown."""

    def __init__(self, tmp: Path, redis_url: str, data_dir: Path):
        self.tmp, self.redis_url, self.data_dir = tmp, redis_url, data_dir
        self.prefix = f"t{uuid.uuid4().hex[:6]}"
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, base: str, tasks_per_worker: int | None = None) -> str:
        """Start one worker (``tasks_per_worker`` loops, default as shipped); returns its
        name once it beats."""
        log_path = self.tmp / f"{self.prefix}-{base}.log"
        env = worker_env(self.redis_url, self.data_dir)
        if tasks_per_worker is not None:
            env["CLAWWEB_TASKS_PER_WORKER"] = str(tasks_per_worker)
        proc = subprocess.Popen(
            [sys.executable, "-m", "worker", "--name", f"{self.prefix}-{base}"], cwd=ROOT,
            env=env, stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT)
        r = redis_lib.Redis.from_url(self.redis_url)

        def named():
            if proc.poll() is not None:
                raise AssertionError(f"worker exited: {log_path.read_text()[-3000:]}")
            return name_of_pid(r, proc.pid)

        self.procs[base] = proc             # stopped at teardown even if it never beats
        name = wait_for(named, 90, f"worker {base} to beat")
        self.procs[name] = self.procs.pop(base)
        return name

    def kill9(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def containers(self, task_id: int | None = None) -> list[str]:
        return containers(self.procs, task_id)


@pytest.fixture
def fleet(tmp_path, redis_url, settings, engine):
    need_docker()
    f = Fleet(tmp_path, redis_url, settings.data_dir)
    yield f
    f.stop()
    assert f.containers() == [], "containers left behind"
    ws = settings.workspaces_dir
    assert not ws.exists() or list(ws.iterdir()) == [], "working copies left behind"


@pytest.fixture
def world(session, engine):
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=2, memory_mb=512)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    return alice, project


def submit(session, user, project, command, **kw) -> Task:
    return tasks.submit_task(session=session, user=user, project_id=project.id,
                             command=command, idempotency_key=uuid.uuid4().hex, **kw)


def task_now(session, task_id) -> Task:
    session.expire_all()
    return session.get(Task, task_id)


def finished(session, task_id, timeout=90) -> Task:
    return wait_for(lambda: (t := task_now(session, task_id)).status in TERMINAL_STATUSES
                    and t, timeout, f"task {task_id} to finish")


def all_events(session, task_id) -> list[TaskEvent]:
    session.expire_all()
    return session.exec(select(TaskEvent).where(TaskEvent.task_id == task_id)
                        .order_by(TaskEvent.seq)).all()


def statuses(session, task_id) -> list[str]:
    """The task's status history as its events tell it."""
    return [e.data["status"] for e in all_events(session, task_id) if e.type == "status"]


def terminal_events(session, task_id) -> list[str]:
    done = {s.value for s in TERMINAL_STATUSES}
    return [s for s in statuses(session, task_id) if s in done]


def stdout(session, task_id) -> str:
    return "".join(e.data["text"] for e in all_events(session, task_id)
                   if e.type == "output" and e.data["stream"] == "stdout")


def started_in_container(session, task_id, worker_names) -> Task:
    """Wait until the task's command runs in a container; returns the task."""
    wait_for(lambda: task_now(session, task_id).command_started
             and containers(worker_names, task_id), 60, f"task {task_id} to start")
    return task_now(session, task_id)
