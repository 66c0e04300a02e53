"""All tables, plus the read models that are allowed to reach a browser.

Plain SQLModel (``rx.Model`` is deprecated). Timestamps are timezone-aware UTC:
SQLModel 0.0.50 stores ``datetime`` fields as ``UTCDateTime``, which refuses
naive values and returns aware ones.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint, func
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel


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


class User(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    display_name: str = ""
    password_hash: str = ""
    role: Role = Role.member
    disabled: bool = False
    must_change_password: bool = False
    language: str = ""  # "" = follow the browser
    # Author email of the commits clawweb makes for this user ("" = a placeholder).
    email: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# "Alice" and "alice" are one name: the services check, this index decides (two
# admins creating them at once both pass the check on PostgreSQL).
Index("uq_user_username_lower", func.lower(User.username), unique=True)


class SetupClaim(SQLModel, table=True):
    """The first run, done: at most one row (id 1), inserted with the first admin.

    Two setup pages submitted at once both see no user; the second insert of
    row 1 fails, so only one of them makes an admin.
    """

    __tablename__ = "setup_claim"
    __table_args__ = (CheckConstraint("id = 1", name="ck_setup_claim_single_row"),)
    id: int = Field(default=1, primary_key=True)
    user_id: Optional[int] = Field(default=None, foreign_key="user.id")
    claimed_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A signed-in device. Only the SHA-256 of the token is stored."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_agent: str = ""
    ip: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: Optional[datetime] = None


class Invite(SQLModel, table=True):
    """A one-time link that lets a new user choose their own password."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: Optional[datetime] = None


class Project(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=100)
    slug: str = Field(index=True, unique=True, max_length=120)
    description: str = ""
    default_branch: str = "main"
    source_url: str = ""  # where it was cloned from (credentials stripped)
    max_concurrent_tasks: int = 2
    task_timeout_seconds: int = 1800
    memory_mb: int = 1024
    cpus: float = 1.0
    pids_limit: int = 256
    # Shipping a task's work: how "Merge" merges by default (ff | merge | squash)
    # and who may merge, discard or download it (owner | editor).
    merge_strategy: str = Field(default="merge", max_length=16)
    ship_role: str = Field(default="editor", max_length=16)
    created_by: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProjectMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: ProjectRole = ProjectRole.viewer
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: Optional[int] = Field(default=None, index=True)
    actor_name: str = ""
    action: str = Field(index=True, max_length=64)  # e.g. "user.create"
    object_type: str = Field(default="", index=True, max_length=32)
    object_id: str = ""
    before: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    after: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    ip: str = ""
    detail: str = ""
    # The API token of the call that made the change (None: the UI, a worker).
    api_token_id: Optional[int] = Field(default=None, index=True)


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


class Credential(SQLModel, table=True):
    """An Anthropic API key or Claude Code OAuth token, encrypted (AES-GCM)."""

    __table_args__ = (UniqueConstraint("owner_type", "owner_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    owner_type: str = Field(max_length=16)  # "user" | "project"
    owner_id: int
    kind: str = "api_key"  # api_key | oauth_token
    ciphertext: str
    hint: str = ""  # last 4 characters, for the masked display
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AgentSettings(SQLModel, table=True):
    project_id: int = Field(foreign_key="project.id", primary_key=True)
    model: str = ""
    permission_mode: str = "default"
    allowed_tools: list = Field(default_factory=list, sa_column=Column(JSON))
    denied_tools: list = Field(default_factory=list, sa_column=Column(JSON))
    max_turns: int = 50
    budget_usd: float = 5.0
    system_prompt: str = Field(default="", sa_column=Column(Text))
    approval_timeout_seconds: int = 1800
    egress_allow_hosts: list = Field(default_factory=list, sa_column=Column(JSON))
    # In "ask" mode, let calls that only read run without a request (off: every call asks).
    allow_read_only: bool = False
    # Models a member may pick per prompt besides ``model`` (the default).
    allowed_models: list = Field(default_factory=list, sa_column=Column(JSON))
    # Let the CLI load the repository's .claude/settings.json and CLAUDE.md; its
    # allow rules still decide nothing in "ask" mode (worker.agents.claude_hooks).
    use_repo_settings: bool = True


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


class ProjectRemote(SQLModel, table=True):
    """Where a project's work is pushed and synced from, and how clawweb signs in.

    Secrets are ciphertext (``clawweb.services.crypto``) bound to the project;
    the URL never carries credentials. ``known_hosts`` holds the SSH host keys
    pinned on first use, in OpenSSH's format.
    """

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    url: str = ""
    forge: str = ""  # "" = guess from the URL's host | github | gitlab | gitea
    forge_api_url: str = ""  # "" = derived from the URL (self-hosted forges)
    token_username: str = ""  # user name sent with the token over HTTPS ("" = forge default)
    token_ciphertext: str = Field(default="", sa_column=Column(Text))
    token_hint: str = ""
    ssh_key_ciphertext: str = Field(default="", sa_column=Column(Text))
    ssh_public_key: str = Field(default="", sa_column=Column(Text))
    known_hosts: str = Field(default="", sa_column=Column(Text))
    sync_before_task: bool = False
    last_sync_at: Optional[datetime] = None
    last_sync_result: str = ""  # a message key (remotes.sync_* or the error's)
    last_sync_params: dict = Field(default_factory=dict, sa_column=Column(JSON))
    # The default branch's commit on the remote as last seen (cloned, synced or pushed).
    default_pushed_sha: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


# -- Automation: signed webhooks from forges, schedules (issue 12) ------------------------

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


class ApiToken(SQLModel, table=True):
    """A personal API token. Only the SHA-256 of the token is stored; ``prefix``
    (its first characters) lets a person tell their tokens apart.

    ``scopes`` is a subset of ``services.api_tokens.SCOPES``. A token bound to
    a project (``project_id``) reaches nothing else, and goes with the project.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    scopes: list = Field(default_factory=list, sa_column=Column(JSON))
    project_id: Optional[int] = Field(default=None, foreign_key="project.id",
                                      ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    last_used_ip: str = ""
    revoked_at: Optional[datetime] = None
    revoked_by: Optional[int] = Field(default=None, foreign_key="user.id")


# -- Notifications (clawweb/services/notify) -------------------------------------------
# Ids of tasks, projects and approvals are plain integers here, without foreign
# keys: a notification outlives what it tells about and must never block its deletion.


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
