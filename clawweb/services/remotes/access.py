"""Who may change a remote, and who may ship (push, sync, open pull requests).

Remote settings and credentials: project owners (and admins) only.
Shipping: the project's ``ship_role`` rule, the same one merging uses —
``"owner"`` means owners only, ``"editor"`` (the default) owners and editors.
The field belongs to the review work (``Project.ship_role``); until it is
there every project follows the default.
"""

from __future__ import annotations

from sqlmodel import Session

from clawweb.models import Project, ProjectRole, User
from clawweb.services import projects
from clawweb.services.errors import ServiceError

SHIP_ROLES = ("owner", "editor")
DEFAULT_SHIP_ROLE = "editor"


def ship_role(project: Project) -> ProjectRole:
    """The lowest role that may ship in ``project``."""
    value = getattr(project, "ship_role", DEFAULT_SHIP_ROLE) or DEFAULT_SHIP_ROLE
    value = getattr(value, "value", value)
    return ProjectRole.owner if value == "owner" else ProjectRole.editor


def require_owner(*, session: Session, user: User | None, project_id: int) -> Project:
    """The project, if the caller owns it (admins count as owners).

    Raises:
        NotFound: no such project or not a member; PermissionDenied: a lower role.
    """
    return projects.get_project(session=session, user=user, project_id=project_id,
                                at_least=ProjectRole.owner)


def require_ship(*, session: Session, user: User | None, project_id: int) -> Project:
    """The project, if the caller may ship its work.

    Raises:
        NotFound: no such project or not a member; PermissionDenied: a lower role.
    """
    project = projects.get_project(session=session, user=user, project_id=project_id)
    projects.require_role(session=session, user=user, project_id=project_id,
                          at_least=ship_role(project))
    return project


def can_ship(*, session: Session, user: User | None, project_id: int) -> bool:
    """Whether :func:`require_ship` would pass (for showing or hiding buttons)."""
    try:
        require_ship(session=session, user=user, project_id=project_id)
    except ServiceError:
        return False
    return True
