"""Who may ship a project's task work: the project's ``ship_role`` setting.

Reading a diff needs only viewer; merging, discarding and downloading a
task's change need owner, or editor when the project allows editors
(``Project.ship_role == "editor"``, the default). Admins count as owners.
"""

from __future__ import annotations

from sqlmodel import Session

from clawweb.models import PROJECT_ROLE_RANK, Project, ProjectRole, User
from clawweb.services import access
from clawweb.services.errors import PermissionDenied

SHIP_ROLES = ("owner", "editor")


def may_ship(role: ProjectRole | str, project: Project) -> bool:
    """Whether a member with ``role`` may ship on ``project``."""
    needed = ProjectRole.owner if project.ship_role == "owner" else ProjectRole.editor
    return PROJECT_ROLE_RANK[ProjectRole(role)] >= PROJECT_ROLE_RANK[needed]


def require_ship(*, session: Session, user: User | None, project_id: int) -> Project:
    """The project, if the caller may ship on it.

    Raises:
        NotFound: no such project, or the caller is no member (no leak).
        PermissionDenied: ``review.ship_forbidden`` for a member below the setting.
    """
    role = access.require_role(session=session, user=user, project_id=project_id,
                               at_least=ProjectRole.viewer)
    project = session.get(Project, project_id)
    if not may_ship(role, project):
        raise PermissionDenied("review.ship_forbidden")
    return project
