"""Approvals end with their run (real Redis): the ending withdraws them, the worker trusts the DB."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlmodel import Session, select

from clawweb import db, redis_conn, streams
from clawweb.i18n import stored
from clawweb.models import Approval, Project, ProjectMember, ProjectRole, Task, TaskStatus, User
from clawweb.services import approvals, git
from clawweb.services.projects import service as projects
from clawweb.services.tasks import service as tasks
from worker import jobs, recovery
from worker.agents import claude_approvals
from worker.sandbox import FakeRun, FakeSandbox

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def sandbox(monkeypatch):
    box = FakeSandbox()
    monkeypatch.setattr(jobs, "make_sandbox", lambda name: box)
    return box


@pytest.fixture
def world(session, redis_url, sandbox):
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=1)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    return alice, project


def _submit(session, user, project) -> Task:
    return tasks.submit_task(session=session, user=user, project_id=project.id, command="run",
                             idempotency_key=f"k-{time.monotonic_ns()}")


def _ask(task_id: int, tool_use_id: str = "toolu_1") -> int:
    with Session(db.get_engine(), expire_on_commit=False) as s:
        task = s.get(Task, task_id)
        return approvals.create_request(session=s, task=task, tool_use_id=tool_use_id,
                                        tool_name="Bash", tool_input={"command": "ls"},
                                        timeout_seconds=600).id


def _row(session, approval_id: int) -> Approval:
    session.expire_all()
    return session.get(Approval, approval_id)


def _changes(approval_id: int) -> list[bytes]:
    entries = redis_conn.get_redis().xrange(streams.approvals_changes_key())
    return [e[b"state"] for _, e in entries if e[b"approval_id"] == str(approval_id).encode()]


def test_a_finished_run_withdraws_its_open_request(session, world, sandbox):
    alice, project = world
    asked: list[int] = []

    def handler(spec):
        asked.append(_ask(spec.task_id))
        return FakeRun(output=[("stdout", b"done\n")], exit_code=0)

    sandbox.handler = handler
    task = _submit(session, alice, project)
    assert jobs.run_task(task.id) == "succeeded"
    row = _row(session, asked[0])
    assert row.decision == "withdrawn"
    assert stored.decode(row.message)["key"] == "approvals.withdrawn.finished"
    assert _changes(row.id) == [b"pending", b"withdrawn"]


def test_a_cancelled_run_withdraws_its_open_request(session, world, sandbox):
    alice, project = world
    asked: list[int] = []

    def handler(spec):
        asked.append(_ask(spec.task_id))
        return FakeRun(hang=True)

    sandbox.handler = handler
    task = _submit(session, alice, project)
    runner = threading.Thread(target=jobs.run_task, args=(task.id,))
    runner.start()
    while not asked:
        time.sleep(0.02)
    tasks.cancel_task(session=session, user=alice, task_id=task.id)
    runner.join(10)
    row = _row(session, asked[0])
    assert row.decision == "withdrawn"
    assert stored.decode(row.message)["key"] == "approvals.withdrawn.cancelled"
    with pytest.raises(Exception) as err:
        approvals.decide(session=session, user=alice, approval_id=row.id, decision="allow")
    assert err.value.key == "approvals.withdrawn"


def test_the_reaper_withdraws_the_requests_of_a_lost_run(session, world):
    alice, project = world
    task = _submit(session, alice, project)
    task.status, task.command_started, task.worker_name = TaskStatus.running, True, "ghost"
    session.add(task)
    session.commit()
    approval_id = _ask(task.id)
    assert recovery.recover(session, redis_conn.get_redis(), task, reaper="me") == "failed"
    row = _row(session, approval_id)
    assert row.decision == "withdrawn"
    assert stored.decode(row.message)["key"] == "approvals.withdrawn.lost"


def test_the_worker_ignores_an_answer_found_only_in_redis(session, world):
    """A value planted in Redis (by anything that can reach it) is not a decision."""
    alice, project = world
    task = _submit(session, alice, project)
    approval_id = _ask(task.id)
    redis_conn.get_redis().rpush(streams.approval_answer_key(approval_id),
                                 json.dumps({"decision": "allow", "message": "", "rule": ""}))
    answer = claude_approvals.wait_for_answer(approval_id, time.time() + 1.5, lambda: False)
    assert answer["decision"] == "expired"
    assert _row(session, approval_id).decision == "expired"


def test_the_worker_takes_the_decision_from_the_row(session, world):
    alice, project = world
    task = _submit(session, alice, project)
    approval_id = _ask(task.id)
    approvals.decide(session=session, user=alice, approval_id=approval_id, decision="deny",
                     message="use make")
    answer = claude_approvals.wait_for_answer(approval_id, time.time() + 5, lambda: False)
    assert (answer["decision"], answer["message"]) == ("deny", "use make")


def test_a_withdrawn_request_ends_the_wait_at_once(session, world):
    alice, project = world
    task = _submit(session, alice, project)
    approval_id = _ask(task.id)
    threading.Timer(0.3, lambda: approvals.withdraw_open(
        session=Session(db.get_engine()), task_id=task.id,
        reason="approvals.withdrawn.interrupted")).start()
    started = time.monotonic()
    answer = claude_approvals.wait_for_answer(approval_id, time.time() + 20, lambda: False)
    assert answer["decision"] == "withdrawn"
    assert time.monotonic() - started < 3
