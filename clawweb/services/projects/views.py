"""Read models of projects for the UI: plain dicts of strings, safe to put in state.

The projects service returns table rows; pages need small, flat views with
the caller's role alongside. Every function goes through the projects
service's access checks, so a view never shows a project the caller cannot see.
"""

from __future__ import annotations

from sqlmodel import Session, select

from clawweb.models import Project, ProjectMember, ProjectRole, Role, User
from clawweb.services import access
from clawweb.services.projects import service as projects


def _as_admin(session: Session, user: User | None, project_id: int) -> str:
    """"1" when ``user`` sees the project only as an admin (owner's rights, no membership)."""
    if user is None or user.role != Role.admin:
        return ""
    member = session.exec(select(ProjectMember.id).where(
        ProjectMember.project_id == project_id, ProjectMember.user_id == user.id)).first()
    return "" if member is not None else "1"


def _summary(project: Project, role: ProjectRole, as_admin: str = "") -> dict[str, str]:
    return {
        "id": str(project.id),
        "name": project.name,
        "description": project.description,
        "default_branch": project.default_branch,
        "role": ProjectRole(role).value,
        "as_admin": as_admin,
        "created": project.created_at.strftime("%Y-%m-%d") if project.created_at else "",
    }


def project_summaries(*, session: Session, user: User | None) -> list[dict[str, str]]:
    """The caller's projects with their role on each, sorted by name."""
    out = []
    for project in projects.list_projects(session=session, user=user):
        role = access.require_role(session=session, user=user, project_id=project.id,
                                   at_least=ProjectRole.viewer)
        out.append(_summary(project, role, _as_admin(session, user, project.id)))
    return out


def project_detail(*, session: Session, user: User | None, project_id: int) -> dict[str, str]:
    """One project with the caller's role and its settings, as strings.

    Raises:
        NotFound: no such project or the caller is not a member.
    """
    role = access.require_role(session=session, user=user, project_id=project_id,
                               at_least=ProjectRole.viewer)
    project = session.get(Project, project_id)
    view = _summary(project, role, _as_admin(session, user, project_id))
    view.update({
        "source_url": project.source_url,
        "max_concurrent_tasks": str(project.max_concurrent_tasks),
        "task_timeout_minutes": str(max(1, project.task_timeout_seconds // 60)),
    })
    return view
