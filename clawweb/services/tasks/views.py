"""Read models of tasks for the UI: plain dicts that are safe to put in browser state.

Nothing here authorizes: callers pass tasks they got from ``tasks.get_task`` /
``tasks.list_tasks`` (which check project roles), or a task id they already
authorized that way.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from clawweb import streams
from clawweb.models import (TERMINAL_STATUSES, Project, ProjectRole, Task, TaskEvent, TaskStatus,
                            User, iso_utc)
from clawweb.services import access
from clawweb.services.errors import ServiceError
from clawweb.services.tasks import waiting

COMMAND_PREVIEW_CHARS = 300


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def task_row(task: Task, project_name: str = "") -> dict:
    """A task as a list row (command shortened: a list must stay small)."""
    command = task.command or ""
    return {
        "id": task.id,
        "project_id": task.project_id,
        "project_name": project_name,
        "title": task.title or command[:80],
        "command": command[:COMMAND_PREVIEW_CHARS],
        "status": task.status.value,
        "priority": task.priority.value,
        "kind": task.kind,
        "queued_at": iso_utc(task.queued_at),
        "finished": task.status in TERMINAL_STATUSES,
        "exit_code": "" if task.exit_code is None else str(task.exit_code),
    }


def _project_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Project.id, Project.name).where(Project.id.in_(ids))).all()
    return {pid: name for pid, name in rows}


def task_rows(session: Session, tasks: list[Task]) -> list[dict]:
    """Rows for a list, with project names looked up in one query."""
    names = _project_names(session, {t.project_id for t in tasks})
    return [task_row(t, names.get(t.project_id, "")) for t in tasks]


def may_act(session: Session, user: User | None, project_id: int) -> bool:
    """Whether ``user`` may run, cancel, interrupt or follow up tasks here (editor or better).

    Only decides what the page offers; every handler still checks on its own.
    """
    try:
        access.require_role(session=session, user=user, project_id=project_id,
                            at_least=ProjectRole.editor)
    except ServiceError:
        return False
    return True


def task_detail(session: Session, task: Task, *, user: User | None = None) -> dict:
    """Everything the task page header shows (the caller authorized ``task``).

    ``can_act`` is False unless ``user`` is given and may act (``may_act``).
    """
    row = task_row(task, _project_names(session, {task.project_id}).get(task.project_id, ""))
    creator = session.get(User, task.created_by) if task.created_by else None
    wait = waiting.queue_info(session=session, task=task)
    row.update({
        "command": task.command or "",
        "branch": task.branch,
        "attempt": task.attempt,
        "created_by": (creator.display_name or creator.username) if creator else "",
        "started_at": iso_utc(task.started_at),
        "finished_at": iso_utc(task.finished_at),
        "started_ts": _ts(task.started_at),
        "finished_ts": _ts(task.finished_at),
        "failure_reason": task.failure_reason or "",
        "timeout_minutes": round(task.timeout_seconds / 60, 1),
        "files_changed": task.files_changed,
        "insertions": task.insertions,
        "deletions": task.deletions,
        "commit_sha": (task.commit_sha or "")[:12],
        "dropped_bytes": task.output_dropped_bytes,
        "queue_position": wait["position"] or 0,
        "wait_reason": wait["reason"],
        "wait_params": wait["params"],
        "cancel_requested": task.cancel_requested_by is not None
        and task.status not in TERMINAL_STATUSES,
        "can_cancel": task.status not in TERMINAL_STATUSES,
        "running": task.status in (TaskStatus.running, TaskStatus.awaiting_approval),
        "can_act": user is not None and may_act(session, user, task.project_id),
        # A Claude prompt's chosen mode ("": the project's, for older rows).
        "permission_mode": task.permission_mode or "",
    })
    return row


def events_before(session: Session, task_id: int, before_seq: int, *,
                  max_events: int = 500) -> list[streams.Event]:
    """Stored events with ``seq < before_seq``, the newest ``max_events``, oldest first."""
    rows = session.exec(select(TaskEvent).where(TaskEvent.task_id == task_id,
                                                TaskEvent.seq < before_seq)
                        .order_by(TaskEvent.seq.desc()).limit(max_events)).all()
    return [streams.Event(seq=r.seq, type=r.type, data=r.data or {}, ts=r.ts)
            for r in reversed(rows)]
