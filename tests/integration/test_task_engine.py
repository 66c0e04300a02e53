"""The task engine for real: redis-server, dockerd + clawweb-runner, git, `python -m worker`.

Workers are real subprocesses sharing this test's SQLite file and Redis, with
short heartbeat settings so a killed worker is noticed in seconds. Every fault
test checks that the fault happened, that the task reached exactly one
terminal state, and that nothing was left behind (containers, working copies).
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
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.models import (
    TERMINAL_STATUSES, Project, ProjectMember, ProjectRole, Task, TaskEvent, TaskStatus, User,
)
from clawweb.services import git
from clawweb.services.tasks import service as tasks
from clawweb.services.projects import service as projects
from clawweb.services.errors import Unavailable
from tests.support.said import said
from tests.support.services import need_docker, own_redis
from worker import heartbeat, recovery

ROOT = Path(__file__).resolve().parents[2]
CAP = 4 * 1024 * 1024
TAIL = 1024 * 1024


class Fleet:
    """`python -m worker` processes for one test; stopped and checked at teardown."""

    def __init__(self, tmp: Path, redis_url: str, data_dir: Path, module: str = "worker"):
        self.tmp, self.redis_url, self.data_dir = tmp, redis_url, data_dir
        self.module = module  # what `python -m` runs (tests.support.worker_no_dns for Claude)
        self.procs: dict[str, subprocess.Popen] = {}
        self.prefix = f"t{uuid.uuid4().hex[:6]}"

    def start(self, n: int = 1, tasks_per_worker: int | None = None) -> list[str]:
        """Start ``n`` workers (``tasks_per_worker`` loops each, default as shipped); returns
        their names (each start adds a suffix to --name)."""
        names = []
        for _ in range(n):
            name = f"{self.prefix}-w{len(self.procs) + 1}"
            env = {**os.environ, "CLAWWEB_DATA_DIR": str(self.data_dir),
                   "CLAWWEB_REDIS_URL": self.redis_url,
                   "CLAWWEB_WORKER_HEARTBEAT_SECONDS": "1",
                   "CLAWWEB_WORKER_DEAD_AFTER_SECONDS": "3",
                   "CLAWWEB_OUTPUT_CAP_BYTES": str(CAP), "PYTHONPATH": str(ROOT)}
            if tasks_per_worker is not None:
                env["CLAWWEB_TASKS_PER_WORKER"] = str(tasks_per_worker)
            log = open(self.tmp / f"{name}.log", "wb")
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", self.module, "--name", name], cwd=ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT)
            names.append(name)
        r = redis_lib.Redis.from_url(self.redis_url)
        real = wait_for(lambda: all(ns := [heartbeat.name_of_pid(r, self.procs[n].pid)
                                           for n in names]) and ns, 60, "workers to start")
        for given, actual in zip(names, real):
            self.procs[actual] = self.procs.pop(given)
        return real

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
        out = subprocess.run(["docker", "ps", "-a", "--format",
                              '{{.Names}} {{.Label "clawweb.worker"}} {{.Label "clawweb.task"}}'],
                             capture_output=True, text=True, check=True).stdout
        rows = [line.split() for line in out.splitlines() if line.strip()]
        return [r[0] for r in rows if len(r) == 3 and r[1].startswith(self.prefix)
                and (task_id is None or r[2] == str(task_id))]


def wait_for(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def redis_server(tmp_path):
    """Tests here stop Redis on purpose: each has a server of its own (see own_redis)."""
    yield from own_redis(tmp_path / "redis")


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
def world(session, fleet):
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


def terminal_events(session, task_id) -> list[str]:
    return [e.data["status"] for e in all_events(session, task_id)
            if e.type == "status" and e.data["status"] in {s.value for s in TERMINAL_STATUSES}]


def text(evs, stream) -> str:
    return "".join(e.data["text"] for e in evs
                   if e.type == "output" and e.data["stream"] == stream)


def test_a_tasks_container_starts_while_its_working_copy_is_made(session, fleet, world):
    # worker/sandbox/early.py: the container ran before its working copy existed,
    # so /workspace is the copy bound late on top of the empty slot it started with.
    alice, project = world
    fleet.start(1)
    cmd = "grep ' /workspace ' /proc/self/mountinfo | wc -l; ls -A /workspace"
    task = finished(session, submit(session, alice, project, cmd).id)
    assert task.status == TaskStatus.succeeded, task.failure_reason
    assert text(all_events(session, task.id), "stdout") == "2\n.git\n"
    assert fleet.containers() == []


def test_interleaved_output_arrives_exactly_once_in_order(session, fleet, world):
    alice, project = world
    fleet.start(1)
    cmd = ("seq 1 200000 | awk '{ if ($1 % 2) { print > \"/dev/stderr\"; fflush(\"/dev/stderr\") }"
           " else { print; fflush() } }'")
    task = finished(session, submit(session, alice, project, cmd).id)
    assert task.status == TaskStatus.succeeded, task.failure_reason
    evs = all_events(session, task.id)
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    assert text(evs, "stdout") == "".join(f"{i}\n" for i in range(2, 200001, 2))
    assert text(evs, "stderr") == "".join(f"{i}\n" for i in range(1, 200001, 2))
    assert evs[-1].type == "status" and evs[-1].data["status"] == "succeeded"
    # The Redis copy carries the same events under the same seqs. It is the live copy:
    # the final status event reaches it right after the commit that ended the task.
    def live():
        got = streams.decode_entries(redis_conn.get_redis().xrange(
            streams.task_events_key(task.id)))
        return got if got and got[-1].seq >= evs[-1].seq else None
    assert [(e.seq, e.type, e.data) for e in wait_for(live, 5, "the live copy")] == [
        (e.seq, e.type, e.data) for e in evs]


def test_a_100mb_line_is_capped_with_marker_and_tail(session, fleet, world):
    alice, project = world
    (name,) = fleet.start(1)
    cmd = "head -c 100000000 /dev/zero | tr '\\0' a; echo; echo THE-END"
    task = finished(session, submit(session, alice, project, cmd).id, timeout=150)
    assert task.status == TaskStatus.succeeded, task.failure_reason
    evs = all_events(session, task.id)
    marks = [e for e in evs if e.type == "truncated"]
    assert len(marks) == 1
    total = 100_000_000 + len("\nTHE-END\n")
    assert task.output_bytes == total
    assert marks[0].data["dropped_bytes"] == task.output_dropped_bytes == total - CAP - TAIL
    out = text(evs, "stdout")
    assert len(out) == CAP + TAIL and out.endswith("a\nTHE-END\n")
    status = Path(f"/proc/{fleet.procs[name].pid}/status").read_text()
    peak_kb = int(next(line for line in status.splitlines()
                       if line.startswith("VmHWM")).split()[1])
    assert peak_kb < 400 * 1024, "worker memory grew with the output"


def _running_with_container(session, fleet, task_id):
    wait_for(lambda: task_now(session, task_id).command_started and fleet.containers(task_id),
             60, "the command to start")


def test_cancel_stops_the_container_and_records_who(session, fleet, world):
    alice, project = world
    fleet.start(1)
    task = submit(session, alice, project, "echo started; sleep 300")
    _running_with_container(session, fleet, task.id)
    tasks.cancel_task(session=session, user=alice, task_id=task.id)
    done = finished(session, task.id, timeout=15)
    assert (done.status, done.cancelled_by) == (TaskStatus.cancelled, alice.id)
    assert said(done.failure_reason, "tasks.ended.cancelled_by")[0] == "cancelled by alice"
    assert fleet.containers(task.id) == []
    assert terminal_events(session, task.id) == ["cancelled"]


def test_timeout_kills_the_container(session, fleet, world):
    alice, project = world
    fleet.start(1)
    task = submit(session, alice, project, "sleep 300", timeout_seconds=2)
    done = finished(session, task.id, timeout=30)
    assert done.status == TaskStatus.timed_out
    assert said(done.failure_reason, "tasks.ended.timed_out")[0] == "timed out after 2 s"
    assert fleet.containers(task.id) == []
    assert terminal_events(session, task.id) == ["timed_out"]


def test_kill_9_mid_task_ends_in_one_terminal_state_without_rerun(session, fleet, world):
    alice, project = world
    fleet.start(2)
    task = submit(session, alice, project, "echo started; sleep 300")
    _running_with_container(session, fleet, task.id)
    victim = task_now(session, task.id).worker_name
    fleet.kill9(victim)
    assert fleet.procs[victim].returncode == -signal.SIGKILL
    done = finished(session, task.id, timeout=60)
    assert (done.status, done.failure_reason) == (TaskStatus.failed, recovery.LOST_STARTED)
    assert done.attempt == 1                          # never run a second time
    wait_for(lambda: fleet.containers(task.id) == [], 30, "the lost container to go")
    assert terminal_events(session, task.id) == ["failed"]


def test_lost_before_the_command_started_is_retried(session, fleet, world):
    alice, project = world
    task = submit(session, alice, project, "echo second-try")
    # A worker took it (attempt 1) and died before starting the command.
    session.expire_all()
    row = session.get(Task, task.id)
    row.status, row.attempt, row.worker_name = TaskStatus.running, 1, f"{fleet.prefix}-ghost"
    session.add(row)
    session.commit()
    redis_conn.get_redis().zadd(streams.workers_known_key(), {row.worker_name: time.time()})
    fleet.start(1)
    done = finished(session, task.id, timeout=60)
    assert (done.status, done.attempt) == (TaskStatus.succeeded, 2)
    evs = all_events(session, task.id)
    assert recovery.LOST_RETRIED in [e.data.get("reason") for e in evs if e.type == "status"]
    assert text(evs, "stdout") == "second-try\n"


def test_two_workers_share_the_queue(session, fleet, world):
    alice, project = world
    fleet.start(2, tasks_per_worker=1)  # one task each: the second must go to the other
    ids = [submit(session, alice, project, "sleep 2; echo ok").id for _ in range(2)]
    done = [finished(session, i) for i in ids]
    assert all(t.status == TaskStatus.succeeded for t in done)
    assert {t.worker_name for t in done} == set(fleet.procs)


def test_project_limit_of_one_never_overlaps(session, fleet, world):
    alice, project = world
    project.max_concurrent_tasks = 1
    session.add(project)
    session.commit()
    fleet.start(2)
    ids = [submit(session, alice, project, "sleep 1").id for _ in range(3)]
    done = sorted((finished(session, i) for i in ids), key=lambda t: t.started_at)
    assert all(t.status == TaskStatus.succeeded for t in done)
    for a, b in zip(done, done[1:]):
        assert a.finished_at <= b.started_at, "two tasks of the project ran at once"


def test_double_submit_is_one_task_and_one_job(session, fleet, world):
    alice, project = world
    kw = dict(session=session, user=alice, project_id=project.id, command="echo once",
              idempotency_key="click-1")
    first, second = tasks.submit_task(**kw), tasks.submit_task(**kw)
    assert first.id == second.id
    assert len(session.exec(select(Task)).all()) == 1
    queued = redis_conn.get_redis().lrange(f"rq:queue:{streams.queue_name('normal')}", 0, -1)
    assert queued == [f"task-{first.id}-0".encode()]


def test_redis_down_at_submit_is_unavailable_and_creates_nothing(session, world, monkeypatch,
                                                                 settings):
    alice, project = world
    from tests.support.services import free_port

    monkeypatch.setenv("CLAWWEB_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    redis_conn.get_redis.cache_clear()
    with pytest.raises(Unavailable):
        submit(session, alice, project, "echo never")
    assert session.exec(select(Task)).all() == []


def test_sigterm_once_finishes_the_running_task_then_exits(session, fleet, world):
    alice, project = world
    (name,) = fleet.start(1)
    task = submit(session, alice, project, "sleep 2; echo finished")
    _running_with_container(session, fleet, task.id)
    fleet.procs[name].send_signal(signal.SIGTERM)
    assert fleet.procs[name].wait(60) == 0
    done = task_now(session, task.id)
    assert done.status == TaskStatus.succeeded, done.failure_reason
    assert text(all_events(session, task.id), "stdout") == "finished\n"


def test_workers_ride_out_a_redis_outage(session, fleet, world, redis_server):
    alice, project = world
    (name,) = fleet.start(1)
    redis_server.stop()
    time.sleep(3)                                  # the worker is cut off meanwhile
    assert fleet.procs[name].poll() is None, "the worker crashed without Redis"
    redis_server.start()
    redis_conn.get_redis().connection_pool.disconnect()
    task = finished(session, submit(session, alice, project, "echo back").id, timeout=60)
    assert task.status == TaskStatus.succeeded
    assert task.worker_name == name


def test_queued_tasks_survive_a_redis_crash_and_restart(session, fleet, world, redis_server):
    """AOF keeps the queue: tasks queued while no worker runs still run after Redis
    is killed (SIGKILL, no clean shutdown) and restarted. The server runs with
    --save "" so only the AOF can bring the jobs back."""
    alice, project = world
    queued = [submit(session, alice, project, f"echo survived-{i}") for i in range(2)]
    r = redis_lib.Redis.from_url(redis_server.url)
    assert r.llen(f"rq:queue:{streams.queue_name('normal')}") == 2  # the jobs really are queued
    time.sleep(1.5)  # appendfsync everysec: let the AOF reach the disk
    redis_server.proc.kill()
    redis_server.proc.wait()
    redis_server.proc = None
    redis_server.start()
    redis_conn.get_redis().connection_pool.disconnect()
    assert r.llen(f"rq:queue:{streams.queue_name('normal')}") == 2, "the queue was lost"
    fleet.start(1)
    for task in queued:
        done = finished(session, task.id, timeout=60)
        assert done.status == TaskStatus.succeeded, done.failure_reason
        expected = done.command.removeprefix("echo ") + "\n"
        assert text(all_events(session, done.id), "stdout") == expected
