"""Pages of a task list: how many tasks a list holds, and how many are older than a row.

The rows of a page come from ``service.list_tasks`` (newest first, ``before_id``);
this module counts with the same filters and the same access rules, so a page
can say "21–40 of 57" without loading the rest.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from clawweb.models import ProjectRole, Task, TaskStatus, User
from clawweb.services import access
from clawweb.services.errors import PermissionDenied
from clawweb.services.tasks.reads import visible


def count_tasks(*, session: Session, user: User, project_id: int | None = None,
                status: str | list[str] | None = None, before_id: int | None = None) -> int:
    """How many tasks ``list_tasks`` with these filters could list (all pages).

    Args:
        session: Database session.
        user: The caller; checked as ``list_tasks`` checks them.
        project_id: One project (viewer or better), or None for every visible one.
        status: Only these statuses.
        before_id: Only tasks older than this id.

    Raises:
        PermissionDenied: the user is disabled or may not see the project.
    """
    if user.disabled:
        raise PermissionDenied("errors.sign_in_required")
    # The one visibility rule of every task read (``reads.visible``), in the count itself.
    q = visible(select(func.count()).select_from(Task), user)
    if project_id is not None:
        access.require_role(session=session, user=user, project_id=project_id,
                            at_least=ProjectRole.viewer)
        q = q.where(Task.project_id == project_id)
    if before_id is not None:
        q = q.where(Task.id < before_id)
    if status:
        wanted = [status] if isinstance(status, str) else list(status)
        q = q.where(Task.status.in_([TaskStatus(s) for s in wanted]))
    return int(session.exec(q).one())
