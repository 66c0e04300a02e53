"""Notifications (clawweb/services/notify).

Ids of tasks, projects and approvals are plain integers here, without foreign
keys: a notification outlives what it tells about and must never block its deletion.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel

from clawweb.models.common import utcnow


class Notification(SQLModel, table=True):
    """One event for one recipient: the in-app centre's row, delivered from here.

    ``params`` holds catalog parameters, never translated text: the reader's
    language is known only when it is read or sent.
    """

    __table_args__ = (UniqueConstraint("user_id", "dedupe_key"),
                      Index("ix_notification_user_read", "user_id", "read_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    event: str = Field(max_length=32)
    project_id: Optional[int] = None
    task_id: Optional[int] = None
    approval_id: Optional[int] = Field(default=None, index=True)
    params: dict = Field(default_factory=dict, sa_column=Column(JSON))
    link: str = ""
    dedupe_key: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: Optional[datetime] = None



class NotifySettings(SQLModel, table=True):
    """A user's quiet hours ("HH:MM" in ``timezone``; empty start: none)."""

    user_id: int = Field(primary_key=True)
    timezone: str = Field(default="UTC", max_length=64)
    quiet_start: str = Field(default="", max_length=5)
    quiet_end: str = Field(default="", max_length=5)
    updated_at: datetime = Field(default_factory=utcnow)



class NotifyPref(SQLModel, table=True):
    """Which events go to one channel of a user, for one project (0: all projects)."""

    __table_args__ = (UniqueConstraint("user_id", "project_id", "channel"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    project_id: int = 0
    channel: str = Field(max_length=48)  # "push" | "ch:<NotifyChannel.id>"
    events: list = Field(default_factory=list, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)



class PushSubscription(SQLModel, table=True):
    """A browser's Web Push subscription; endpoint and keys are encrypted."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    endpoint_hash: str = Field(unique=True, max_length=64)
    ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    device: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: Optional[datetime] = None
    # The sign-in it was made under: ending that session removes the subscription.
    auth_session_id: Optional[int] = Field(default=None, index=True)



class PushActionToken(SQLModel, table=True):
    """A single-use Approve/Deny token for one user and one approval (SHA-256 only)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    user_id: int = Field(index=True)
    approval_id: int = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: Optional[datetime] = None



class NotifyChannel(SQLModel, table=True):
    """A chat, mail or webhook target (an apprise URL, encrypted) of a user or a project."""

    id: Optional[int] = Field(default=None, primary_key=True)
    owner_type: str = Field(max_length=16)  # "user" | "project"
    owner_id: int = Field(index=True)
    kind: str = Field(max_length=16)
    name: str = Field(default="", max_length=100)
    ciphertext: str = Field(default="", sa_column=Column(Text, nullable=False))
    hint: str = ""
    language: str = Field(default="en", max_length=8)
    # Project channels: the events the team hears about (a user's own channel
    # follows that user's NotifyPref rows).
    events: list = Field(default_factory=list, sa_column=Column(JSON))
    created_by: Optional[int] = None
    created_at: datetime = Field(default_factory=utcnow)



class Delivery(SQLModel, table=True):
    """One event to one channel. The unique key is the no-duplicate promise."""

    __table_args__ = (UniqueConstraint("channel_key", "event_key"),
                      Index("ix_delivery_channel_status", "channel_key", "status"))
    id: Optional[int] = Field(default=None, primary_key=True)
    notification_id: Optional[int] = Field(default=None, index=True)
    user_id: Optional[int] = Field(default=None, index=True)  # whose log (None: a project's)
    project_id: Optional[int] = Field(default=None, index=True)
    channel_key: str = Field(max_length=48)  # "push:<user id>" | "ch:<channel id>"
    event: str = Field(max_length=32)
    event_key: str = Field(max_length=128)
    # What the message says (catalog parameters) and where it links: a project
    # channel's row stands on its own, whoever the recipients were.
    params: dict = Field(default_factory=dict, sa_column=Column(JSON))
    link: str = ""
    # queued | sending | retrying | sent | failed | paused | quiet | skipped
    status: str = Field(default="queued", max_length=16)
    attempts: int = 0
    group_id: Optional[int] = None  # the delivery whose message carried this one
    reason: str = ""
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)  # last change of status
    sent_at: Optional[datetime] = None



class ChannelHealth(SQLModel, table=True):
    """The circuit breaker of one channel: consecutive failures, paused since."""

    channel_key: str = Field(primary_key=True, max_length=48)
    failures: int = 0
    paused_at: Optional[datetime] = None
    last_error: str = ""
    updated_at: datetime = Field(default_factory=utcnow)
