"""run_task and the reaper with a FakeSandbox, fakeredis and a real git repository."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlmodel import Session, select

from clawweb import streams
from clawweb.models import Project, ProjectMember, ProjectRole, Task, TaskEvent, TaskStatus, User
from clawweb.services import git
from clawweb.services.tasks import queue as task_queue, service as tasks
from clawweb.services.projects import service as projects
from worker import jobs, recovery
from worker.sandbox import FakeRun, FakeSandbox

from tests.support.said import said

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def sandbox(monkeypatch):
    box = FakeSandbox()
    monkeypatch.setattr(jobs, "make_sandbox", lambda name: box)
    return box


@pytest.fixture
def world(session, fake_redis, sandbox):
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=1)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    return alice, project


def submit(session, user, project, command="run", **kw):
    return tasks.submit_task(session=session, user=user, project_id=project.id,
                             command=command, idempotency_key=f"k-{time.monotonic_ns()}",
                             **kw)


def reload(session, task) -> Task:
    session.expire_all()
    return session.get(Task, task.id)


def events(session, task) -> list[TaskEvent]:
    return session.exec(select(TaskEvent).where(TaskEvent.task_id == task.id)
                        .order_by(TaskEvent.seq)).all()


def leftovers(task) -> bool:
    from worker import workspace
    return workspace.workdir_for(task.id).exists()


def test_success_records_output_commit_and_cleans_up(session, world, sandbox, fake_redis):
    alice, project = world

    def handler(spec):
        (spec.workdir / "hello.txt").write_text("hi\n")
        return FakeRun(output=[("stdout", b"out\n"), ("stderr", b"err\n")], exit_code=0)

    sandbox.handler = handler
    task = submit(session, alice, project)
    assert jobs.run_task(task.id) == "succeeded"
    done = reload(session, task)
    assert (done.status, done.exit_code, done.attempt) == (TaskStatus.succeeded, 0, 1)
    assert done.command_started and done.files_changed == 1 and done.insertions == 1
    assert git.resolve(projects.project_repo_path(project),
                       f"refs/heads/clawweb/task-{task.id}") == done.commit_sha
    evs = events(session, task)
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    assert [e.data["status"] for e in evs if e.type == "status"] == [
        "queued", "running", "succeeded"]
    assert sandbox.handles[0].removed and not leftovers(task)
    assert sandbox.specs[0].argv == ["bash", "-lc", "run"]
    assert fake_redis.get(streams.task_lock_key(task.id)) is None


@pytest.mark.parametrize("run, status, key, en, zh", [
    (FakeRun(exit_code=3), TaskStatus.failed, "tasks.ended.exit_code",
     "exited with code 3", "以退出码 3 结束"),
    (FakeRun(exit_code=137, oom_killed=True), TaskStatus.failed, "tasks.ended.out_of_memory",
     "out of memory (limit 1024 MB)", "内存不足（上限 1024 MB）"),
])
def test_failures_are_said_in_words(session, world, sandbox, run, status, key, en, zh):
    alice, project = world
    sandbox.handler = lambda spec: run
    task = submit(session, alice, project)
    jobs.run_task(task.id)
    done = reload(session, task)
    assert done.status == status
    assert said(done.failure_reason, key) == (en, zh)


def test_cancel_stops_a_silent_command(session, world, sandbox):
    alice, project = world
    sandbox.handler = lambda spec: FakeRun(hang=True)
    task = submit(session, alice, project)
    runner = threading.Thread(target=jobs.run_task, args=(task.id,))
    runner.start()
    while not sandbox.handles:
        time.sleep(0.02)
    tasks.cancel_task(session=session, user=alice, task_id=task.id)
    runner.join(10)
    assert not runner.is_alive()
    done = reload(session, task)
    assert (done.status, done.cancelled_by) == (TaskStatus.cancelled, alice.id)
    assert said(done.failure_reason, "tasks.ended.cancelled_by") == (
        "cancelled by alice", "已被 alice 取消")
    assert sandbox.handles[0].killed and sandbox.handles[0].removed


def test_cancel_flag_in_the_db_alone_is_honoured(session, world, sandbox, fake_redis):
    alice, project = world
    sandbox.handler = lambda spec: FakeRun(hang=True)
    task = submit(session, alice, project)
    runner = threading.Thread(target=jobs.run_task, args=(task.id,))
    runner.start()
    while not sandbox.handles:
        time.sleep(0.02)
    tasks.cancel_task(session=session, user=alice, task_id=task.id)
    fake_redis.delete(streams.task_cancel_key(task.id))  # the Redis signal was lost
    runner.join(10)
    assert reload(session, task).status == TaskStatus.cancelled


def test_timeout_kills_and_says_so(session, world, sandbox):
    alice, project = world
    sandbox.handler = lambda spec: FakeRun(hang=True)
    task = submit(session, alice, project, timeout_seconds=1)
    assert jobs.run_task(task.id) == "timed_out"
    done = reload(session, task)
    assert said(done.failure_reason, "tasks.ended.timed_out") == (
        "timed out after 1 s", "运行 1 秒后超时")
    assert sandbox.handles[0].killed


class _Clock:
    """A monotonic clock the test moves by hand (for worker.control only)."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    from types import SimpleNamespace

    from worker import control
    fake = _Clock()
    monkeypatch.setattr(control, "time", SimpleNamespace(monotonic=fake.monotonic,
                                                         sleep=time.sleep))
    return fake


def test_the_timeout_counts_from_the_command_start_not_the_preparation(
        session, world, sandbox, clock, monkeypatch):
    """"Timeout 1 s" means the command may run 1 s: preparing its working copy (a task
    disk, a clone, a sync) may take longer under load and must not use it up."""
    from worker import workspace
    alice, project = world
    real_prepare = workspace.prepare

    def slow_prepare(*args, **kwargs):
        clock.now += 3600                   # the preparation took an hour
        return real_prepare(*args, **kwargs)

    started: list[float] = []

    def handler(spec):
        started.append(clock.now)
        clock.now += 1.0                    # ... and then the command ran its full second
        return FakeRun(hang=True)

    monkeypatch.setattr(workspace, "prepare", slow_prepare)
    sandbox.handler = handler
    task = submit(session, alice, project, timeout_seconds=1)
    assert jobs.run_task(task.id) == "timed_out"
    assert started, "the command never started: the preparation used up its time"
    assert sandbox.handles[0].killed and sandbox.handles[0].removed
    assert said(reload(session, task).failure_reason, "tasks.ended.timed_out")[0] == \
        "timed out after 1 s"


def test_stop_flag_counts_the_timeout_only_from_start_clock(fake_redis, clock):
    from worker.control import StopFlag
    stop = StopFlag(fake_redis, 1, timeout_seconds=10)
    clock.now += 10_000
    assert not stop() and not stop.timed_out            # before the command: no clock
    stop.start_clock()
    clock.now += 9.99
    assert not stop()
    stop.start_clock()                                  # once started, it stays started
    clock.now += 0.01
    assert stop() and stop.timed_out


@pytest.fixture
def every_commit(engine):
    """Calls ``check(connection)`` after every commit of any session (then removed)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    checks = []

    def after_commit(_session):
        with engine.connect() as conn:   # another connection: what any reader sees now
            for check in checks:
                check(conn)

    event.listen(OrmSession, "after_commit", after_commit)
    yield checks.append
    event.remove(OrmSession, "after_commit", after_commit)


def test_a_reader_that_sees_the_ending_has_every_event_before_it(session, world, sandbox,
                                                                  fake_redis, every_commit):
    """A reader may stop once the task's status is terminal: at that moment the database
    must already hold the whole stream, the final status event included."""
    from sqlalchemy import text
    alice, project = world
    sandbox.handler = lambda spec: FakeRun(output=[("stdout", b"last words\n")], exit_code=0)
    task = submit(session, alice, project)
    seen: list[tuple[str, list[str]]] = []

    def check(conn):
        status = conn.execute(text("SELECT status FROM task WHERE id = :i"),
                              {"i": task.id}).scalar()
        if status not in ("succeeded", "SUCCEEDED"):
            return
        rows = conn.execute(text("SELECT type, data FROM taskevent WHERE task_id = :i "
                                 "ORDER BY seq"), {"i": task.id}).all()
        # JSON text on SQLite, already decoded on PostgreSQL: one shape for the asserts.
        seen.append([(r.type, r.data if isinstance(r.data, dict) else json.loads(r.data))
                     for r in rows])  # asserted below, not in the job

    every_commit(check)
    assert jobs.run_task(task.id) == "succeeded"
    assert seen, "the check never saw the task succeeded"        # it did look
    first_sight = seen[0]
    assert ("output", {"stream": "stdout", "text": "last words\n"}) in first_sight
    assert first_sight[-1][0] == "status" and first_sight[-1][1]["status"] == "succeeded", \
        first_sight
    # Redis, the live copy, has the same events once the job is done.
    live = streams.decode_entries(fake_redis.xrange(streams.task_events_key(task.id)))
    assert [(e.seq, e.type) for e in live] == [(e.seq, e.type) for e in events(session, task)]
    assert live[-1].data == {"status": "succeeded", "reason": "", "exit_code": 0, "attempt": 1}


def test_output_the_pipe_could_not_store_lands_with_the_ending(session, world, sandbox,
                                                              monkeypatch):
    """The database blinked for every batch of the run: the ending's transaction
    stores what is left, so the stored stream has no hole before its end."""
    import functools

    from worker import output
    alice, project = world
    failed: list[int] = []

    def flaky_store(task_id, evs):
        if sandbox.handles:                 # from the command's start on: always fails
            failed.append(len(evs))
            raise RuntimeError("database is locked")
        output.store_events(task_id, evs)

    monkeypatch.setattr(jobs, "OutputPipe", functools.partial(output.OutputPipe,
                                                              store=flaky_store))
    sandbox.handler = lambda spec: FakeRun(output=[("stdout", b"one\n"), 0.6,
                                                   ("stdout", b"two\n")], exit_code=0)
    task = submit(session, alice, project)
    assert jobs.run_task(task.id) == "succeeded"
    assert failed, "the store never failed: the test proves nothing"
    evs = events(session, task)
    assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
    assert "".join(e.data["text"] for e in evs if e.type == "output") == "one\ntwo\n"
    assert evs[-1].type == "status" and evs[-1].data["status"] == "succeeded"


def test_a_superseded_attempt_leaves_no_ending_of_its_own(session, world, sandbox, fake_redis):
    """The reaper decided while this attempt still ran: its own "succeeded" is never
    written anywhere, so no reader sees two endings."""
    alice, project = world

    def handler(spec):
        with Session(session.get_bind()) as s:
            row = s.get(Task, spec.task_id)
            assert recovery.recover(s, fake_redis, row, reaper="me") == "failed"
        return FakeRun(exit_code=0)

    sandbox.handler = handler
    task = submit(session, alice, project)
    assert jobs.run_task(task.id) == "superseded"
    assert reload(session, task).status == TaskStatus.failed
    live = streams.decode_entries(fake_redis.xrange(streams.task_events_key(task.id)))
    for where in (events(session, task), live):
        assert [e.data["status"] for e in where if e.type == "status"][-1] == "failed"
        assert "succeeded" not in [e.data["status"] for e in where if e.type == "status"]


def test_a_second_run_of_the_same_task_does_nothing(session, world, sandbox):
    alice, project = world
    task = submit(session, alice, project)
    assert jobs.run_task(task.id) == "succeeded"
    assert jobs.run_task(task.id) == "not-queued"
    assert len(sandbox.specs) == 1


def test_an_undispatched_task_is_not_run(session, world, sandbox):
    alice, project = world
    first = submit(session, alice, project)
    second = submit(session, alice, project)          # limit 1: waits
    assert reload(session, second).dispatched_at is None
    assert jobs.run_task(second.id) == "not-queued"
    assert jobs.run_task(first.id) == "succeeded"
    # Finishing the first hands the second to RQ.
    assert reload(session, second).dispatched_at is not None


def _running(session, task, worker, started):
    task_queue.transition(session=session, task_id=task.id, from_statuses=[TaskStatus.queued],
                          to=TaskStatus.running,
                          values={"worker_name": worker, "attempt": task.attempt + 1,
                                  "command_started": started})
    return reload(session, task)


def test_reaper_requeues_a_task_whose_command_never_started(session, world, fake_redis):
    alice, project = world
    task = _running(session, submit(session, alice, project), "ghost", started=False)
    assert recovery.recover(session, fake_redis, task, reaper="me") == "queued"
    again = reload(session, task)
    assert (again.status, again.attempt) == (TaskStatus.queued, 1)
    assert again.dispatched_at is not None       # handed to RQ again, as attempt 2
    assert task_queue.job_id(again) == f"task-{task.id}-1"
    assert jobs.run_task(task.id) == "succeeded"
    assert reload(session, task).attempt == 2


def test_reaper_never_reruns_a_started_command(session, world, fake_redis):
    alice, project = world
    task = _running(session, submit(session, alice, project), "ghost", started=True)
    assert recovery.recover(session, fake_redis, task, reaper="me") == "failed"
    done = reload(session, task)
    assert said(done.failure_reason, "tasks.ended.lost_started")[0] == \
        "the worker running this task stopped unexpectedly"
    # A second reaper (or a late finish of the lost attempt) changes nothing.
    assert recovery.recover(session, fake_redis, done, reaper="other") is None
    assert not task_queue.transition(session=session, task_id=task.id,
                                     from_statuses=[TaskStatus.running],
                                     to=TaskStatus.succeeded, attempt=1)


def test_reaper_gives_up_after_three_attempts(session, world, fake_redis):
    alice, project = world
    task = submit(session, alice, project)
    task.attempt = 2
    session.add(task)
    session.commit()
    task = _running(session, task, "ghost", started=False)
    assert recovery.recover(session, fake_redis, task, reaper="me") == "failed"
    assert said(reload(session, task).failure_reason, "tasks.ended.lost_gave_up")[0] == \
        "the worker was lost before the command started, 3 times"


def test_reaper_waits_for_a_missing_heartbeat_to_stay_missing(session, world, fake_redis,
                                                              sandbox):
    alice, project = world
    task = _running(session, submit(session, alice, project), "ghost", started=True)
    reaper = recovery.Reaper(fake_redis, "me", lambda: sandbox, interval=1, grace=0.3)
    recovery.beat(fake_redis, "ghost", 30)
    reaper.step()
    fake_redis.delete(streams.worker_alive_key("ghost"))
    reaper.step()                                   # first seen missing: not yet
    assert reload(session, task).status == TaskStatus.running
    time.sleep(0.35)
    reaper.step()
    assert reload(session, task).status == TaskStatus.failed


# --- the task's own work is never lost, and never touched while its sandbox may live ---

def _agent_git(workdir, *args):
    import os
    import subprocess
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
           "GIT_AUTHOR_NAME": "agent", "GIT_AUTHOR_EMAIL": "agent@x",
           "GIT_COMMITTER_NAME": "agent", "GIT_COMMITTER_EMAIL": "agent@x",
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(workdir)}
    subprocess.run(["git", *args], cwd=workdir, env=env, check=True, capture_output=True)


def _system_notes(session, task) -> list[dict]:
    return [e.data for e in events(session, task) if e.type == "system"]


def test_a_commit_the_task_made_itself_is_published(session, world, sandbox):
    alice, project = world

    def handler(spec):
        (spec.workdir / "a.txt").write_text("x\n")
        _agent_git(spec.workdir, "add", "-A")
        _agent_git(spec.workdir, "commit", "-qm", "agent commit")
        return FakeRun(exit_code=0)

    sandbox.handler = handler
    task = submit(session, alice, project)
    assert jobs.run_task(task.id) == "succeeded"
    done = reload(session, task)
    repo = projects.project_repo_path(project)
    assert done.commit_sha and git.resolve(repo, f"refs/heads/{done.branch}") == done.commit_sha
    assert (done.files_changed, done.insertions, done.deletions) == (1, 1, 0)
    assert git.recent_commits(repo, done.branch)[0]["subject"] == "agent commit"


def test_nothing_changed_is_said_on_the_task_page(session, world, sandbox):
    alice, project = world
    task = submit(session, alice, project)
    assert jobs.run_task(task.id) == "succeeded"
    done = reload(session, task)
    assert done.commit_sha == "" and done.files_changed == 0
    assert {"key": "workspace.nothing_changed", "params": {}} in _system_notes(session, task)


class _StuckHandle:
    """A sandbox handle whose container cannot be removed (dockerd refuses)."""

    def __init__(self, inner):
        self.inner = inner
        self.remove_calls = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def remove(self):
        self.remove_calls += 1
        self.inner.kill()
        raise RuntimeError("dockerd: cannot remove container")


def test_host_git_never_runs_while_the_container_may_still_exist(session, world, sandbox,
                                                                 monkeypatch):
    from worker import git_workdir
    alice, project = world
    stuck: list[_StuckHandle] = []
    real_start = sandbox.start

    def start(spec):
        stuck.append(_StuckHandle(real_start(spec)))
        return stuck[-1]

    def handler(spec):
        (spec.workdir / "a.txt").write_text("x\n")
        return FakeRun(exit_code=0)

    sandbox.handler = handler
    monkeypatch.setattr(sandbox, "start", start)
    git_calls: list[str] = []  # host git on the working copy once the sandbox started

    def spy(name, real):
        def call(*a, **k):
            if stuck:
                git_calls.append(name)
            return real(*a, **k)
        return call

    for name in ("commit_all", "head", "diff_stat", "publish_branch", "neutralize"):
        monkeypatch.setattr(git_workdir, name, spy(name, getattr(git_workdir, name)))
    task = submit(session, alice, project)
    assert jobs.run_task(task.id) == "failed"
    done = reload(session, task)
    assert stuck and stuck[0].remove_calls >= 1          # the removal really failed
    assert git_calls == [], "host git ran on a working copy whose container may live"
    assert done.commit_sha == "" and not git.branch_exists(
        projects.project_repo_path(project), done.branch)
    from clawweb.i18n import stored
    assert stored.decode(done.failure_reason)["key"] == "workspace.sandbox_not_removed"
    assert any(n.get("key") == "workspace.sandbox_not_removed"
               for n in _system_notes(session, task))


def test_the_sandbox_is_the_backend_the_setting_names(settings, monkeypatch):
    from clawweb import settings as settings_mod
    from worker.sandbox import DockerSandbox

    box = jobs.make_sandbox("host-1")  # the default: Docker, named for its worker
    assert isinstance(box, DockerSandbox) and box.worker_name == "host-1"
    monkeypatch.setenv("CLAWWEB_SANDBOX_BACKEND", "fake")
    settings_mod.get_settings.cache_clear()
    assert isinstance(jobs.make_sandbox("host-1"), FakeSandbox)
