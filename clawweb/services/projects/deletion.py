"""Deleting a project: its rows (tasks, events, approvals, members, settings,
remotes, credential) and its repository, together or not at all (owners)."""

from __future__ import annotations

import shutil
import uuid

from sqlmodel import Session, select

from clawweb.models import (AgentSettings, Approval, Credential, Project, ProjectMember,
                            ProjectRemote, ProjectRole, Task, TaskEvent, TERMINAL_STATUSES, User)
from clawweb.services import audit
from clawweb.services.errors import InvalidInput
from clawweb.services.projects.service import get_project, project_repo_path, snapshot
from clawweb.services.tasks import attachment_blobs


def _delete_rows(session: Session, project: Project) -> None:
    task_ids = list(session.exec(select(Task.id).where(Task.project_id == project.id)))
    for model, column in ((TaskEvent, TaskEvent.task_id), (Approval, Approval.task_id)):
        for row in session.exec(select(model).where(column.in_(task_ids))):
            session.delete(row)
    for task in session.exec(select(Task).where(Task.project_id == project.id)):
        task.parent_id = None  # follow-ups point at each other within the project
        session.add(task)
    session.flush()
    for model, cond in ((Task, Task.project_id == project.id),
                        (ProjectMember, ProjectMember.project_id == project.id),
                        (AgentSettings, AgentSettings.project_id == project.id),
                        (ProjectRemote, ProjectRemote.project_id == project.id),
                        (Credential, (Credential.owner_type == "project")
                         & (Credential.owner_id == project.id))):
        for row in session.exec(select(model).where(cond)):
            session.delete(row)
    session.flush()
    session.delete(project)


def delete_project(*, session: Session, user: User | None, project_id: int,
                   confirm_name: str, ip: str = "") -> None:
    """Owner: delete a project, its tasks and its repository.

    Raises:
        InvalidInput: ``projects.confirm_mismatch`` unless ``confirm_name`` is
            exactly the name; ``projects.has_active_tasks`` while tasks run.
    """
    project = get_project(session=session, user=user, project_id=project_id,
                          at_least=ProjectRole.owner)
    if confirm_name != project.name:
        raise InvalidInput("projects.confirm_mismatch")
    active = session.exec(select(Task.id).where(
        Task.project_id == project.id,
        Task.status.not_in(list(TERMINAL_STATUSES)))).first()
    if active is not None:
        raise InvalidInput("projects.has_active_tasks")
    repo = project_repo_path(project)
    # Move the repository aside first, so a failed commit can put it back and
    # a successful one never leaves a half-deleted directory under its name.
    trash = repo.parent / f".trash-{repo.name}-{uuid.uuid4().hex[:8]}"
    if repo.exists():
        repo.rename(trash)
    try:
        audit.record(session=session, actor=user, action="project.delete",
                     object_type="project", object_id=project.id, before=snapshot(project),
                     ip=ip)
        blobs = attachment_blobs.of_project(session, project.id)
        _delete_rows(session, project)
        session.commit()
    except BaseException:
        session.rollback()
        if trash.exists():
            trash.rename(repo)
        raise
    shutil.rmtree(trash, ignore_errors=True)
    attachment_blobs.remove(blobs)  # after the commit: a refused delete keeps them
