"""Task reads with the access check inside the query: one SQL statement per read.

Measured (``bench.api_load``, cProfile of one request): a REST task read was
five statements (the task, its project, the membership, a refresh, and the
token's), a list of 50 loaded 51 full ORM rows, and that was most of the CPU.
Here the membership is a subquery of the read itself: a task the caller may not
see is simply not found, exactly as ``access.require_role`` answers for a
project they cannot see (NotFound, so its existence does not leak). The lowest
project role (viewer) may read, so any membership is enough; admins see all.

``list_task_rows`` / ``get_task_row`` hand back plain column mappings of
``ROW_COLUMNS`` (what the API's ``TaskOut`` shows) for callers that only
serialize; ``service.list_tasks`` / ``get_task`` use the same filters and return
ORM ``Task`` rows for the callers that change them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from sqlalchemy import Select, bindparam
from sqlmodel import Session, select

from clawweb.models import ProjectMember, ProjectRole, Role, Task, TaskStatus, User
from clawweb.services import access
from clawweb.services.errors import NotFound, PermissionDenied

MAX_LIMIT = 500
ROW_COLUMNS = (
    "id", "project_id", "kind", "title", "command", "status", "priority", "trigger", "branch",
    "parent_id", "created_by", "attempt", "exit_code", "failure_reason", "cancel_requested_by",
    "queued_at", "started_at", "finished_at", "files_changed", "insertions", "deletions",
    "commit_sha", "cost_usd", "input_tokens", "output_tokens", "model", "permission_mode",
)
_COLUMNS = tuple(getattr(Task, name) for name in ROW_COLUMNS)


def _visible_to(query: Select, *, admin: bool, user_id) -> Select:
    """The one visibility rule: admins see every task, anyone else their projects' tasks.

    ``user_id`` is the id, or a ``bindparam`` in a statement built once (``_row_query``).
    """
    if admin:
        return query
    return query.where(Task.project_id.in_(
        select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)))


def visible(query: Select, user: User) -> Select:
    """``query`` of tasks narrowed to the projects ``user`` is a member of (admins: all)."""
    return _visible_to(query, admin=user.role == Role.admin, user_id=user.id)


def _statuses(status: str | list[str] | None) -> list[TaskStatus]:
    if not status:
        return []
    return [TaskStatus(s) for s in ([status] if isinstance(status, str) else status)]


def _filtered(q: Select, *, project_id, before_id, statuses) -> Select:
    """``q`` narrowed by the list's filters (values, or ``bindparam``s; None: no filter)."""
    if project_id is not None:
        q = q.where(Task.project_id == project_id)
    if before_id is not None:
        q = q.where(Task.id < before_id)
    if statuses is not None:
        q = q.where(Task.status.in_(statuses))
    return q


def listing(user: User, *, columns=(Task,), project_id: int | None = None,
            status: str | list[str] | None = None, limit: int = 50,
            before_id: int | None = None) -> Select:
    """The newest-first list query of ``columns``, access included.

    Raises:
        PermissionDenied: the user is disabled (also for the list of every project).
    """
    if user.disabled:
        raise PermissionDenied("errors.sign_in_required")
    q = visible(select(*columns), user).order_by(Task.id.desc())
    q = q.limit(min(max(limit, 1), MAX_LIMIT))
    return _filtered(q, project_id=project_id, before_id=before_id,
                     statuses=_statuses(status) or None)


@functools.lru_cache(maxsize=32)
def _row_query(admin: bool, by_project: bool, by_before: bool,
               by_status: bool) -> tuple[Select, tuple[str, ...]]:
    """``listing``'s query of ``ROW_COLUMNS`` for one shape of filters, and its parameters.

    Built once per shape: measured (cProfile of the REST list), building the select of
    25 columns and its cache key on every request cost as much as running it.
    """
    q = _visible_to(select(*_COLUMNS), admin=admin, user_id=bindparam("user_id"))
    q = _filtered(q, project_id=bindparam("project_id") if by_project else None,
                  before_id=bindparam("before_id") if by_before else None,
                  statuses=bindparam("statuses", expanding=True) if by_status else None)
    names = ("limit", "user_id", "project_id", "before_id", "statuses")
    used = (True, not admin, by_project, by_before, by_status)
    return (q.order_by(Task.id.desc()).limit(bindparam("limit")),
            tuple(n for n, on in zip(names, used) if on))


def check_empty(session: Session, user: User, project_id: int | None) -> None:
    """An empty page of one project: NotFound unless ``user`` may see the project.

    Only asked when the list came back empty: a row proves the membership.
    """
    if project_id is not None:
        access.require_role(session=session, user=user, project_id=project_id,
                            at_least=ProjectRole.viewer)


def one(user: User, task_id: int, *, columns=(Task,)) -> Select:
    """The query of one task ``user`` may see; PermissionDenied for nobody or a disabled one."""
    access.active_user(user)
    return visible(select(*columns), user).where(Task.id == task_id)


def list_task_rows(*, session: Session, user: User, project_id: int | None = None,
                   status: str | list[str] | None = None, limit: int = 50,
                   before_id: int | None = None) -> list[Mapping]:
    """``service.list_tasks`` as column mappings of ``ROW_COLUMNS`` (same filters, same access)."""
    if user.disabled:
        raise PermissionDenied("errors.sign_in_required")
    admin, statuses = user.role == Role.admin, _statuses(status)
    q, names = _row_query(admin, project_id is not None, before_id is not None, bool(statuses))
    values = {"limit": min(max(limit, 1), MAX_LIMIT), "user_id": user.id,
              "project_id": project_id, "before_id": before_id, "statuses": statuses}
    # Core, not the ORM session: plain column rows need none of its identity work.
    rows = session.connection().execute(q, {n: values[n] for n in names}).mappings().all()
    if not rows:
        check_empty(session, user, project_id)
    return rows


def get_task_row(*, session: Session, user: User, task_id: int) -> Mapping:
    """``service.get_task`` as a column mapping of ``ROW_COLUMNS``.

    Raises:
        NotFound: no such task, or not in a project of the user's.
        PermissionDenied: no signed-in user, or a disabled one.
    """
    row = session.execute(one(user, task_id, columns=_COLUMNS)).mappings().first()
    if row is None:
        raise NotFound()
    return row
