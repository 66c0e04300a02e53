"""The REST API driven over real HTTP: one real backend (and redis-server) for this package.

Objects are made through the services, straight into the server's database
(``point_process_at``); every request goes over loopback HTTP to the backend.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest

from tests.support.api_server import ApiServer, point_process_at
from tests.support.services import RedisServer

VICTIM_SECRETS = ("victim-secret-project", "victim-secret-command", "victim-secret-output",
                  "victim-secret-approval")


@pytest.fixture(scope="package")
def api_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("rest")
    redis = RedisServer(base / "redis").start()
    # A high limit: these tests make many calls; the limit itself is tested apart.
    server = ApiServer(base, redis.url,
                       extra_env={"CLAWWEB_API_RATE_LIMIT_PER_MINUTE": "100000"})
    try:
        server.start()
    except BaseException:
        server.stop()
        redis.stop()
        raise
    restore = point_process_at(server)
    yield server
    restore()
    server.stop()
    redis.stop()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_user(name: str | None = None, role: str = "member") -> int:
    from clawweb.db import session_scope
    from clawweb.models import Role, User

    with session_scope() as s:
        user = User(username=name or unique("user"), role=Role(role), password_hash="!")
        s.add(user)
        s.flush()
        return user.id


def make_project(owner_id: int, name: str | None = None,
                 members: dict[int, str] | None = None) -> int:
    from clawweb.db import session_scope
    from clawweb.models import ProjectMember, ProjectRole, User
    from clawweb.services import projects

    with session_scope() as s:
        project = projects.create_project(session=s, user=s.get(User, owner_id),
                                          name=name or unique("project"))
        for user_id, role in (members or {}).items():
            s.add(ProjectMember(project_id=project.id, user_id=user_id,
                                role=ProjectRole(role)))
        return project.id


def make_task(project_id: int, user_id: int, *, command: str = "echo hi",
              status: str = "succeeded", kind: str = "shell", **values) -> int:
    """A task row as a worker would have left it (no worker runs in this package)."""
    from clawweb.db import session_scope
    from clawweb.models import Task, TaskEvent, TaskStatus, utcnow

    with session_scope() as s:
        task = Task(project_id=project_id, created_by=user_id, command=command, kind=kind,
                    title=command[:80], status=TaskStatus(status), branch="",
                    idempotency_key=uuid.uuid4().hex, **values)
        if task.status.value in ("succeeded", "failed", "cancelled", "timed_out"):
            task.finished_at = utcnow()
        s.add(task)
        s.flush()
        task.branch = f"clawweb/task-{task.id}"
        s.add(TaskEvent(task_id=task.id, seq=1, ts=0.0, type="output",
                        data={"stream": "stdout", "text": f"{command}\n"}))
        return task.id


def make_approval(task_id: int, tool_input: dict | None = None) -> int:
    from clawweb.db import session_scope
    from clawweb.models import Approval, Task, utcnow

    with session_scope() as s:
        task = s.get(Task, task_id)
        row = Approval(task_id=task_id, tool_use_id=uuid.uuid4().hex, tool_name="Bash",
                       tool_input=tool_input or {"command": "ls"},
                       requested_by=task.created_by,
                       expires_at=utcnow() + timedelta(hours=1))
        s.add(row)
        s.flush()
        return row.id


def make_token(user_id: int, scopes: list[str], project_id: int | None = None,
               name: str = "test") -> str:
    from clawweb.db import session_scope
    from clawweb.models import User
    from clawweb.services import api_tokens

    with session_scope() as s:
        _row, raw = api_tokens.create_token(session=s, user=s.get(User, user_id), name=name,
                                            scopes=scopes, project_id=project_id)
        return raw


def token_id(raw: str) -> int:
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import ApiToken
    from clawweb.services.auth_sessions import hash_token

    with session_scope() as s:
        return s.exec(select(ApiToken.id).where(ApiToken.token_hash == hash_token(raw))).one()


def client(server: ApiServer, token: str | None = None, **headers) -> httpx.Client:
    """An HTTP client of the API; never through a proxy (loopback only)."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=server.api, headers=headers, timeout=15, trust_env=False)


@dataclass
class World:
    """A victim with a project, tasks, output and a pending approval; a member of
    nothing (mallory); an admin (root) with a project of their own."""

    victim: int
    victim_project: int
    victim_task: int
    victim_claude_task: int
    victim_approval: int
    mallory: int
    root: int
    root_project: int
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="package")
def world(api_server) -> World:
    victim, mallory = make_user(unique("victim")), make_user(unique("mallory"))
    root = make_user(unique("root"), role="admin")
    project = make_project(victim, name=unique("victim-secret-project"))
    task = make_task(project, victim, command="echo victim-secret-command")
    running = make_task(project, victim, command="echo victim-secret-command running",
                        status="awaiting_approval")
    claude = make_task(project, victim, command="victim-secret-command prompt", kind="claude",
                       agent_session_id="victim-session")
    approval = make_approval(running, {"command": "victim-secret-approval"})
    from clawweb.db import session_scope
    from clawweb.models import TaskEvent

    with session_scope() as s:
        s.add(TaskEvent(task_id=task, seq=2, ts=0.0, type="output",
                        data={"stream": "stdout", "text": "victim-secret-output\n"}))
    w = World(victim=victim, victim_project=project, victim_task=task,
              victim_claude_task=claude, victim_approval=approval, mallory=mallory,
              root=root, root_project=make_project(root))
    # Every path or query parameter an operation may name, as the victim's object.
    # A new kind of id (e.g. schedule_id) needs its victim object here.
    w.ids = {"project_id": project, "task_id": task, "approval_id": approval}
    return w
