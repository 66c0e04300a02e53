"""Queues: what waits, per priority, for how long, and why.

A queued task either waits for a slot under its project's concurrency limit
(``dispatched_at`` unset) or sits in RQ for a free worker. The reason given is
the first thing that holds it: no live worker at all, the project's limit, or
every task slot of the live workers busy (each worker beats how many tasks it runs at once).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from sqlmodel import Session, func, select

from clawweb import streams
from clawweb.models import ACTIVE_STATUSES, Priority, Project, Task, TaskStatus
from clawweb.services.tasks import queue as task_queue
from clawweb.services.ops.workers import alive_names, capacity

WAITING_SHOWN = 50
# Reasons (message keys: admin.queue.reason.<reason>).
NO_WORKER, PROJECT_LIMIT, WORKERS_BUSY, STARTING = (
    "no_worker", "project_limit", "workers_busy", "starting")


@dataclasses.dataclass
class QueueDepth:
    priority: str = ""
    waiting: int = 0  # queued tasks in the database
    in_rq: int = 0  # jobs handed to RQ and not yet taken by a worker
    oldest_wait: float = 0.0  # seconds the oldest queued task has waited


@dataclasses.dataclass
class Waiting:
    task_id: int = 0
    project: str = ""
    priority: str = ""
    waited: float = 0.0
    reason: str = ""


def _age(value: datetime | None, now: datetime) -> float:
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return max(0.0, round((now - value).total_seconds(), 1))


def depths(*, session: Session, redis, now: datetime | None = None) -> list[QueueDepth]:
    """One row per priority, in queue order."""
    now = now or datetime.now(timezone.utc)
    rows = session.exec(select(Task.priority, func.count(), func.min(Task.queued_at))
                        .where(Task.status == TaskStatus.queued)
                        .group_by(Task.priority)).all()
    found = {(p.value if hasattr(p, "value") else str(p)): (n, oldest) for p, n, oldest in rows}
    out = []
    for priority in streams.QUEUE_ORDER:
        n, oldest = found.get(priority, (0, None))
        out.append(QueueDepth(priority=priority, waiting=n,
                              in_rq=task_queue.rq_queue(redis, priority).count,
                              oldest_wait=_age(oldest, now)))
    return out


def waiting(*, session: Session, redis, now: datetime | None = None,
            limit: int = WAITING_SHOWN) -> list[Waiting]:
    """The queued tasks in the order they will start, each with why it waits."""
    now = now or datetime.now(timezone.utc)
    workers = alive_names(redis)
    slots = capacity(redis, workers)
    running = session.exec(select(func.count()).select_from(Task).where(
        Task.status.in_(list(ACTIVE_STATUSES)))).one()
    rows = session.exec(select(Task, Project.name).join(Project, Project.id == Task.project_id)
                        .where(Task.status == TaskStatus.queued)
                        .order_by(*task_queue.waiting_order()).limit(limit)).all()
    return [Waiting(task_id=t.id, project=name, priority=Priority(t.priority).value,
                    waited=_age(t.queued_at, now), reason=_reason(t, workers, running, slots))
            for t, name in rows]


def _reason(task: Task, workers: set[str], running: int, slots: int) -> str:
    if not workers:
        return NO_WORKER
    if task.dispatched_at is None:
        return PROJECT_LIMIT
    return WORKERS_BUSY if running >= slots else STARTING
