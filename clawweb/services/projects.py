"""Projects: create (clone or empty), read, settings, delete, and members.

Each project owns a bare repository at ``settings.repos_dir/<slug>.git``.
Rights are checked here, on every call: a Reflex handler is callable by any
connected client. A project the caller cannot see raises NotFound, never
PermissionDenied, so its existence does not leak. Admins count as owners.
Changes are committed here because the database row and the repository on
disk must appear and disappear together.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from clawweb.models import (
    PROJECT_ROLE_RANK, AgentSettings, Approval, Credential, Project, ProjectMember,
    ProjectRemote, ProjectRole, Role, Task, TaskEvent, TERMINAL_STATUSES, User, utcnow,
)
from clawweb.services import audit, git
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.settings import get_settings

MAX_NAME = 100
MAX_DESCRIPTION = 2000
LIMITS = {"max_concurrent_tasks": (1, 20), "task_timeout_seconds": (60, 86400)}


def project_repo_path(project: Project) -> Path:
    """Where the project's bare repository lives."""
    return get_settings().repos_dir / f"{project.slug}.git"


def snapshot(project: Project) -> dict[str, Any]:
    """The audited view of a project."""
    return {"name": project.name, "slug": project.slug, "description": project.description,
            "default_branch": project.default_branch, "source_url": project.source_url,
            "max_concurrent_tasks": project.max_concurrent_tasks,
            "task_timeout_seconds": project.task_timeout_seconds}


# --- access ------------------------------------------------------------------

def _active(user: User | None) -> User:
    if user is None or user.id is None or user.disabled:
        raise PermissionDenied("errors.sign_in_required")
    return user


def _role_of(session: Session, user: User, project_id: int) -> ProjectRole | None:
    if user.role == Role.admin:
        return ProjectRole.owner
    m = session.exec(select(ProjectMember).where(ProjectMember.project_id == project_id,
                                                 ProjectMember.user_id == user.id)).first()
    return ProjectRole(m.role) if m else None


def require_role(*, session: Session, user: User | None, project_id: int,
                 at_least: ProjectRole) -> ProjectRole:
    """The caller's role on the project, if it is at least ``at_least``.

    Raises:
        NotFound: no such project, or the caller is not a member (no leak).
        PermissionDenied: a member with a lower role, or no signed-in user.
    """
    user = _active(user)
    if session.get(Project, project_id) is None:
        raise NotFound()
    role = _role_of(session, user, project_id)
    if role is None:
        raise NotFound()
    if PROJECT_ROLE_RANK[role] < PROJECT_ROLE_RANK[ProjectRole(at_least)]:
        raise PermissionDenied()
    return role


def get_project(*, session: Session, user: User | None, project_id: int,
                at_least: ProjectRole = ProjectRole.viewer) -> Project:
    """The project, if the caller has at least ``at_least`` on it."""
    require_role(session=session, user=user, project_id=project_id, at_least=at_least)
    return session.get(Project, project_id)


def list_projects(*, session: Session, user: User | None) -> list[Project]:
    """Admins see every project; others the projects they are members of."""
    user = _active(user)
    q = select(Project).order_by(Project.name, Project.id)
    if user.role != Role.admin:
        q = q.join(ProjectMember, ProjectMember.project_id == Project.id).where(
            ProjectMember.user_id == user.id)
    return list(session.exec(q))


# --- create / update / delete ---------------------------------------------------------

def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("projects.name_required")
    if len(name) > MAX_NAME:
        raise InvalidInput("projects.name_too_long")
    return name


def _clean_description(description: str) -> str:
    return (description or "").strip()[:MAX_DESCRIPTION]


def _unique_slug(session: Session, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "project"
    slug, n = base, 1
    repos = get_settings().repos_dir
    # The directory counts too: a leftover from a crash must never be reused.
    while (session.exec(select(Project.id).where(Project.slug == slug)).first() is not None
           or (repos / f"{slug}.git").exists()):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _is_local_source(url: str) -> bool:
    return url.startswith("/") or url.lower().startswith("file:")


def _member_may_clone_local(url: str) -> bool:
    """Members may clone server paths only under the operator's allowed roots.

    A path elsewhere could name another project's repository (or any repository
    on the server), so by default only admins clone local paths; an operator
    opens directories with ``CLAWWEB_LOCAL_CLONE_ROOTS``. The data directory is
    never one of them.
    """
    settings = get_settings()
    path = url[len("file://"):] if url.lower().startswith("file://") else url
    real = Path(os.path.realpath(path))
    data = Path(os.path.realpath(settings.data_dir))
    if real == data or data in real.parents:
        return False
    for root in filter(None, settings.local_clone_roots.split(os.pathsep)):
        root_real = Path(os.path.realpath(root))
        if real == root_real or root_real in real.parents:
            return True
    return False


def _check_source(user: User, source_url: str, remote_token: str, deploy_key: bool):
    """(checked URL, the parsed private remote or None) for a new project's source."""
    from clawweb.services.remotes import clone as remote_clone

    if source_url and (remote_token or deploy_key):
        private = remote_clone.check_source(source_url, token=remote_token,
                                            deploy_key=deploy_key)
        return private.raw, private
    if source_url:
        source_url = git.check_url(source_url)
        # A path on the server could name another project's repository.
        if (_is_local_source(source_url) and user.role != Role.admin
                and not _member_may_clone_local(source_url)):
            raise PermissionDenied("projects.local_source_admin_only")
    return source_url, None


def create_project(*, session: Session, user: User | None, name: str, description: str = "",
                   source_url: str = "", ip: str = "", remote_token: str = "",
                   deploy_key: bool = False) -> Project:
    """Create a project, cloning ``source_url`` or starting an empty repository.

    The creator becomes its owner. On any failure nothing remains: no row, no
    directory. A private repository is cloned with ``remote_token`` (HTTPS), or
    gets a generated ``deploy_key`` (SSH) and an empty repository that its
    first sync fills (the key must be added to the forge first); either way
    the URL and credential become the project's remote.

    Raises:
        InvalidInput: ``projects.name_*``.
        PermissionDenied: a non-admin asked to clone a server-side path.
        git.GitError: the clone failed (``git.url_*``, ``git.unreachable``, ...).
        RemoteError: the private clone failed (``remotes.*``).
    """
    user = _active(user)
    name, description = _clean_name(name), _clean_description(description)
    # Imported here: the remotes package uses this module's access checks.
    from clawweb.services.remotes import clone as remote_clone

    source_url, private = _check_source(user, (source_url or "").strip(), remote_token,
                                        deploy_key)
    project = Project(name=name, slug=_unique_slug(session, name), description=description,
                      source_url=source_url, created_by=user.id)
    dest = project_repo_path(project)
    if private:
        remote_clone.clone_for_project(private, dest, token=remote_token,
                                       deploy_key=deploy_key)
        project.default_branch = git.default_branch(dest)
    elif source_url:
        git.clone_into(source_url, dest)
        project.default_branch = git.default_branch(dest)
    else:
        git.init_empty(dest, branch=project.default_branch)
    try:
        session.add(project)
        session.flush()
        session.add(ProjectMember(project_id=project.id, user_id=user.id,
                                  role=ProjectRole.owner))
        if private:
            remote_clone.attach(session, project=project, user=user, url=private,
                                token=remote_token, deploy_key=deploy_key, ip=ip)
        audit.record(session=session, actor=user, action="project.create",
                     object_type="project", object_id=project.id, after=snapshot(project),
                     ip=ip)
        session.commit()
    except BaseException:
        session.rollback()
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return project


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
        changes["name"] = _clean_name(name)
    if description is not None:
        changes["description"] = _clean_description(description)
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
        _delete_rows(session, project)
        session.commit()
    except BaseException:
        session.rollback()
        if trash.exists():
            trash.rename(repo)
        raise
    shutil.rmtree(trash, ignore_errors=True)


# --- repository views ------------------------------------------------------------

def recent_commits_for(*, session: Session, user: User | None, project_id: int,
                       limit: int = 20, ref: str | None = None) -> list[dict]:
    """Viewer: newest commits of ``ref`` (default: the project's default branch)."""
    project = get_project(session=session, user=user, project_id=project_id)
    limit = max(1, min(int(limit), 200))
    return git.recent_commits(project_repo_path(project), ref or project.default_branch, limit)


def branches_for(*, session: Session, user: User | None, project_id: int) -> list[str]:
    """Viewer: the branches of the project's repository."""
    project = get_project(session=session, user=user, project_id=project_id)
    return git.branches(project_repo_path(project))



# --- members -------------------------------------------------------------------

def _parse_role(role: ProjectRole | str) -> ProjectRole:
    try:
        return ProjectRole(role)
    except ValueError:
        raise InvalidInput("projects.role_invalid") from None


def _membership(session: Session, project_id: int, user_id: int) -> ProjectMember:
    m = session.exec(select(ProjectMember).where(ProjectMember.project_id == project_id,
                                                 ProjectMember.user_id == user_id)).first()
    if m is None:
        raise NotFound("projects.not_member")
    return m


def _owner_count(session: Session, project_id: int) -> int:
    return len(session.exec(select(ProjectMember.id).where(
        ProjectMember.project_id == project_id,
        ProjectMember.role == ProjectRole.owner)).all())


def _audit_member(session, actor, action, project_id, target, before, after, ip) -> None:
    audit.record(session=session, actor=actor, action=action, object_type="project",
                 object_id=project_id, detail=target.username, ip=ip,
                 before={"user": target.username, "role": before} if before else None,
                 after={"user": target.username, "role": after} if after else None)


def list_members(*, session: Session, user: User | None, project_id: int) -> list[dict]:
    """Viewer: members as ``user_id``, ``username``, ``display_name``, ``role``."""
    require_role(session=session, user=user, project_id=project_id,
                 at_least=ProjectRole.viewer)
    rows = session.exec(select(ProjectMember, User).join(User, User.id == ProjectMember.user_id)
                        .where(ProjectMember.project_id == project_id)
                        .order_by(User.username)).all()
    return [{"user_id": u.id, "username": u.username, "display_name": u.display_name,
             "role": ProjectRole(m.role).value} for m, u in rows]


def add_member(*, session: Session, user: User | None, project_id: int, username: str,
               role: ProjectRole | str = ProjectRole.viewer, ip: str = "") -> ProjectMember:
    """Owner: give an existing, enabled user a role on the project.

    Raises:
        InvalidInput: ``projects.user_not_found``, ``projects.already_member``,
            ``projects.role_invalid``.
    """
    require_role(session=session, user=user, project_id=project_id,
                 at_least=ProjectRole.owner)
    role = _parse_role(role)
    from clawweb.services.auth_sessions import find_user  # case-insensitive lookup

    target = find_user(session=session, username=username or "")
    if target is None or target.disabled:
        raise InvalidInput("projects.user_not_found", username=(username or "").strip())
    if _role_of_member(session, project_id, target.id) is not None:
        raise InvalidInput("projects.already_member", username=target.username)
    member = ProjectMember(project_id=project_id, user_id=target.id, role=role)
    session.add(member)
    _audit_member(session, user, "member.add", project_id, target, None, role.value, ip)
    session.commit()
    return member


def _role_of_member(session: Session, project_id: int, user_id: int) -> ProjectRole | None:
    try:
        return ProjectRole(_membership(session, project_id, user_id).role)
    except NotFound:
        return None


def set_member_role(*, session: Session, user: User | None, project_id: int, user_id: int,
                    role: ProjectRole | str, ip: str = "") -> ProjectMember:
    """Owner: change a member's role; the last owner cannot be demoted."""
    require_role(session=session, user=user, project_id=project_id,
                 at_least=ProjectRole.owner)
    role = _parse_role(role)
    member = _membership(session, project_id, user_id)
    before = ProjectRole(member.role)
    if before == ProjectRole.owner and role != ProjectRole.owner \
            and _owner_count(session, project_id) <= 1:
        raise InvalidInput("projects.last_owner")
    member.role = role
    session.add(member)
    _audit_member(session, user, "member.update", project_id, session.get(User, user_id),
                  before.value, role.value, ip)
    session.commit()
    return member


def remove_member(*, session: Session, user: User | None, project_id: int, user_id: int,
                  ip: str = "") -> None:
    """Owner: remove a member (anyone may leave); never the last owner."""
    actor = _active(user)
    at_least = ProjectRole.viewer if actor.id == user_id else ProjectRole.owner
    require_role(session=session, user=actor, project_id=project_id, at_least=at_least)
    member = _membership(session, project_id, user_id)
    before = ProjectRole(member.role)
    if before == ProjectRole.owner and _owner_count(session, project_id) <= 1:
        raise InvalidInput("projects.last_owner")
    session.delete(member)
    _audit_member(session, actor, "member.remove", project_id, session.get(User, user_id),
                  before.value, None, ip)
    session.commit()
