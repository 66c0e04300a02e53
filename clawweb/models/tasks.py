"""Tasks, their uploaded files, their durable event log and tool approvals."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel

from clawweb.models.common import Priority, TaskStatus, utcnow


class Task(SQLModel, table=True):
    __table_args__ = (Index("ix_task_project_status", "project_id", "status"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    created_by: Optional[int] = Field(default=None, foreign_key="user.id", index=True)
    kind: str = "shell"  # key of worker.agents.ADAPTERS
    command: str = Field(default="", sa_column=Column(Text))
    title: str = ""
    priority: Priority = Priority.normal
    trigger: str = "ui"  # ui | api | webhook | schedule
    status: TaskStatus = Field(default=TaskStatus.queued, index=True)
    branch: str = ""
    parent_id: Optional[int] = Field(default=None, foreign_key="task.id")
    # Guards against double submits: the browser sends one key per click.
    idempotency_key: Optional[str] = Field(default=None, unique=True, max_length=64)
    timeout_seconds: int = 1800
    attempt: int = 0
    # Set the moment the command is handed to the sandbox: from then on a
    # failure is never retried automatically (the command may have had effects).
    command_started: bool = False
    worker_name: str = ""
    exit_code: Optional[int] = None
    failure_reason: str = ""
    cancelled_by: Optional[int] = Field(default=None, foreign_key="user.id")
    output_bytes: int = 0
    output_dropped_bytes: int = 0
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0
    commit_sha: str = ""
    # Shipping: "" | merged | discarded; the default branch's tip the merge made,
    # and the base the review diffed against (a merged branch keeps showing it).
    merge_state: str = Field(default="", max_length=16)
    merged_sha: str = ""
    merge_base_sha: str = ""
    merged_at: Optional[datetime] = None
    # Agent runs (Claude Code): session to resume, usage and cost.
    agent_session_id: str = ""
    # The model and permission mode chosen for this prompt ("": the project's at
    # run time, for rows made before the choice existed); see services.agents.choices.
    model: str = ""
    permission_mode: str = Field(default="", max_length=32)
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    # Shipping (clawweb.services.remotes): the last commit pushed to the
    # project's remote, and the pull/merge request opened for the branch.
    pushed_sha: str = ""
    pushed_at: Optional[datetime] = None
    pr_url: str = ""
    pr_number: int = 0
    pr_state: str = ""  # "" none | opening | open | closed | merged
    queued_at: datetime = Field(default_factory=utcnow)
    # Set when the current attempt was handed to RQ; queued tasks without it
    # wait for a free slot under the project's concurrency limit.
    dispatched_at: Optional[datetime] = None
    # Who asked to stop a running task (the worker also polls this, so a cancel
    # survives a Redis blip); the worker copies it to cancelled_by.
    cancel_requested_by: Optional[int] = Field(default=None, foreign_key="user.id")
    started_at: Optional[datetime] = None
    finished_at: Optional[datetime] = None
    updated_at: datetime = Field(default_factory=utcnow)



class TaskAttachment(SQLModel, table=True):
    """A file uploaded for a task's prompt (attach-u).

    The bytes live at ``settings.attachments_dir / upload_id`` (never under the
    user's name); ``task_id`` is None while the upload waits for its task.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    upload_id: str = Field(unique=True, max_length=32)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True)
    task_id: Optional[int] = Field(default=None, foreign_key="task.id", index=True,
                                   ondelete="CASCADE")
    name: str = Field(max_length=255)  # sanitised: the file's name in attachments/
    size: int = 0
    created_at: datetime = Field(default_factory=utcnow)



class TaskEvent(SQLModel, table=True):
    """Durable copy of a task's event stream, written by the worker in batches.

    ``seq`` is the same number the Redis stream carries, so a reader can
    switch between the two without a gap or a duplicate.
    """

    __table_args__ = (UniqueConstraint("task_id", "seq"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    seq: int
    ts: float
    type: str = Field(max_length=32)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON))



class Approval(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("task_id", "tool_use_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    tool_use_id: str = Field(max_length=128)
    tool_name: str
    tool_input: dict = Field(default_factory=dict, sa_column=Column(JSON))
    requested_by: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    decision: str = ""  # "" pending | allow | deny | allow_always | expired | withdrawn
    message: str = ""
    decided_by: Optional[int] = Field(default=None, foreign_key="user.id")
    decided_at: Optional[datetime] = None
