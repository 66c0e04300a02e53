"""Why a queued task waits, and its place in line, for the task page and the API."""

from __future__ import annotations

import redis as redis_lib
from sqlmodel import Session, select

from clawweb import redis_conn
from clawweb.models import Project, Task, TaskStatus
from clawweb.services.tasks import queue as task_queue


def queue_info(*, session: Session, task: Task) -> dict:
    """Why a queued task waits, for the UI (the caller has authorized ``task``).

    Returns:
        {"position": int | None (1 = next), "reason": message key, "params": {...}};
        reason "" when the task is not waiting.
    """
    if task.status != TaskStatus.queued:
        return {"position": None, "reason": "", "params": {}}
    if task.dispatched_at is None:
        project = session.get(Project, task.project_id)
        ahead = session.exec(select(Task.id).where(
            Task.project_id == task.project_id, Task.status == TaskStatus.queued,
            Task.dispatched_at.is_(None)).order_by(*task_queue.waiting_order())).all()
        position = ahead.index(task.id) + 1 if task.id in ahead else None
        limit = max(1, project.max_concurrent_tasks) if project else 1
        if task_queue.active_count(session, task.project_id) >= limit:
            return {"position": position, "reason": "tasks.wait.project_limit",
                    "params": {"limit": limit}}
        return {"position": position, "reason": "tasks.wait.dispatching", "params": {}}
    try:
        q = task_queue.rq_queue(redis_conn.get_redis(), task.priority.value)
        pos = q.get_job_position(task_queue.job_id(task))
    except redis_lib.RedisError:
        return {"position": None, "reason": "tasks.wait.queue_unavailable", "params": {}}
    return {"position": pos + 1 if pos is not None else None,
            "reason": "tasks.wait.workers_busy", "params": {}}

