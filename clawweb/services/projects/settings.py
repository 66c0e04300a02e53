"""A project's settings: name, description, default branch and task limits (owners)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from clawweb.models import Project, ProjectRole, User, utcnow
from clawweb.services import audit, git
from clawweb.services.errors import InvalidInput
from clawweb.services.projects.service import (clean_description, clean_name, get_project,
                                               project_repo_path, snapshot)

LIMITS = {"max_concurrent_tasks": (1, 20), "task_timeout_seconds": (60, 86400)}


def _check_limit(field: str, value: int) -> int:
    low, high = LIMITS[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput("projects.limit_invalid", field=field, low=low, high=high)
    return value


def update_project(*, session: Session, user: User | None, project_id: int,
                   name: str | None = None, description: str | None = None,
                   default_branch: str | None = None, max_concurrent_tasks: int | None = None,
                   task_timeout_seconds: int | None = None, ip: str = "") -> Project:
    """Owner: change a project's settings; ``None`` leaves a field as it is.

    Raises:
        InvalidInput: bad name or limits; ``git.branch_missing`` for an unknown branch.
    """
    project = get_project(session=session, user=user, project_id=project_id,
                          at_least=ProjectRole.owner)
    before = snapshot(project)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = clean_name(name)
    if description is not None:
        changes["description"] = clean_description(description)
    if default_branch is not None:
        if not git.branch_exists(project_repo_path(project), default_branch):
            raise InvalidInput("git.branch_missing", branch=default_branch)
        changes["default_branch"] = default_branch
    for field, value in (("max_concurrent_tasks", max_concurrent_tasks),
                         ("task_timeout_seconds", task_timeout_seconds)):
        if value is not None:
            changes[field] = _check_limit(field, value)
    for field, value in changes.items():
        setattr(project, field, value)
    project.updated_at = utcnow()
    session.add(project)
    audit.record(session=session, actor=user, action="project.update", object_type="project",
                 object_id=project.id, before=before, after=snapshot(project), ip=ip)
    session.commit()
    return project
