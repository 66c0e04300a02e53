"""Projects: create (clone or empty) and read; settings, deletion and members have
their own modules beside this one.

Each project owns a bare repository at ``settings.repos_dir/<slug>.git``.
Rights are checked on every call (:mod:`clawweb.services.access`): a Reflex
handler is callable by any connected client. Changes are committed here
because the database row and the repository on disk must appear and disappear
together.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from clawweb.models import Project, ProjectMember, ProjectRole, Role, User
from clawweb.services import audit, git
from clawweb.services.access import active_user, require_role
from clawweb.services.errors import InvalidInput, PermissionDenied
from clawweb.settings import get_settings

MAX_NAME = 100
MAX_DESCRIPTION = 2000


def project_repo_path(project: Project) -> Path:
    """Where the project's bare repository lives."""
    return get_settings().repos_dir / f"{project.slug}.git"


def snapshot(project: Project) -> dict[str, Any]:
    """The audited view of a project."""
    return {"name": project.name, "slug": project.slug, "description": project.description,
            "default_branch": project.default_branch, "source_url": project.source_url,
            "max_concurrent_tasks": project.max_concurrent_tasks,
            "task_timeout_seconds": project.task_timeout_seconds}


def get_project(*, session: Session, user: User | None, project_id: int,
                at_least: ProjectRole = ProjectRole.viewer) -> Project:
    """The project, if the caller has at least ``at_least`` on it."""
    require_role(session=session, user=user, project_id=project_id, at_least=at_least)
    return session.get(Project, project_id)


def list_projects(*, session: Session, user: User | None) -> list[Project]:
    """Admins see every project; others the projects they are members of."""
    user = active_user(user)
    q = select(Project).order_by(Project.name, Project.id)
    if user.role != Role.admin:
        q = q.join(ProjectMember, ProjectMember.project_id == Project.id).where(
            ProjectMember.user_id == user.id)
    return list(session.exec(q))


# --- create ---------------------------------------------------------

def clean_name(name: str) -> str:
    """The trimmed name; InvalidInput when empty or too long."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("projects.name_required")
    if len(name) > MAX_NAME:
        raise InvalidInput("projects.name_too_long")
    return name


def clean_description(description: str) -> str:
    """The trimmed description, cut at ``MAX_DESCRIPTION``."""
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
    user = active_user(user)
    name, description = clean_name(name), clean_description(description)
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


