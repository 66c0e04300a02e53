"""Who may change a remote, and who may ship (push, sync, open pull requests).

Remote settings and credentials: project owners (and admins) only.
Shipping follows the one rule merging uses, ``clawweb.services.review.access``
(the project's ``ship_role``: owners only, or owners and editors).
"""

from __future__ import annotations

from sqlmodel import Session

from clawweb.models import Project, ProjectRole, User
from clawweb.services.projects import service as projects
from clawweb.services.errors import ServiceError
from clawweb.services.review.access import require_ship

__all__ = ["can_ship", "require_owner", "require_ship"]


def require_owner(*, session: Session, user: User | None, project_id: int) -> Project:
    """The project, if the caller owns it (admins count as owners).

    Raises:
        NotFound: no such project or not a member; PermissionDenied: a lower role.
    """
    return projects.get_project(session=session, user=user, project_id=project_id,
                                at_least=ProjectRole.owner)


def can_ship(*, session: Session, user: User | None, project_id: int) -> bool:
    """Whether :func:`require_ship` would pass (for showing or hiding buttons)."""
    try:
        require_ship(session=session, user=user, project_id=project_id)
    except ServiceError:
        return False
    return True
