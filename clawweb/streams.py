"""The worker <-> UI contract: Redis key names, the event envelope, and helpers.

Nobody else spells a Redis key. Each task has one stream whose entry ids are
``<seq>-1``: the same ``seq`` is stored in the database (``TaskEvent``), so a
reader that has seen up to ``seq`` resumes from either store with no gap and no
duplicate.

Envelope (JSON in the entry's ``e`` field)::

    {"seq": 17, "ts": 1732230000.12, "type": "output", "data": {...}}

Event types: ``output`` ({"stream": "stdout"|"stderr", "text": str}),
``status`` ({"status": str, "reason": str, "exit_code": int|None}),
``truncated`` ({"dropped_bytes": int}), ``system`` ({"text": str}), ``input``
({"text": str, "by": str} a line sent to a shell task's stdin, or {"signal":
"INT", "by": str} for Ctrl-C, {"eof": true, "by": str} for Ctrl-D; see clawweb/services/tasks/input.py), and agent
events named ``agent.<kind>`` (see worker/agents/claude.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

PREFIX = "clawweb"
STREAM_FIELD = b"e"
# Entries kept per task stream in Redis; the database keeps everything else.
STREAM_MAXLEN = 20000
STREAM_TTL_SECONDS = 24 * 3600

TASK_CHANGES_MAXLEN = 10000


def task_events_key(task_id: int) -> str:
    return f"{PREFIX}:task:{task_id}:events"


def task_cancel_key(task_id: int) -> str:
    return f"{PREFIX}:task:{task_id}:cancel"


def task_interrupt_key(task_id: int) -> str:
    """Set to ask a running agent to stop its current turn (the session is kept)."""
    return f"{PREFIX}:task:{task_id}:interrupt"


def task_input_key(task_id: int) -> str:
    """List of input for a running shell task (lines for its stdin, Ctrl-C), oldest first."""
    return f"{PREFIX}:task:{task_id}:input"


def task_input_rate_key(task_id: int, user_id: int, window: int) -> str:
    """Input one user sent to one task in one rate-limit window (a counter with a TTL)."""
    return f"{PREFIX}:task:{task_id}:input:rate:{user_id}:{window}"


def task_lock_key(task_id: int) -> str:
    """Held by the worker running a task, so no two attempts overlap."""
    return f"{PREFIX}:task:{task_id}:lock"


def task_reaper_lock_key(task_id: int) -> str:
    """Held by the one reaper that recovers a task whose worker died."""
    return f"{PREFIX}:task:{task_id}:reaper"


def project_dispatch_lock_key(project_id: int) -> str:
    """Serialises dispatch decisions for a project (its concurrency limit)."""
    return f"{PREFIX}:project:{project_id}:dispatch"


def task_changes_key() -> str:
    """One stream of {task_id, project_id, status} for live task lists."""
    return f"{PREFIX}:tasks:changes"


def worker_alive_key(worker_name: str) -> str:
    return f"{PREFIX}:worker:{worker_name}:alive"


def worker_slots_key(worker_name: str) -> str:
    """How many tasks the worker process runs at once (beaten with its alive key)."""
    return f"{PREFIX}:worker:{worker_name}:slots"


def worker_drain_key(worker_name: str) -> str:
    """Set by an admin: the worker finishes its current task, then exits."""
    return f"{PREFIX}:worker:{worker_name}:drain"


def worker_image_key(worker_name: str) -> str:
    """``ok`` or ``missing``: whether the worker's dockerd has the sandbox image (short TTL)."""
    return f"{PREFIX}:worker:{worker_name}:image"


def workers_known_key() -> str:
    """Sorted set: worker name -> last heartbeat (unix time), for this deployment."""
    return f"{PREFIX}:workers:known"


def approval_answer_key(approval_id: int) -> str:
    return f"{PREFIX}:approval:{approval_id}:answer"


def approvals_changes_key() -> str:
    return f"{PREFIX}:approvals:changes"


def login_fail_account_key(username: str) -> str:
    return f"{PREFIX}:login:fail:user:{username.lower()}"


def login_fail_ip_key(ip: str) -> str:
    return f"{PREFIX}:login:fail:ip:{ip}"


def login_slot_ip_key(ip: str) -> str:
    """The next free sign-in slot of an address that is slowed, not locked."""
    return f"{PREFIX}:login:slot:ip:{ip}"


def login_fail_all_key() -> str:
    """Failed sign-ins from every address together (the global soft limit)."""
    return f"{PREFIX}:login:fail:all"


def forwarded_seen_key() -> str:
    """Set when a request carried X-Forwarded-For while no proxy hops are trusted."""
    return f"{PREFIX}:http:forwarded_seen"


def api_rate_key(token_id: int, window: int) -> str:
    """Requests of one API token in one rate-limit window (a counter with a TTL)."""
    return f"{PREFIX}:api:rate:{token_id}:{window}"


def access_version_key() -> str:
    """A counter raised whenever someone's access may have changed (``clawweb.access_changes``)."""
    return f"{PREFIX}:access:version"


def session_revoked_channel() -> str:
    return f"{PREFIX}:sessions:revoked"


def queue_name(priority: str) -> str:
    return f"{PREFIX}-{priority}"


QUEUE_ORDER = ("high", "normal", "low")


@dataclass
class Event:
    seq: int
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    @property
    def stream_id(self) -> str:
        return f"{self.seq}-1"

    def encode(self) -> bytes:
        return json.dumps(
            {"seq": self.seq, "ts": self.ts, "type": self.type, "data": self.data},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, raw: bytes | str) -> "Event":
        obj = json.loads(raw)
        return cls(seq=obj["seq"], type=obj["type"], data=obj.get("data") or {}, ts=obj["ts"])

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": self.ts, "type": self.type, "data": self.data}


def stream_id_for_seq(seq: int) -> str:
    """The id to XREAD after, to get events with a larger seq."""
    return f"{seq}-1" if seq > 0 else "0-0"


def publish(redis, task_id: int, events: list[Event]) -> None:
    """Append events (sync client) with their explicit ids, in one round trip."""
    if not events:
        return
    key = task_events_key(task_id)
    pipe = redis.pipeline(transaction=False)
    for ev in events:
        pipe.xadd(key, {STREAM_FIELD: ev.encode()}, id=ev.stream_id,
                  maxlen=STREAM_MAXLEN, approximate=True)
    pipe.expire(key, STREAM_TTL_SECONDS)
    pipe.execute()


def decode_entries(entries) -> list[Event]:
    """Entries as returned by XRANGE/XREAD for one stream."""
    out = []
    for _id, fields in entries:
        raw = fields.get(STREAM_FIELD) or fields.get("e")
        out.append(Event.decode(raw))
    return out


def publish_task_change(redis, task_id: int, project_id: int, status: str) -> None:
    redis.xadd(
        task_changes_key(),
        {b"task_id": str(task_id), b"project_id": str(project_id), b"status": status},
        maxlen=TASK_CHANGES_MAXLEN,
        approximate=True,
    )


# -- Notifications (clawweb/services/notify) ---------------------------------------------
NOTIFY_CHANGES_MAXLEN = 50
NOTIFY_QUEUE = "notify"


def notify_queue_name() -> str:
    """The RQ queue of notification deliveries (served by a thread in every worker)."""
    return queue_name(NOTIFY_QUEUE)


def notify_user_changes_key(user_id: int) -> str:
    """One short stream per user: an entry whenever their unread count may have changed."""
    return f"{PREFIX}:notify:user:{user_id}:changes"


def notify_channel_lock_key(channel_key: str) -> str:
    """Held while one delivery job gathers and sends a channel's waiting messages."""
    return f"{PREFIX}:notify:channel:{channel_key}:lock"


def publish_notify_change(redis, user_id: int) -> None:
    key = notify_user_changes_key(user_id)
    pipe = redis.pipeline(transaction=False)
    pipe.xadd(key, {b"u": str(user_id)}, maxlen=NOTIFY_CHANGES_MAXLEN, approximate=True)
    pipe.expire(key, STREAM_TTL_SECONDS)
    pipe.execute()
