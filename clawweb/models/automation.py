"""Automation: signed webhooks from forges, schedules (issue 12)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel

from clawweb.models.common import utcnow


class Webhook(SQLModel, table=True):
    """An inbound webhook of one project: a forge signs deliveries with ``secret``.

    ``key`` names it in the URL (``/api/hooks/<forge>/<key>``), so row ids stay
    private. Tasks it starts run as ``created_by`` with that user's rights at
    the time of the delivery. The rules are columns: push → a shell command,
    a comment starting with ``comment_command`` → a Claude task, a pull request
    opened → a review task.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    key: str = Field(index=True, unique=True, max_length=40)
    forge: str = Field(max_length=16)  # github | gitlab | gitea | generic
    name: str = Field(default="", max_length=100)
    secret_ciphertext: str = Field(default="", sa_column=Column(Text))
    enabled: bool = True
    created_by: Optional[int] = Field(default=None, foreign_key="user.id")
    push_enabled: bool = False
    push_branches: str = Field(default="", max_length=500)  # "" = the default branch
    push_command: str = Field(default="", sa_column=Column(Text))
    comment_enabled: bool = False
    comment_command: str = Field(default="/clawweb", max_length=40)
    comment_users: str = Field(default="", max_length=2000)  # forge logins allowed
    review_enabled: bool = False
    review_prompt: str = Field(default="", sa_column=Column(Text))
    last_delivery_at: Optional[datetime] = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)



class WebhookDelivery(SQLModel, table=True):
    """One request to a webhook, accepted or refused, and what came of it.

    ``dedupe_id`` is set only once the signature holds, so a forged request
    can never take the id of a real delivery; the unique constraint makes a
    replay of a verified one fail to insert.
    """

    __table_args__ = (UniqueConstraint("webhook_id", "dedupe_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id", index=True, ondelete="CASCADE")
    received_at: datetime = Field(default_factory=utcnow, index=True)
    delivery_id: str = Field(default="", max_length=100)
    dedupe_id: Optional[str] = Field(default=None, max_length=100)
    event: str = Field(default="", max_length=64)
    # accepted | processing | done | ignored | failed | refused
    status: str = Field(default="accepted", max_length=16, index=True)
    reason: str = Field(default="", max_length=100)  # a message key
    params: dict = Field(default_factory=dict, sa_column=Column(JSON))
    task_id: Optional[int] = Field(default=None, foreign_key="task.id", ondelete="SET NULL")
    payload: str = Field(default="", sa_column=Column(Text))  # cleared once processed
    size: int = 0
    ip: str = ""
    processed_at: Optional[datetime] = None



class Schedule(SQLModel, table=True):
    """A task template that runs by cron (in a time zone) or at a fixed interval.

    ``next_run_at`` is the compare-and-set point: whoever moves it from the
    value it read fires that due time, so every due time fires once however
    many loops run. None while paused.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    name: str = Field(default="", max_length=100)
    created_by: Optional[int] = Field(default=None, foreign_key="user.id")
    kind: str = Field(default="shell", max_length=16)  # shell | claude
    command: str = Field(default="", sa_column=Column(Text))
    priority: str = Field(default="normal", max_length=8)
    timeout_seconds: Optional[int] = None  # None = the project's
    # A Claude schedule's choices ("": the project's at each run); "" for shell.
    model: str = Field(default="", max_length=100)
    permission_mode: str = Field(default="", max_length=32)
    cron: str = Field(default="", max_length=120)
    timezone: str = Field(default="UTC", max_length=64)
    interval_seconds: int = 0
    paused: bool = False
    next_run_at: Optional[datetime] = Field(default=None, index=True)
    missed_policy: str = Field(default="once", max_length=8)  # skip | once | each
    missed_cap: int = 5
    overlap_policy: str = Field(default="skip", max_length=8)  # skip | queue | cancel
    max_retries: int = 2
    retry_delay_seconds: int = 60  # doubles for each further attempt
    last_fired_at: Optional[datetime] = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)



class ScheduleRun(SQLModel, table=True):
    """One due time of a schedule (one attempt of it), and its task."""

    __table_args__ = (UniqueConstraint("schedule_id", "due_at", "attempt"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True, ondelete="CASCADE")
    due_at: datetime
    attempt: int = 1
    trigger: str = Field(default="schedule", max_length=16)  # schedule | missed | run_now | retry
    # pending | starting | waiting | queued | running | succeeded | failed | skipped | cancelled
    status: str = Field(default="pending", max_length=16, index=True)
    not_before: Optional[datetime] = None  # a retry waits for its back-off
    task_id: Optional[int] = Field(default=None, foreign_key="task.id", ondelete="SET NULL")
    reason: str = Field(default="", max_length=100)  # a message key
    params: dict = Field(default_factory=dict, sa_column=Column(JSON))
    notified: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: Optional[datetime] = None
