"""The fleet as the web app and the workers both see it: who is alive, and what
happens to a task whose worker is gone.

Workers beat (worker/heartbeat.py writes ``streams.worker_alive_key``); this
module only reads the beats, so the web side can tell a user plainly that no
worker is there, and can end a dead worker's task itself (``web_reaper``)
when no worker is left to do it.

:func:`recover` is the one decision for a task whose worker died, made under a
per-task Redis lock so that only one reaper (a worker's or a web process's)
acts: a task whose command never started is queued again (at most
``MAX_ATTEMPTS`` runs in all); one whose command started is marked failed,
never re-run, because the command may already have had effects.
"""

from __future__ import annotations

import logging

import redis as redis_lib
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.i18n import stored
from clawweb.models import ACTIVE_STATUSES, Task, TaskStatus, utcnow
from clawweb.services import approvals
from clawweb.services.errors import Unavailable
from clawweb.services.notify import hooks as notify
from clawweb.services.tasks import attachment_blobs, queue as task_queue

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LOST_STARTED = stored.encode("tasks.ended.lost_started")
LOST_RETRIED = stored.encode("tasks.ended.lost_retried")
LOST_GAVE_UP = stored.encode("tasks.ended.lost_gave_up", attempts=MAX_ATTEMPTS)


def alive_workers(redis) -> set[str]:
    """Names of workers whose heartbeat key exists."""
    prefix, suffix = streams.worker_alive_key("\0").split("\0")
    names = set()
    for key in redis.scan_iter(match=f"{prefix}*{suffix}", count=500):
        key = key.decode() if isinstance(key, bytes) else key
        names.add(key[len(prefix):len(key) - len(suffix)])
    return names


def known_workers(redis) -> set[str]:
    """Every name that beat in this deployment during the last week."""
    return {n.decode() if isinstance(n, bytes) else n
            for n in redis.zrange(streams.workers_known_key(), 0, -1)}


def alive_count(redis=None) -> int:
    """How many workers are beating right now (0: nothing will run a task).

    Raises:
        Unavailable: Redis cannot be asked (then nobody can tell).
    """
    try:
        return len(alive_workers(redis or redis_conn.get_redis()))
    except redis_lib.RedisError as exc:
        raise Unavailable() from exc


class LossWatch:
    """Which workers have been missing long enough to be taken for dead.

    A name counts once it was seen missing in every look for ``grace``
    seconds; a look that fails (Redis away) must call :meth:`forget`, since
    right after an outage longer than the TTL every key is gone, live
    workers' included, and they need a moment to beat again.
    """

    def __init__(self, grace: float):
        self.grace = grace
        self._missing_since: dict[str, float] = {}

    def confirm(self, missing: set[str], now: float) -> set[str]:
        """The names in ``missing`` that were missing in every look for ``grace`` s."""
        for name in list(self._missing_since):
            if name not in missing:
                del self._missing_since[name]
        return {n for n in missing if now - self._missing_since.setdefault(n, now) >= self.grace}

    def forget(self) -> None:
        self._missing_since.clear()


def active_tasks(session: Session) -> list[Task]:
    """Tasks some worker is running (or waiting on an approval for)."""
    return list(session.exec(select(Task).where(Task.status.in_(list(ACTIVE_STATUSES)))).all())


def recover(session: Session, redis, task: Task, *, reaper: str) -> str | None:
    """Decide for one task whose worker is gone. Returns the new status, or None."""
    lock_key = streams.task_reaper_lock_key(task.id)
    if not redis.set(lock_key, reaper, nx=True, ex=60):
        return None
    try:
        return _recover_locked(session, redis, task)
    finally:
        redis.delete(lock_key)


def _recover_locked(session: Session, redis, task: Task) -> str | None:
    session.refresh(task)
    if task.status not in ACTIVE_STATUSES:
        return None
    retry = not task.command_started and task.attempt < MAX_ATTEMPTS
    if retry:
        won = task_queue.transition(
            session=session, task_id=task.id, from_statuses=list(ACTIVE_STATUSES),
            to=TaskStatus.queued, attempt=task.attempt,
            values={"dispatched_at": None, "worker_name": "", "started_at": None}, commit=False)
        status, reason = TaskStatus.queued, LOST_RETRIED
    else:
        reason = LOST_STARTED if task.command_started else LOST_GAVE_UP
        won = task_queue.transition(
            session=session, task_id=task.id, from_statuses=list(ACTIVE_STATUSES),
            to=TaskStatus.failed, attempt=task.attempt,
            values={"failure_reason": reason, "finished_at": utcnow()}, commit=False)
        status = TaskStatus.failed
    if not won:
        session.rollback()
        return None
    # Whatever the lost run asked, nobody can answer it now (a retry asks again);
    # withdrawn in the commit that decides the task.
    withdrawn = approvals.withdraw_open(session=session, task_id=task.id,
                                        reason="approvals.withdrawn.lost", commit=False)
    staged = task_queue.stage_status(session, task, status, reason, redis=redis)
    session.commit()
    approvals.announce_withdrawn(session=session, task_id=task.id, ids=withdrawn)
    log.warning("task %s: worker %s lost; %s", task.id, task.worker_name, reason)
    session.refresh(task)
    task_queue.announce_staged(task, status, staged, redis=redis)
    if status == TaskStatus.failed:
        attachment_blobs.remove(attachment_blobs.of_task(session, task.id))  # worker gone
        notify.task_ended(task.id)
    try:
        task_queue.dispatch_ready(session=session, project_id=task.project_id, redis=redis)
    except Unavailable:
        pass  # the sweep will
    return status.value
