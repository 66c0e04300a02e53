"""What a task list shows, and when it must reload: plain Python under the list loop.

A page is ``PAGE_SIZE`` rows, newest first, from ``tasks.list_tasks`` (which
checks the caller's project roles every time), counted by
:mod:`clawweb.services.tasks.paging`. The loop in
:class:`~clawweb.state.task_list.TasksState` waits on the task-changes stream
(``next_changes``) and reloads only when a change ``concerns`` its list.
"""

from __future__ import annotations

import asyncio

from clawweb.db import session_scope
from clawweb.models import ProjectRole, TaskStatus
from clawweb.services import access
from clawweb.services.tasks import output as task_output, views as task_views
from clawweb.services.tasks import paging, service as task_service

STATUS_FILTERS = ["all", "active", *[s.value for s in TaskStatus]]
PAGE_SIZE = 20


def statuses(filter_value: str) -> list[str] | None:
    if filter_value == "active":
        return ["queued", "running", "awaiting_approval"]
    return [filter_value] if filter_value in STATUS_FILTERS[2:] else None


def load_page(user, project_id: int, status_filter: str, before_id: int = 0) -> dict:
    """One page of rows (older than ``before_id`` when set) and where it sits in the list."""
    scope = {"user": user, "project_id": project_id or None, "status": statuses(status_filter)}
    with session_scope() as s:
        found = task_service.list_tasks(session=s, limit=PAGE_SIZE + 1,
                                        before_id=before_id or None, **scope)
        total = paging.count_tasks(session=s, **scope)
        from_here = paging.count_tasks(session=s, before_id=before_id, **scope) \
            if before_id else total
        return {"rows": task_views.task_rows(s, found[:PAGE_SIZE]),
                "has_older": len(found) > PAGE_SIZE, "task_total": total,
                "page_first": total - from_here + 1}


def list_scope(project_id: int, session, user):
    """The live-access check of a task list: its project's role, or the visible projects."""
    if project_id:
        return access.require_role(session=session, user=user, project_id=project_id,
                                   at_least=ProjectRole.viewer).value
    return task_service.visible_project_ids(session, user)


def concerns(changes: list[dict], project_id: int, scope) -> bool:
    """Whether any change is about a task this list shows (or could show)."""
    if project_id:
        return any(c["project_id"] == project_id for c in changes)
    return any(scope is None or c["project_id"] in scope for c in changes)


async def next_changes(after: str) -> tuple[str, list[dict]]:
    """The next task changes, waiting at most half a second (the access re-check's pace)."""
    try:
        return await task_output.task_changes(after, block_ms=500)
    except Exception:  # noqa: BLE001 - keep trying while the page is open
        await asyncio.sleep(1)
        return after, []
