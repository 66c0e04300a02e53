"""Input to a running shell task, end to end: the service, real Redis, the worker, real dockerd."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from clawweb import redis_conn, streams
from clawweb.i18n import stored
from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskEvent, TaskStatus, User
from clawweb.services import git
from clawweb.services.errors import InvalidInput
from clawweb.services.projects import service as projects
from clawweb.services.tasks import input as task_input, service as tasks
from worker import jobs

from tests.worker.sandbox_support import docker_sandbox  # noqa: F401 - fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
# Guards against a hung run hanging the suite; not a timing assertion.
GUARD_SECONDS = 60


@pytest.fixture
def world(session, redis_url, docker_sandbox, monkeypatch):  # noqa: F811
    monkeypatch.setattr(jobs, "make_sandbox", lambda name: docker_sandbox)
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=1)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    return alice, project


def _start(session, user, project, command: str,
           trigger: str = "ui") -> tuple[Task, threading.Thread]:
    task = tasks.submit_task(session=session, user=user, project_id=project.id,
                             command=command, idempotency_key=f"k-{time.monotonic_ns()}",
                             trigger=trigger)
    runner = threading.Thread(target=jobs.run_task, args=(task.id,), daemon=True)
    runner.start()
    deadline = time.monotonic() + GUARD_SECONDS
    while time.monotonic() < deadline:
        session.expire_all()
        if session.get(Task, task.id).command_started:
            return task, runner
        time.sleep(0.05)
    raise AssertionError("the command never started")


def _events(session, task) -> list[TaskEvent]:
    return session.exec(select(TaskEvent).where(TaskEvent.task_id == task.id)
                        .order_by(TaskEvent.seq)).all()


def _stdout(session, task) -> str:
    return "".join(e.data.get("text", "") for e in _events(session, task)
                   if e.type == "output")


def test_a_line_sent_through_the_service_reaches_the_commands_stdin(session, world):
    alice, project = world
    task, runner = _start(session, alice, project, 'read a; echo "got $a"')
    task_input.send_line(session=session, user=alice, task_id=task.id, line="yes")
    runner.join(GUARD_SECONDS)
    assert not runner.is_alive()
    session.expire_all()
    done = session.get(Task, task.id)
    assert (done.status, done.exit_code) == (TaskStatus.succeeded, 0)
    assert "got yes" in _stdout(session, task)
    echoed = [e for e in _events(session, task) if e.type == "input"]
    assert [e.data for e in echoed] == [{"text": "yes", "by": "alice"}]
    # Input closes with the run: the list is gone and the service refuses.
    assert not redis_conn.get_redis().exists(streams.task_input_key(task.id))
    with pytest.raises(InvalidInput):
        task_input.send_line(session=session, user=alice, task_id=task.id, line="late")


def test_ctrl_c_interrupts_the_command_promptly(session, world):
    alice, project = world
    task, runner = _start(session, alice, project, "sleep 60; echo after")
    sent = time.monotonic()
    task_input.send_interrupt(session=session, user=alice, task_id=task.id)
    runner.join(GUARD_SECONDS)
    took = time.monotonic() - sent
    assert not runner.is_alive()
    session.expire_all()
    done = session.get(Task, task.id)
    # SIGINT reached the whole process group: bash and its sleep, not only bash.
    assert took < 20, f"Ctrl-C took {took:.1f} s"
    assert (done.status, done.exit_code) == (TaskStatus.interrupted, 130)
    assert stored.decode(done.failure_reason)["key"] == "task_input.interrupted_by"
    assert "after" not in _stdout(session, task)
    assert [e.data for e in _events(session, task) if e.type == "input"] == [
        {"signal": "INT", "by": "alice"}]


def test_ctrl_d_ends_the_commands_input(session, world):
    alice, project = world
    task, runner = _start(session, alice, project, 'wc -l; echo "input ended"')
    task_input.send_line(session=session, user=alice, task_id=task.id, line="one")
    task_input.send_eof(session=session, user=alice, task_id=task.id)
    runner.join(GUARD_SECONDS)
    assert not runner.is_alive()
    session.expire_all()
    assert session.get(Task, task.id).status == TaskStatus.succeeded
    assert _stdout(session, task).split() == ["1", "input", "ended"]
    assert [e.data for e in _events(session, task) if e.type == "input"] == [
        {"text": "one", "by": "alice"}, {"eof": True, "by": "alice"}]


@pytest.mark.parametrize("raw", [
    b"not json", b"[]", b'{"kind":"line","text":"a","by":1}',
    b'{"kind":"line","text":"a\\nrm -rf ~","by":"x"}',
    b'{"kind":"exec","text":"a","by":"x"}', b'{"kind":"signal","signal":"KILL","by":"x"}',
    ('{"kind":"line","text":"%s","by":"x"}' % ("a" * 4097)).encode(),
])
def test_the_worker_drops_a_malformed_message(raw):
    from worker.agents import shell_input
    assert shell_input._parse(raw) is None
    assert shell_input._parse(b'{"kind":"line","text":"yes","by":"x"}') == {
        "kind": "line", "text": "yes", "by": "x"}


@pytest.mark.parametrize("trigger", ["schedule", "webhook"])
def test_an_unattended_run_reads_end_of_file_at_once(session, world, trigger):
    alice, project = world
    task, runner = _start(session, alice, project, "cat; echo after-eof", trigger=trigger)
    runner.join(GUARD_SECONDS)
    assert not runner.is_alive(), "cat waited for input nobody will type"
    session.expire_all()
    assert session.get(Task, task.id).status == TaskStatus.succeeded
    assert "after-eof" in _stdout(session, task)


class _Handle:
    """Just what the feeder writes to: the bytes a command's stdin would get."""

    def __init__(self):
        self.stdin = []
        self.got = threading.Event()

    def write_stdin(self, data: bytes) -> None:
        self.stdin.append(data)
        self.got.set()


def _redis_calls(r, command: str) -> int:
    return int(r.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


def test_an_idle_feeder_waits_in_redis_instead_of_polling_it(redis_url):
    """Many running shell tasks each asked Redis ten times a second for input nobody typed."""
    from types import SimpleNamespace

    from worker.agents.shell_input import StdinFeeder

    r = redis_conn.get_redis()
    events = []
    ctx = SimpleNamespace(task=SimpleNamespace(id=7), emit=lambda kind, data: events.append(kind))
    handle = _Handle()
    r.config_resetstat()
    feeder = StdinFeeder(ctx, handle, redis=r)
    feeder.start()
    try:
        time.sleep(1.2)  # the idle window whose Redis calls are counted
        asks = _redis_calls(r, "lpop") + _redis_calls(r, "blpop")
        assert asks <= 4, f"{asks} Redis calls in 1.2 s with nothing to read"
        r.rpush(streams.task_input_key(7), '{"kind":"line","text":"yes","by":"alice"}')
        assert handle.got.wait(GUARD_SECONDS)
        assert handle.stdin == [b"yes\n"] and events == ["input"]
    finally:
        feeder.stop()
