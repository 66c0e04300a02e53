"""Typed request and response models of the API, and how rows become them.

Only what a member of the project may see leaves: no password hashes, no token
hashes, no ciphertext, no worker internals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from clawweb import routes
from clawweb.i18n import stored
from clawweb.models import (TERMINAL_STATUSES, ApiToken, Approval, Priority, Project,
                            ProjectRole, Task, TaskStatus, User)
from clawweb.rest.deps import MAX_ID
from clawweb.services.tasks import reads as task_reads, service as task_service
from clawweb.settings import get_settings

Status = Literal["queued", "running", "awaiting_approval", "succeeded", "failed",
                 "cancelled", "timed_out", "interrupted"]
PriorityName = Literal["high", "normal", "low"]
RoleName = Literal["owner", "editor", "viewer"]
PermissionMode = Literal["", "default", "acceptEdits", "plan", "bypassPermissions"]

ProjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
ApprovalId = Annotated[int, Path(ge=1, le=MAX_ID)]
ProjectQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
# Seqs are numbered from 1; 0 means "from the start".
MAX_SEQ = 2**53


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _example(**values: Any) -> ConfigDict:
    """A request model's config with one example (the docs and the access test use it)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
    return value


def web_url(path: str) -> str:
    """An absolute link to a page of the web app."""
    return get_settings().origin + path


class ProjectOut(BaseModel):
    id: int
    name: str
    slug: str
    description: str
    default_branch: str
    role: RoleName
    created_at: datetime
    web_url: str


def project_out(project: Project, role: ProjectRole) -> ProjectOut:
    return ProjectOut(id=project.id, name=project.name, slug=project.slug,
                      description=project.description, default_branch=project.default_branch,
                      role=ProjectRole(role).value, created_at=_utc(project.created_at),
                      web_url=web_url(routes.project(project.id)))


class AttachmentOut(BaseModel):
    path: str = Field(description="where the file is in the task's working copy")
    name: str
    size: int = Field(description="bytes")


class TaskOut(BaseModel):
    id: int
    project_id: int
    kind: str
    title: str
    command: str = Field(description="the shell command, or the prompt of a Claude task")
    status: Status
    finished: bool
    priority: PriorityName
    trigger: str
    branch: str
    parent_id: int | None
    created_by: int | None
    attempt: int
    exit_code: int | None
    failure_reason: str = Field(description="why it ended, as stored: a catalog message "
                                "(JSON with key and params) or plain text")
    failure_text: str = Field(description="the same reason in English words")
    cancel_requested: bool
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    files_changed: int
    insertions: int
    deletions: int
    commit_sha: str
    cost_usd: float
    input_tokens: int
    output_tokens: int
    web_url: str
    model: str = Field(description="a Claude task's model: the one asked for, or after the "
                       "run the one that answered; \"\" for the project's default or a shell task")
    permission_mode: str = Field(description="a Claude task's permission mode as chosen "
                                 "(\"\": the project's); \"\" for a shell task")
    attachments: list[AttachmentOut] = Field(
        default_factory=list, description="files uploaded with the task (in one task's read)")


# TaskOut's fields that are a task column as it is.
_PLAIN_COLUMNS = ("id", "project_id", "kind", "title", "trigger", "branch", "parent_id",
                  "created_by", "attempt", "exit_code", "files_changed", "insertions",
                  "deletions", "commit_sha", "cost_usd", "input_tokens", "output_tokens",
                  "model", "permission_mode")


def _task_fields(row: Mapping[str, Any], origin: str,
                 attachments: list[dict] | None = None) -> dict[str, Any]:
    """``TaskOut``'s fields from a task's columns (``reads.ROW_COLUMNS``) and its attachments."""
    status = TaskStatus(row["status"])
    finished = status in TERMINAL_STATUSES
    reason = row["failure_reason"] or ""
    fields = {name: row[name] for name in _PLAIN_COLUMNS}
    fields.update(
        command=row["command"] or "", status=status.value, finished=finished,
        priority=Priority(row["priority"]).value, failure_reason=reason,
        failure_text=stored.render(reason) if reason else "",
        cancel_requested=row["cancel_requested_by"] is not None and not finished,
        queued_at=_utc(row["queued_at"]), started_at=_utc(row["started_at"]),
        finished_at=_utc(row["finished_at"]), web_url=origin + routes.task(row["id"]),
        attachments=[{"path": a["path"], "name": a["name"], "size": a["size"]}
                     for a in attachments or []])
    return fields


def task_out_of_row(row: Mapping[str, Any], attachments: list[dict] | None = None) -> TaskOut:
    """A task's ``TaskOut`` from its column mapping (``reads.get_task_row``)."""
    return TaskOut.model_validate(_task_fields(row, get_settings().origin, attachments))


def task_out(task: Task, attachments: list[dict] | None = None) -> TaskOut:
    return task_out_of_row({name: getattr(task, name) for name in task_reads.ROW_COLUMNS},
                           attachments)


# One validator for a whole page: pydantic-core walks the list in one call
# (measured: building 50 ``TaskOut``s one by one from ORM rows was a fifth of a list's CPU).
_TASK_OUTS = TypeAdapter(list[TaskOut])


def task_outs(rows: Sequence[Mapping[str, Any]]) -> list[TaskOut]:
    """``TaskOut``s of column mappings (``reads.list_task_rows``), as ``task_out`` shows them
    (without attachments: a list leaves them out)."""
    origin = get_settings().origin
    return _TASK_OUTS.validate_python([_task_fields(row, origin) for row in rows])


class ShellTaskIn(_Strict):
    model_config = _example(kind="shell", command="make test", priority="normal")
    kind: Literal["shell"]
    command: str = Field(min_length=1, max_length=task_service.MAX_COMMAND_BYTES,
                         description="run as `bash -lc <command>` in the task's container")
    priority: PriorityName = "normal"
    timeout_seconds: int | None = Field(default=None, ge=1,
                                        le=task_service.MAX_TIMEOUT_SECONDS,
                                        description="default: the project's")


class ClaudeTaskIn(_Strict):
    model_config = _example(kind="claude", prompt="Fix the failing test in tests/test_io.py")
    kind: Literal["claude"]
    prompt: str = Field(min_length=1, max_length=task_service.MAX_COMMAND_BYTES)
    priority: PriorityName = "normal"
    model: str = Field("", max_length=100,
                       description="one the project offers; empty: the project's")
    permission_mode: PermissionMode = Field(
        "", description="at most the project's mode allows; empty: the project's")


TaskIn = Annotated[ShellTaskIn | ClaudeTaskIn, Field(discriminator="kind")]


class FollowUpIn(_Strict):
    model_config = _example(prompt="Now add a test for the empty file")
    prompt: str = Field(min_length=1, max_length=task_service.MAX_COMMAND_BYTES)


class EventOut(BaseModel):
    seq: int
    ts: float
    type: str = Field(description="output | status | truncated | system | agent.<kind>")
    data: dict[str, Any]


class EventPage(BaseModel):
    events: list[EventOut]
    next_after: int = Field(description="pass as `after` to read on")
    task_status: Status
    finished: bool = Field(description="the task has ended and every stored event is here")


class ApprovalOut(BaseModel):
    id: int
    task_id: int
    project_id: int
    tool: str
    input: dict[str, Any]
    rule: str = Field(description="what allow_always would add; empty when it cannot")
    decision: str = Field(description="'' while pending, else allow | deny | allow_always | "
                                      "expired | withdrawn (its task ended first)")
    message: str
    created_at: datetime
    expires_at: datetime
    decided_by: int | None
    decided_at: datetime | None


def approval_out(row: Approval, project_id: int) -> ApprovalOut:
    from clawweb.services.approval_rules import rule_for

    return ApprovalOut(id=row.id, task_id=row.task_id, project_id=project_id,
                       tool=row.tool_name, input=row.tool_input or {},
                       rule=rule_for(row.tool_name, row.tool_input or {}) or "",
                       decision=row.decision, message=row.message,
                       created_at=_utc(row.created_at), expires_at=_utc(row.expires_at),
                       decided_by=row.decided_by, decided_at=_utc(row.decided_at))


class DecisionIn(_Strict):
    model_config = _example(decision="allow", message="")
    decision: Literal["allow", "deny", "allow_always"]
    message: str = Field(default="", max_length=2000,
                         description="with deny: told to the agent")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    project_id: int | None
    created_at: datetime
    expires_at: datetime | None


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Literal["admin", "member"]
    acting_role: Literal["admin", "member"] = Field(
        description="the role this token acts with (admin only with the admin scope)")
    token: TokenOut | None


def me_out(user: User, acting: User, token: ApiToken | None) -> MeOut:
    out = None
    if token is not None:
        out = TokenOut(id=token.id, name=token.name, prefix=token.prefix,
                       scopes=list(token.scopes or []), project_id=token.project_id,
                       created_at=_utc(token.created_at), expires_at=_utc(token.expires_at))
    return MeOut(id=user.id, username=user.username, display_name=user.display_name,
                 role=user.role.value, acting_role=acting.role.value, token=out)
