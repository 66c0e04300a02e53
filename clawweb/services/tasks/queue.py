"""Moving tasks through their life: compare-and-set status changes and dispatch to RQ.

The database is the source of truth; RQ only carries "run task N" to a worker.
A task is enqueued only when its project has a free slot (running plus
dispatched below ``Project.max_concurrent_tasks``); the rest wait, queued and
undispatched, until a worker finishes one (it calls :func:`dispatch_ready`) or
the periodic :func:`sweep` finds them. Used by the web services and the worker
alike (plain Python; the web side never imports ``worker``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any, Iterable

import redis as redis_lib
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import case, func, update
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.models import ACTIVE_STATUSES, Project, Task, TaskStatus, utcnow
from clawweb.services.tasks import output as task_output
from clawweb.services.errors import Unavailable

log = logging.getLogger(__name__)

JOB_PATH = "worker.jobs.run_task"
PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
# RQ's own timeout is only a backstop: the worker enforces the task timeout.
JOB_TIMEOUT_MARGIN_SECONDS = 3600
# A claim older than this without a live RQ job is taken back by the sweep.
STALE_CLAIM_SECONDS = 60
_LIVE_JOB_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED,
                    JobStatus.SCHEDULED}


def if_owner(redis, key: str, token: bytes, action: str, *args) -> bool:
    """Run ``action`` ("delete" | "pexpire") on ``key`` only while it holds ``token``.

    WATCH/MULTI rather than a Lua script: same atomicity, and fakeredis runs it.
    """
    with redis.pipeline() as pipe:
        try:
            pipe.watch(key)
            if pipe.get(key) != token:
                pipe.unwatch()
                return False
            pipe.multi()
            getattr(pipe, action)(key, *args)
            pipe.execute()
            return True
        except redis_lib.WatchError:
            return False


def job_id(task: Task) -> str:
    """One RQ job id per attempt: a replay never makes a second job for it."""
    return f"task-{task.id}-{task.attempt}"


def rq_queue(redis, priority: str) -> Queue:
    return Queue(streams.queue_name(priority), connection=redis, serializer=JSONSerializer)


def transition(*, session: Session, task_id: int, from_statuses: Iterable[TaskStatus],
               to: TaskStatus, attempt: int | None = None,
               values: dict[str, Any] | None = None, commit: bool = True,
               dispatched_only: bool = False) -> bool:
    """Compare-and-set a task's status in the database.

    Returns:
        True when this call made the change; False when the task was no longer
        in one of ``from_statuses`` (or on another attempt): someone else won.
    """
    stmt = update(Task).where(Task.id == task_id,
                              Task.status.in_([TaskStatus(s) for s in from_statuses]))
    if attempt is not None:
        stmt = stmt.where(Task.attempt == attempt)
    if dispatched_only:
        stmt = stmt.where(Task.dispatched_at.is_not(None))
    stmt = stmt.values(**(values or {}), status=TaskStatus(to), updated_at=utcnow())
    changed = session.execute(stmt).rowcount == 1
    if commit:
        session.commit()
    return changed


def announce(task: Task, status: TaskStatus | str, *, redis=None) -> None:
    """Tell live task lists about a change. Best effort: the DB already has it."""
    try:
        streams.publish_task_change(redis or redis_conn.get_redis(), task.id,
                                    task.project_id, TaskStatus(status).value)
    except redis_lib.RedisError:
        log.warning("could not announce task %s -> %s", task.id, status)


def stage_queued(session: Session, task: Task) -> list:
    """A new task's first event, ``queued``, in the transaction that creates the task:
    a task another process can see (and dispatch) always has it stored, so the worker
    numbers its own events after it. Publish with ``announce_staged`` after the commit."""
    return stage_status(session, task, TaskStatus.queued, after_seq=0)


def stage_status(session: Session, task: Task, status: TaskStatus, reason: str = "", *,
                 after_seq: int | None = None, redis=None) -> list:
    """A ``status`` event in the transaction that makes the change (submit, cancel of a
    queued task, the reaper): who sees the new status sees its event. Only for moments
    when no worker writes this task's stream, so the next seq cannot be taken twice.
    Publish with ``announce_staged`` after the commit."""
    if after_seq is None:
        after_seq = task_output.last_seq(session, task.id, redis or redis_conn.get_redis())
    data = {"status": TaskStatus(status).value, "reason": reason, "exit_code": None}
    return task_output.stage_events(session, task.id, [("status", data)], after_seq=after_seq)


def announce_staged(task: Task, status: TaskStatus, staged: list, redis=None) -> None:
    """Put committed status events on the live stream and tell live task lists."""
    task_output.publish_stored(task.id, staged, redis)
    announce(task, status, redis=redis)


def active_count(session: Session, project_id: int) -> int:
    """Tasks holding one of the project's slots: running, or handed to RQ."""
    q = select(func.count()).select_from(Task).where(
        Task.project_id == project_id,
        (Task.status.in_(list(ACTIVE_STATUSES)))
        | ((Task.status == TaskStatus.queued) & (Task.dispatched_at.is_not(None))),
    )
    return session.exec(q).one()


def waiting_order():
    """Order of queued tasks: priority, then age."""
    # One comparison per priority, each bound as the column's enum type:
    # ``case(value=Task.priority)`` binds plain strings, and PostgreSQL has no
    # ``priority = varchar`` operator.
    rank = case(*[(Task.priority == p, r) for p, r in PRIORITY_RANK.items()], else_=1)
    return (rank, Task.queued_at, Task.id)


def dispatch_ready(*, session: Session, project_id: int, redis=None) -> list[int]:
    """Enqueue as many of the project's waiting tasks as its limit allows, without waiting.

    One dispatcher per project at a time (a Redis lock). A caller that finds
    the lock taken returns at once: it leaves a "pending" mark first, and the
    holder looks for that mark after letting go and then dispatches again, so
    whatever was committed meanwhile is handed out by someone.

    Returns:
        Ids of the tasks handed to RQ by this call.

    Raises:
        Unavailable: Redis is down (the tasks stay queued; the sweep retries).
    """
    redis = redis or redis_conn.get_redis()
    key = streams.project_dispatch_lock_key(project_id)
    pending = f"{key}:pending"
    out: list[int] = []
    try:
        # Mark, then try; the holder lets go, then reads the mark: either it
        # sees this mark or this call gets the lock.
        redis.set(pending, b"1", ex=STALE_CLAIM_SECONDS)
        while True:
            token = uuid.uuid4().hex.encode()
            if not redis.set(key, token, nx=True, ex=30):
                return out
            redis.delete(pending)
            try:
                out += _dispatch_locked(session, project_id, redis)
            finally:
                try:
                    if_owner(redis, key, token, "delete")
                except redis_lib.RedisError:
                    pass  # the TTL frees it
            if not redis.exists(pending):
                return out
    except redis_lib.RedisError as exc:
        raise Unavailable() from exc


def _dispatch_locked(session: Session, project_id: int, redis) -> list[int]:
    session.expire_all()
    project = session.get(Project, project_id)
    if project is None:
        return []
    free = max(1, project.max_concurrent_tasks) - active_count(session, project_id)
    if free <= 0:
        return []
    waiting = session.exec(
        select(Task).where(Task.project_id == project_id,
                           Task.status == TaskStatus.queued,
                           Task.dispatched_at.is_(None))
        .order_by(*waiting_order()).limit(free)).all()
    return [t.id for t in waiting if _claim_and_enqueue(session, t, redis)]


def _claim_and_enqueue(session: Session, task: Task, redis) -> bool:
    claimed = session.execute(
        update(Task).where(Task.id == task.id, Task.status == TaskStatus.queued,
                           Task.dispatched_at.is_(None))
        .values(dispatched_at=utcnow())).rowcount == 1
    session.commit()
    if not claimed:
        return False
    session.refresh(task)
    try:
        rq_queue(redis, task.priority.value).enqueue(
            JOB_PATH, task.id, job_id=job_id(task),
            job_timeout=task.timeout_seconds + JOB_TIMEOUT_MARGIN_SECONDS,
            result_ttl=3600, failure_ttl=7 * 86400, description=f"task {task.id}")
    except redis_lib.RedisError as exc:
        unclaim(session=session, task_id=task.id)
        raise Unavailable() from exc
    return True


def unclaim(*, session: Session, task_id: int) -> bool:
    """Give a queued task's slot back (its job is gone or never made it)."""
    changed = session.execute(
        update(Task).where(Task.id == task_id, Task.status == TaskStatus.queued)
        .values(dispatched_at=None)).rowcount == 1
    session.commit()
    return changed


def _job_alive(redis, task: Task) -> bool:
    try:
        job = Job.fetch(job_id(task), connection=redis, serializer=JSONSerializer)
    except Exception:  # NoSuchJobError and undecodable jobs alike: not alive
        return False
    return job.get_status(refresh=False) in _LIVE_JOB_STATES


def sweep(*, session: Session, redis=None, stale_after: int = STALE_CLAIM_SECONDS) -> list[int]:
    """Catch what was missed: stale claims without a job, and waiting tasks.

    Run periodically by every worker. Returns ids newly handed to RQ.
    """
    redis = redis or redis_conn.get_redis()
    cutoff = utcnow() - timedelta(seconds=stale_after)
    stale = session.exec(select(Task).where(Task.status == TaskStatus.queued,
                                            Task.dispatched_at < cutoff)).all()
    for task in stale:
        if not _job_alive(redis, task):
            log.warning("task %s was dispatched but has no live job; re-dispatching", task.id)
            unclaim(session=session, task_id=task.id)
    project_ids = session.exec(select(Task.project_id).where(
        Task.status == TaskStatus.queued, Task.dispatched_at.is_(None)).distinct()).all()
    out: list[int] = []
    for pid in project_ids:
        out += dispatch_ready(session=session, project_id=pid, redis=redis)
    return out
