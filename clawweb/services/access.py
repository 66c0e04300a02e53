"""Who may do what on a project: the roles, and the one check every service calls.

A Reflex handler is callable by any connected client, so every service that
reads or changes a project's objects checks the caller's role here, on each
call. A project the caller cannot see raises NotFound, never PermissionDenied,
so its existence does not leak. Admins count as owners.
"""

from __future__ import annotations

from sqlmodel import Session, select

from clawweb.models import PROJECT_ROLE_RANK, Project, ProjectMember, ProjectRole, Role, User
from clawweb.services.errors import NotFound, PermissionDenied


def active_user(user: User | None) -> User:
    """The signed-in, enabled user; PermissionDenied for nobody or a disabled one."""
    if user is None or user.id is None or user.disabled:
        raise PermissionDenied("errors.sign_in_required")
    return user


def role_of(session: Session, user: User, project_id: int) -> ProjectRole | None:
    """The user's role on the project (admins count as owners), None for a stranger."""
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
    user = active_user(user)
    if session.get(Project, project_id) is None:
        raise NotFound()
    role = role_of(session, user, project_id)
    if role is None:
        raise NotFound()
    if PROJECT_ROLE_RANK[role] < PROJECT_ROLE_RANK[ProjectRole(at_least)]:
        raise PermissionDenied()
    return role
