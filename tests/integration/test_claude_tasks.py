"""Claude Code tasks through the whole engine: service -> queue -> `python -m worker` ->
adapter -> the real CLI in the runner container -> egress bridge -> the scripted
API on loopback. Nothing between the service call and the fake model is faked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import uuid

import pytest
from sqlmodel import select

from clawweb import redis_conn
from clawweb.i18n import t
from clawweb.models import (
    AgentSettings, Project, ProjectMember, ProjectRole, Task, TaskEvent, TaskStatus, User,
)
from clawweb.services import approvals, git
from clawweb.services.agents import credentials, tasks as agent_tasks
from clawweb.services.tasks import service as tasks
from clawweb.services.projects import service as projects
from clawweb.services.errors import InvalidInput
from tests.fixtures.fake_anthropic import FakeAnthropic, hang, text, tool_use
from tests.integration.test_task_engine import Fleet, finished, task_now, wait_for
from tests.support.said import said
from tests.support.services import need_docker

SECRET = "sk-ant-api03-ENGINESECRET-" + "q7" * 20


@pytest.fixture
def api(monkeypatch):
    fake = FakeAnthropic().start()
    # Read by the worker processes (Fleet copies this environment).
    monkeypatch.setenv("CLAWWEB_ANTHROPIC_BASE_URL", fake.url)
    monkeypatch.setenv("CLAWWEB_CLAUDE_API_MAX_RETRIES", "0")
    monkeypatch.setenv("CLAWWEB_CLAUDE_API_TIMEOUT_MS", "20000")
    monkeypatch.setenv("CLAWWEB_LOG_LEVEL", "DEBUG")
    yield fake
    fake.stop()


@pytest.fixture
def fleet(tmp_path, redis_url, settings, engine, api, monkeypatch):
    need_docker()
    # The workers' egress proxies resolve no name (no project here lists a host):
    # each name one was asked lands in this file, which must stay empty.
    asked = tmp_path / "resolver-asked.txt"
    monkeypatch.setenv("TEST_EGRESS_RESOLVER_LOG", str(asked))
    f = Fleet(tmp_path, redis_url, settings.data_dir, module="tests.support.worker_no_dns")
    yield f
    api.stop()  # releases hung replies so nothing waits on them
    f.stop()
    assert f.containers() == [], "containers left behind"
    assert not asked.exists(), f"a proxy resolved {asked.read_text()!r}"
    ws = settings.workspaces_dir
    assert not ws.exists() or list(ws.iterdir()) == [], "working copies left behind"


@pytest.fixture
def world(session, fleet):
    alice = User(username="alice")
    project = Project(name="P", slug="p", max_concurrent_tasks=2, memory_mb=1024)
    session.add_all([alice, project])
    session.flush()
    session.add(ProjectMember(project_id=project.id, user_id=alice.id, role=ProjectRole.owner))
    # A forgotten approval must not hold a test for the default half hour.
    session.add(AgentSettings(project_id=project.id, approval_timeout_seconds=60))
    session.commit()
    git.init_empty(projects.project_repo_path(project), branch="main")
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=SECRET)
    return alice, project


def agent(session, project, **values) -> None:
    row = session.get(AgentSettings, project.id)
    for k, v in values.items():
        setattr(row, k, v)
    session.add(row)
    session.commit()


def ask(session, user, project, prompt) -> Task:
    return agent_tasks.submit_prompt(session=session, user=user, project_id=project.id,
                                     prompt=prompt, idempotency_key=uuid.uuid4().hex)


def follow(session, user, task, prompt) -> Task:
    return agent_tasks.follow_up(session=session, user=user, task_id=task.id, prompt=prompt,
                                 idempotency_key=uuid.uuid4().hex)


def show(project, rev: str) -> str:
    repo = projects.project_repo_path(project)
    return subprocess.run(["git", "--git-dir", str(repo), "show", rev], capture_output=True,
                          text=True, check=True).stdout


def ok(task: Task) -> Task:
    assert task.status == TaskStatus.succeeded, task.failure_reason
    return task


def until_model_asked(api, count: int = 1) -> None:
    wait_for(lambda: len(api.main_requests) >= count, 90, "the CLI to ask the model")


def test_a_run_commits_its_files_and_records_usage(session, fleet, world, api):
    alice, project = world
    fleet.start(1)
    agent(session, project, permission_mode="acceptEdits")
    api.push(tool_use("Write", {"file_path": "/workspace/app.py", "content": "x = 1\ny = 2\n"}),
             tool_use("Edit", {"file_path": "/workspace/app.py", "old_string": "y = 2",
                               "new_string": "y = 3"}),
             text("Wrote and edited app.py.", output_tokens=40))
    task = ok(finished(session, ask(session, alice, project, "Write app.py").id))
    assert show(project, f"{task.branch}:app.py") == "x = 1\ny = 3\n"
    assert git.resolve(projects.project_repo_path(project), task.branch) == task.commit_sha
    assert task.files_changed == 1 and task.insertions == 2
    assert task.input_tokens > 0 and task.output_tokens >= 80 and task.cost_usd > 0
    assert task.turns == 3 and task.agent_session_id


def test_follow_up_on_another_worker_continues_branch_and_conversation(session, fleet, world,
                                                                       api):
    alice, project = world
    (first_worker,) = fleet.start(1)
    agent(session, project, permission_mode="acceptEdits")
    api.push(tool_use("Write", {"file_path": "/workspace/a.txt", "content": "one\n"}),
             text("The secret word is pineapple."))
    first = ok(finished(session, ask(session, alice, project, "Remember a word").id))
    # The first worker leaves; only a fresh process can run the follow-up.
    fleet.procs[first_worker].send_signal(signal.SIGTERM)
    assert fleet.procs[first_worker].wait(60) == 0
    fleet.start(1)
    api.push(tool_use("Write", {"file_path": "/workspace/b.txt", "content": "two\n"}),
             text("It was pineapple."))
    second = ok(finished(session, follow(session, alice, first, "What was the word?").id))
    assert second.worker_name != first.worker_name
    assert (second.parent_id, second.branch) == (first.id, first.branch)
    body = api.main_requests[-1].text()
    assert "Remember a word" in body and "The secret word is pineapple." in body
    assert second.agent_session_id == first.agent_session_id
    # Both runs' files on the one branch, the follow-up's commit on top of the first.
    assert show(project, f"{first.branch}:a.txt") == "one\n"
    assert show(project, f"{first.branch}:b.txt") == "two\n"
    assert git.resolve(projects.project_repo_path(project), f"{second.commit_sha}^") \
        == first.commit_sha
    assert second.files_changed == 1
    thread = agent_tasks.thread(session=session, user=alice, task_id=first.id)
    assert [x.id for x in thread] == [first.id, second.id]


def test_interrupt_mid_turn_then_follow_up(session, fleet, world, api):
    alice, project = world
    fleet.start(1)
    api.push(hang())
    task = ask(session, alice, project, "Work forever")
    until_model_asked(api)
    agent_tasks.interrupt(session=session, user=alice, task_id=task.id)
    done = finished(session, task.id, timeout=60)
    assert done.status == TaskStatus.interrupted
    assert "Interrupted" in said(done.failure_reason, "agents.interrupted")[0]
    assert done.exit_code == 130 and done.agent_session_id
    assert fleet.containers(task.id) == []
    with pytest.raises(InvalidInput):  # nothing to interrupt any more
        agent_tasks.interrupt(session=session, user=alice, task_id=task.id)
    api.push(text("Resumed fine."))
    ok(finished(session, follow(session, alice, done, "carry on").id))
    assert "Work forever" in api.main_requests[-1].text()


def test_cancel_mid_turn_removes_the_container(session, fleet, world, api):
    alice, project = world
    fleet.start(1)
    api.push(hang())
    task = ask(session, alice, project, "Work forever")
    until_model_asked(api)
    assert fleet.containers(task.id), "the container should be running"
    tasks.cancel_task(session=session, user=alice, task_id=task.id)
    done = finished(session, task.id, timeout=30)
    assert (done.status, done.cancelled_by) == (TaskStatus.cancelled, alice.id)
    assert fleet.containers(task.id) == []


def test_no_credential_is_refused_or_fails_at_once(session, fleet, world, api):
    alice, project = world
    credentials.delete_user_credential(session=session, user=alice)
    with pytest.raises(InvalidInput) as exc:
        ask(session, alice, project, "anything")
    assert exc.value.key == "agent_tasks.no_credential"
    # Queued with a credential that is gone by the time a worker takes it.
    credentials.set_user_credential(session=session, user=alice, kind="api_key", secret=SECRET)
    task = ask(session, alice, project, "too late")
    credentials.delete_user_credential(session=session, user=alice)
    fleet.start(1)
    done = finished(session, task.id, timeout=60)
    assert done.status == TaskStatus.failed
    assert said(done.failure_reason, "credentials.missing")[0] == t("credentials.missing")
    assert api.requests == [] and not done.command_started


def _container_env(fleet, task_id: int) -> str:
    (name,) = fleet.containers(task_id)
    return subprocess.run(["docker", "inspect", "--format", "{{json .Config.Env}}", name],
                          capture_output=True, text=True, check=True).stdout


def _redis_dump() -> str:
    r = redis_conn.get_redis()
    out = []
    for key in r.scan_iter(count=1000):
        kind = r.type(key).decode()
        reader = {"string": r.get, "list": lambda k: r.lrange(k, 0, -1), "hash": r.hgetall,
                  "set": r.smembers, "zset": lambda k: r.zrange(k, 0, -1, withscores=True),
                  "stream": r.xrange}.get(kind)
        out.append(repr((key, reader(key) if reader else None)))
    return "\n".join(out)


def test_the_credential_never_leaves_the_worker(session, fleet, world, api, tmp_path):
    alice, project = world
    fleet.start(1)
    agent(session, project, allowed_tools=["Bash"])
    api.push(tool_use("Bash", {"command": "env; sleep 5; echo probe-done",
                               "description": "look around"}),
             text("Done."))
    task = ask(session, alice, project, "Probe")
    wait_for(lambda: fleet.containers(task.id), 90, "the container")
    env = _container_env(fleet, task.id)
    # The inspection read this container's env (the task's own env reaches its
    # command through the waiter's stdin, worker/sandbox/slots.py, not through it).
    assert "TINI_KILL_PROCESS_GROUP=1" in env
    ok(finished(session, task.id))
    assert api.main_requests[0].headers.get("x-api-key") == SECRET  # it was used
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    events = _events_text(session, task.id)
    redis_text = _redis_dump()
    assert "ANTHROPIC_API_KEY=sk-ant-placeholder" in events  # the env dump reached the events
    assert f"task-{task.id}-" in logs  # the worker did log this task's job
    for where, blob in (("container env", env), ("worker logs", logs),
                        ("task events", events), ("redis", redis_text)):
        assert SECRET not in blob and "ENGINESECRET" not in blob, f"secret in {where}"


def _events_text(session, task_id: int) -> str:
    session.expire_all()
    rows = session.exec(select(TaskEvent).where(TaskEvent.task_id == task_id)).all()
    return json.dumps([r.data for r in rows], ensure_ascii=False)


def test_an_approval_answered_from_the_web_side(session, fleet, world, api):
    alice, project = world
    fleet.start(1)
    api.push(tool_use("Bash", {"command": "echo approved > /workspace/ok.txt",
                               "description": "write ok"}),
             text("Wrote ok.txt."))
    task = ask(session, alice, project, "Write ok.txt")
    wait_for(lambda: task_now(session, task.id).status == TaskStatus.awaiting_approval, 90,
             "the task to await approval")
    (pending,) = approvals.pending_for(session=session, user=alice, task_id=task.id)
    assert pending.tool_name == "Bash"
    assert task_now(session, task.id).status == TaskStatus.awaiting_approval
    approvals.decide(session=session, user=alice, approval_id=pending.id, decision="allow")
    done = ok(finished(session, task.id))
    assert show(project, f"{done.branch}:ok.txt") == "approved\n"

