"""Harness for Claude adapter tests: the real CLI in the real runner container,
reaching the scripted API (tests/fixtures/fake_anthropic.py) only through the
egress bridge and proxy. Builds the AgentContext the job would build.

The proxy never asks the system's DNS here: ``claude_env`` replaces its default
resolver with a ``MapResolver`` that maps the real-looking names a test's agent
may try (``REAL_LOOKING``) to a loopback ``CountingServer``. A broken allow-list
check shows as a resolver call (``h.resolver.calls``) and, if the private-address
check broke too, as a counted connection (``h.counter.connections``); nothing
ever leaves the machine.
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from clawweb.models import AgentSettings, Project, ProjectMember, ProjectRole, Task, TaskStatus, User
from clawweb.services.agents import credentials
from tests.fixtures.fake_anthropic import FakeAnthropic
from tests.worker.egress_support import CountingServer, MapResolver
from tests.worker.sandbox_support import docker_sandbox, make_workdir  # noqa: F401
from worker.agents.base import AgentContext, AgentResult
from worker.agents.claude import ClaudeAgent
from worker.sandbox.base import Limits

API_KEY = "sk-ant-api03-REALSECRET-" + "x9" * 20
# Names an agent in these tests may try to reach (or the CLI on its own).
REAL_LOOKING = ("example.com", "example.org", "evil.test", "github.com", "pypi.org",
                "api.anthropic.com", "statsig.anthropic.com", "sentry.io")


@dataclass
class Harness:
    session: Any
    sandbox: Any
    api: FakeAnthropic
    user: User
    project: Project
    root: Path
    resolver: MapResolver
    counter: CountingServer
    events: list[tuple[str, dict]] = field(default_factory=list)
    output: list[tuple[str, bytes]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def settings(self, **values) -> AgentSettings:
        row = self.session.get(AgentSettings, self.project.id) or AgentSettings(
            project_id=self.project.id)
        for k, v in values.items():
            setattr(row, k, v)
        self.session.add(row)
        self.session.commit()
        return row

    def task(self, prompt: str, **kw) -> Task:
        task = Task(project_id=self.project.id, created_by=self.user.id, kind="claude",
                    command=prompt, status=TaskStatus.running, **kw)
        self.session.add(task)
        self.session.commit()
        return task

    def run(self, task: Task, workdir: Path | None = None) -> AgentResult:
        workdir = workdir or self.workdir()
        ctx = AgentContext(
            task=task, project=self.project, sandbox=self.sandbox, workdir=workdir,
            limits=Limits(memory_mb=1024, pids=256), worker_name="test-worker",
            emit=lambda t, d: self.events.append((t, json.loads(json.dumps(d)))),
            emit_output=lambda s, b: self.output.append((s, b)),
            should_stop=self.stop.is_set, mark_started=lambda: None,
        )
        return ClaudeAgent().run(ctx)

    def workdir(self) -> Path:
        if not hasattr(self, "_workdir"):
            self.root.mkdir(parents=True, exist_ok=True)
            self._workdir = make_workdir(self.root)
        return self._workdir

    def of(self, type_: str) -> list[dict]:
        return [d for t, d in self.events if t == type_]

    def reload(self, task: Task) -> Task:
        self.session.expire_all()
        return self.session.get(Task, task.id)


@pytest.fixture
def claude_env(tmp_path, monkeypatch, settings, engine, session, redis_url, docker_sandbox):
    """Settings, DB, Redis, a user with a key, a project, the fake API, the real sandbox,
    and the proxy's resolver (see the module docstring)."""
    from worker.egress import dial

    api = FakeAnthropic().start()
    counter = CountingServer().start()
    resolver = MapResolver({name: ["127.0.0.1"] for name in REAL_LOOKING})
    # ClaudeAgent builds its proxy with the default resolver, read at construction.
    monkeypatch.setattr(dial, "system_resolver", resolver)
    monkeypatch.setenv("CLAWWEB_ANTHROPIC_BASE_URL", api.url)
    monkeypatch.setenv("CLAWWEB_CLAUDE_API_MAX_RETRIES", "0")
    monkeypatch.setenv("CLAWWEB_CLAUDE_API_TIMEOUT_MS", "8000")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    user = User(username="alice")
    session.add(user)
    session.commit()
    project = Project(name="demo", slug="demo", created_by=user.id)
    session.add(project)
    session.commit()
    session.add(ProjectMember(project_id=project.id, user_id=user.id, role=ProjectRole.owner))
    session.commit()
    credentials.set_user_credential(session=session, user=user, kind="api_key", secret=API_KEY)
    h = Harness(session=session, sandbox=docker_sandbox, api=api, user=user, project=project,
                root=tmp_path / "work", resolver=resolver, counter=counter)
    # A test that forgets to answer must not wait the default half hour.
    h.settings(approval_timeout_seconds=20)
    yield h
    h.stop.set()
    api.stop()
    counter.stop()
    # No test here lists a host: a name the proxy resolved means its allow-list let
    # one through.
    assert resolver.calls == [] and counter.connections == 0, (resolver.calls, counter.connections)




def answer_approvals(h: Harness, decisions: list[tuple[str, str]], *, timeout: float = 60.0):
    """A thread that answers the next pending approvals like a person in a browser would."""
    from sqlmodel import Session

    from clawweb import db
    from clawweb.services import approvals

    answered: list[int] = []

    def loop():
        import time
        deadline = time.time() + timeout
        queue = list(decisions)
        while queue and time.time() < deadline and not h.stop.is_set():
            with Session(db.get_engine()) as s:
                user = s.get(User, h.user.id)
                pending = approvals.pending_for(session=s, user=user)
                for row in pending:
                    if row.id in answered or not queue:
                        continue
                    decision, message = queue.pop(0)
                    approvals.decide(session=s, user=user, approval_id=row.id,
                                     decision=decision, message=message)
                    answered.append(row.id)
            time.sleep(0.2)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return answered


def task_containers(h: Harness, task_id: int) -> list[str]:
    """This test's containers for the task (other runs may share the dockerd)."""
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=clawweb.task={task_id}",
                          "--filter", f"label=clawweb={h.sandbox.instance}"],
                         capture_output=True, text=True).stdout
    return out.split()
