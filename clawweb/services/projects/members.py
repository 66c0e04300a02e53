"""A project's members and their roles: list (viewers), add, change, remove (owners).

The last owner can neither be demoted nor removed; anyone may leave.
"""

from __future__ import annotations

from sqlmodel import Session, select

from clawweb.models import ProjectMember, ProjectRole, User
from clawweb.services import audit
from clawweb.services.access import active_user, require_role
from clawweb.services.accounts.auth_sessions import find_user  # case-insensitive lookup
from clawweb.services.errors import InvalidInput, NotFound


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
    actor = active_user(user)
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
