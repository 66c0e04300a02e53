"""Objects for tests that drive the API or the CLI: made through the services,
straight into the database the test process points at (``point_process_at``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from tests.support.api_server import ApiServer


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
    from clawweb.services.projects import service as projects

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
    from clawweb.services.accounts import api_tokens

    with session_scope() as s:
        _row, raw = api_tokens.create_token(session=s, user=s.get(User, user_id), name=name,
                                            scopes=scopes, project_id=project_id)
        return raw


def token_id(raw: str) -> int:
    from sqlmodel import select

    from clawweb.db import session_scope
    from clawweb.models import ApiToken
    from clawweb.services.accounts.auth_sessions import hash_token

    with session_scope() as s:
        return s.exec(select(ApiToken.id).where(ApiToken.token_hash == hash_token(raw))).one()


def client(server: ApiServer, token: str | None = None, **headers) -> httpx.Client:
    """An HTTP client of the API; never through a proxy (loopback only)."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=server.api, headers=headers, timeout=15, trust_env=False)
