"""Input to a running shell task: a line for the command's stdin, Ctrl-C, or Ctrl-D.

The web side never talks to the container. It checks the caller (editor or
better), the task (a running shell task) and the input (one line, at most
``MAX_LINE_BYTES``), then appends a small JSON message to the task's Redis
list (``streams.task_input_key``). The worker that runs the task takes each
message, writes the line's bytes to the process's stdin as data (no shell ever
sees it as a command), sends SIGINT to the task's process group inside the
container (Ctrl-C) or closes its stdin (Ctrl-D: the command reads end of file),
and echoes it into the output as an ``input`` event, so every
browser sees what was typed.

The audit log records who sent input and how many bytes, never the text: a
prompt may ask for a passphrase or a token, and the audit log is read by
admins of every project and kept longer than a task's output. The text does
reach the task's output (as a terminal's echo would), which only the project's
members can read.
"""

from __future__ import annotations

import json
import time

import redis as redis_lib
from sqlmodel import Session

from clawweb import redis_conn, streams
from clawweb.models import ACTIVE_STATUSES, ProjectRole, Task, User
from clawweb.services import access, audit
from clawweb.services.errors import InvalidInput, Unavailable
from clawweb.services.tasks import service as tasks

# One line for a prompt ("[y/N]", a name, a path); a paste of a file is no line.
MAX_LINE_BYTES = 4096
# Messages waiting for the worker; a command that never reads cannot pile them up.
MAX_PENDING = 32
# Per user and task, in RATE_WINDOW_SECONDS: faster than a person types answers.
RATE_LIMIT = 20
RATE_WINDOW_SECONDS = 10
# The worker deletes the list when the task ends; this is only the backstop.
INPUT_TTL_SECONDS = 3600
KIND = "shell"

# Append only while the list is below its cap, in one step (two senders at once
# cannot both take the last place). Returns the new length, or 0 when full.
_PUSH_CAPPED = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return n
"""


def send_line(*, session: Session, user: User, task_id: int, line: str, ip: str = "") -> None:
    """Send one line (a newline is added) to the stdin of a running shell task.

    Raises:
        InvalidInput: ``task_input.one_line`` (a newline inside), ``task_input.too_long``,
            or as ``_check_task`` / ``_push``.
        NotFound / PermissionDenied: the caller may not act on the task (viewers).
        Unavailable: Redis is down; nothing was sent.
    """
    task = _check_task(session, user, task_id)
    line = line.removesuffix("\n").removesuffix("\r")
    if "\n" in line or "\r" in line:
        raise InvalidInput("task_input.one_line")
    size = len(line.encode())
    if size > MAX_LINE_BYTES:
        raise InvalidInput("task_input.too_long", limit=MAX_LINE_BYTES)
    _push(task, user, {"kind": "line", "text": line, "by": user.username})
    audit.record(session=session, actor=user, action="task.input", object_type="task",
                 object_id=task.id, ip=ip, after={"bytes": size + 1})
    session.commit()


def send_interrupt(*, session: Session, user: User, task_id: int, ip: str = "") -> None:
    """Ctrl-C: SIGINT to the command's process group in its container.

    Raises:
        as ``send_line``.
    """
    task = _check_task(session, user, task_id)
    _push(task, user, {"kind": "signal", "signal": "INT", "by": user.username})
    audit.record(session=session, actor=user, action="task.sigint", object_type="task",
                 object_id=task.id, ip=ip)
    session.commit()


def send_eof(*, session: Session, user: User, task_id: int, ip: str = "") -> None:
    """Ctrl-D: close the command's stdin, so a reader (``cat``, ``wc``) sees end of file.

    Raises:
        as ``send_line``.
    """
    task = _check_task(session, user, task_id)
    _push(task, user, {"kind": "eof", "by": user.username})
    audit.record(session=session, actor=user, action="task.stdin_close", object_type="task",
                 object_id=task.id, ip=ip)
    session.commit()


def _check_task(session: Session, user: User, task_id: int) -> Task:
    task = tasks.get_task(session=session, user=user, task_id=task_id)
    access.require_role(session=session, user=user, project_id=task.project_id,
                        at_least=ProjectRole.editor)
    if task.kind != KIND:
        raise InvalidInput("task_input.not_shell")
    if task.status not in ACTIVE_STATUSES:
        raise InvalidInput("task_input.not_running")
    return task


def _push(task: Task, user: User, message: dict) -> None:
    redis = redis_conn.get_redis()
    window = int(time.time() // RATE_WINDOW_SECONDS)
    rate_key = streams.task_input_rate_key(task.id, user.id, window)
    try:
        pipe = redis.pipeline(transaction=True)
        pipe.incr(rate_key)
        pipe.expire(rate_key, RATE_WINDOW_SECONDS * 2)
        count, _ = pipe.execute()
        if count > RATE_LIMIT:
            raise InvalidInput("task_input.rate_limited", seconds=RATE_WINDOW_SECONDS)
        raw = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        pushed = redis.eval(_PUSH_CAPPED, 1, streams.task_input_key(task.id), raw,
                            MAX_PENDING, INPUT_TTL_SECONDS)
    except redis_lib.RedisError as exc:
        raise Unavailable("errors.redis_unavailable") from exc
    if not pushed:
        raise InvalidInput("task_input.backlog_full")
