"""What the table modules share: UTC timestamps, roles, task statuses, priorities."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Optional


def iso_utc(value: Optional[datetime]) -> str:
    """ISO 8601 with an explicit UTC offset ("" for None), for read models.

    SQLite hands timestamps back naive; they are UTC by convention here.
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Role(str, enum.Enum):
    admin = "admin"
    member = "member"


class ProjectRole(str, enum.Enum):
    owner = "owner"
    editor = "editor"
    viewer = "viewer"


# Rank for "at least this role" checks.
PROJECT_ROLE_RANK = {ProjectRole.viewer: 1, ProjectRole.editor: 2, ProjectRole.owner: 3}


class TaskStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    awaiting_approval = "awaiting_approval"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    timed_out = "timed_out"
    # The user stopped the agent's turn: its own outcome, ready for a follow-up.
    interrupted = "interrupted"


TERMINAL_STATUSES = frozenset(
    {TaskStatus.succeeded, TaskStatus.failed, TaskStatus.cancelled, TaskStatus.timed_out,
     TaskStatus.interrupted}
)
ACTIVE_STATUSES = frozenset({TaskStatus.running, TaskStatus.awaiting_approval})


class Priority(str, enum.Enum):
    high = "high"
    normal = "normal"
    low = "low"
