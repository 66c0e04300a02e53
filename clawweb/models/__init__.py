"""All tables, plus the read models that are allowed to reach a browser.

Plain SQLModel (``rx.Model`` is deprecated). Timestamps are timezone-aware UTC:
SQLModel 0.0.50 stores ``datetime`` fields as ``UTCDateTime``, which refuses
naive values and returns aware ones.

One module per area (common, accounts, projects, tasks, automation, notify);
importing this package registers every table (Alembic's env.py relies on it).
"""

from __future__ import annotations

from clawweb.models.common import (
    iso_utc,
    utcnow,
    Role,
    ProjectRole,
    PROJECT_ROLE_RANK,
    TaskStatus,
    TERMINAL_STATUSES,
    ACTIVE_STATUSES,
    Priority,
)
from clawweb.models.accounts import (
    User,
    SetupClaim,
    AuthSession,
    Invite,
    ApiToken,
    Credential,
    AuditEvent,
)
from clawweb.models.projects import (
    Project,
    ProjectMember,
    AgentSettings,
    ProjectRemote,
)
from clawweb.models.tasks import (
    Task,
    TaskAttachment,
    TaskEvent,
    Approval,
)
from clawweb.models.automation import (
    Webhook,
    WebhookDelivery,
    Schedule,
    ScheduleRun,
)
from clawweb.models.notify import (
    Notification,
    NotifySettings,
    NotifyPref,
    PushSubscription,
    PushActionToken,
    NotifyChannel,
    Delivery,
    ChannelHealth,
)

__all__ = [
    "iso_utc",
    "utcnow",
    "Role",
    "ProjectRole",
    "PROJECT_ROLE_RANK",
    "TaskStatus",
    "TERMINAL_STATUSES",
    "ACTIVE_STATUSES",
    "Priority",
    "User",
    "SetupClaim",
    "AuthSession",
    "Invite",
    "ApiToken",
    "Credential",
    "AuditEvent",
    "Project",
    "ProjectMember",
    "AgentSettings",
    "ProjectRemote",
    "Task",
    "TaskAttachment",
    "TaskEvent",
    "Approval",
    "Webhook",
    "WebhookDelivery",
    "Schedule",
    "ScheduleRun",
    "Notification",
    "NotifySettings",
    "NotifyPref",
    "PushSubscription",
    "PushActionToken",
    "NotifyChannel",
    "Delivery",
    "ChannelHealth",
]
