"""The one list of events worth a notification, each with its deep link.

Later issues add schedule and webhook failures here; nothing else spells an
event name. A notification's ``dedupe_key`` names the event and its object,
so the same event is stored once per user and delivered once per channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from clawweb import routes
from clawweb.models import TaskStatus

TASK_SUCCEEDED = "task.succeeded"
TASK_FAILED = "task.failed"
TASK_TIMED_OUT = "task.timed_out"
TASK_CANCELLED = "task.cancelled"  # only when someone else cancelled it
APPROVAL_REQUESTED = "approval.requested"
APPROVAL_EXPIRING = "approval.expiring"
APPROVAL_EXPIRED = "approval.expired"
BUDGET_REACHED = "budget.reached"


@dataclass(frozen=True)
class Event:
    """One kind of notification.

    Attributes:
        key: the stored name ("task.failed").
        approval: about a pending decision: never grouped, always through quiet
            hours, shown with Approve/Deny while it can still be answered.
        push_default: sent by Web Push when the user chose nothing.
        team_default: heard by a new project channel unless its owner chooses.
    """

    key: str
    approval: bool = False
    push_default: bool = False
    team_default: bool = False

    @property
    def message_key(self) -> str:
        """The catalog prefix of its texts: ``notify.event.<key>.title`` / ``.body``."""
        return "notify.event." + self.key.replace(".", "_")


EVENTS: dict[str, Event] = {e.key: e for e in (
    Event(TASK_SUCCEEDED),
    Event(TASK_FAILED, push_default=True, team_default=True),
    Event(TASK_TIMED_OUT, push_default=True, team_default=True),
    Event(TASK_CANCELLED),
    Event(APPROVAL_REQUESTED, approval=True, push_default=True),
    Event(APPROVAL_EXPIRING, approval=True, push_default=True),
    Event(APPROVAL_EXPIRED, approval=True, push_default=True),
    Event(BUDGET_REACHED, push_default=True, team_default=True),
)}
ORDER = tuple(EVENTS)
ACTIONABLE = frozenset({APPROVAL_REQUESTED, APPROVAL_EXPIRING})

_ENDING = {TaskStatus.succeeded: TASK_SUCCEEDED, TaskStatus.failed: TASK_FAILED,
           TaskStatus.timed_out: TASK_TIMED_OUT, TaskStatus.cancelled: TASK_CANCELLED}
# No "interrupted": the one who stopped the turn is looking at it, and it is no failure.


def get(key: str) -> Event:
    """The event named ``key``; KeyError for anything not on the list."""
    return EVENTS[key]


def defaults(kind: str) -> list[str]:
    """Events a channel gets with no choice made: "push", "channel" (a user's own
    chat channel: as push) or "team" (a project channel)."""
    if kind == "team":
        return [k for k, e in EVENTS.items() if e.team_default]
    return [k for k, e in EVENTS.items() if e.push_default]


def clean(keys) -> list[str]:
    """Known event names from ``keys``, in list order, each once."""
    wanted = {str(k) for k in (keys or [])}
    return [k for k in ORDER if k in wanted]


def for_ending(status: TaskStatus | str, *, budget_reached: bool = False) -> str | None:
    """The event of a task that ended with ``status`` (None: not a terminal status, or quiet)."""
    status = TaskStatus(status)
    if budget_reached and status == TaskStatus.failed:
        return BUDGET_REACHED
    return _ENDING.get(status)


def deep_link(event: str, *, task_id: int | None, approval_id: int | None = None) -> str:
    """Where the notification opens: the task page, or the approval on it."""
    get(event)
    if task_id is None:
        return routes.NOTIFICATIONS
    if approval_id is not None and get(event).approval:
        return routes.task_approval(task_id, approval_id)
    return routes.task(task_id)


def dedupe_key(event: str, *, task_id: int | None, approval_id: int | None = None) -> str:
    """The event and the object it is about; one per user, one per channel."""
    obj = f"approval:{approval_id}" if approval_id is not None else f"task:{task_id}"
    return f"{get(event).key}:{obj}"
