"""User accounts: admin management and invites (each user's own settings: ``profile``).

Admin operations check ``actor.role == Role.admin`` themselves: a Reflex event
handler is callable by any connected client, so the check cannot live only in
the page. Every change is audited with before/after (secrets redacted).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clawweb.models import AuthSession, Invite, Role, User, utcnow
from clawweb.services import audit
from clawweb.services.accounts import auth_sessions, passwords, throttle
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied, Unavailable

USERNAME_RE = re.compile(r"[A-Za-z0-9._-]{3,64}")
INVITE_DAYS = 7
MODES = ("password", "invite")
MAX_DISPLAY_NAME = 100


def snapshot(user: User) -> dict[str, Any]:
    """The audited view of a user (no hash)."""
    return {"username": user.username, "display_name": user.display_name,
            "role": user.role, "disabled": user.disabled,
            "must_change_password": user.must_change_password, "language": user.language}


def validate_username(username: str) -> str:
    """The stripped username, or InvalidInput("accounts.username_invalid")."""
    name = (username or "").strip()
    if not USERNAME_RE.fullmatch(name):
        raise InvalidInput("accounts.username_invalid")
    return name


def ensure_username_free(*, session: Session, username: str) -> None:
    """Raise ``accounts.username_taken`` if the name exists in any letter case."""
    if auth_sessions.find_user(session=session, username=username) is not None:
        raise InvalidInput("accounts.username_taken")


def clean_display_name(value: str) -> str:
    """The stripped display name, or InvalidInput: at most 100 characters, no control ones."""
    name = (value or "").strip()
    if len(name) > MAX_DISPLAY_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput("accounts.display_name_invalid", max=MAX_DISPLAY_NAME)
    return name


def _require_admin(actor: User | None) -> None:
    if actor is None or actor.role != Role.admin or actor.disabled:
        raise PermissionDenied()


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _enabled_admins(session: Session) -> int:
    q = select(func.count()).select_from(User).where(User.role == Role.admin,
                                                     User.disabled.is_(False))
    return session.exec(q).one()


def _ensure_admin_remains(session: Session, target: User) -> None:
    """Refuse a change that would take away the last enabled admin."""
    if target.role == Role.admin and not target.disabled and _enabled_admins(session) <= 1:
        raise InvalidInput("accounts.last_admin")


def save(session: Session, user: User) -> None:
    user.updated_at = utcnow()
    session.add(user)


def audit_change(session: Session, actor: User, action: str, user: User, before: dict | None,
           ip: str, detail: str = "") -> None:
    audit.record(session=session, actor=actor, action=action, object_type="user",
                 object_id=user.id, before=before, after=snapshot(user), ip=ip, detail=detail)


def list_users(*, session: Session, actor: User) -> list[User]:
    """Admin: every user, by username."""
    _require_admin(actor)
    return list(session.exec(select(User).order_by(func.lower(User.username))))


def _new_invite(session: Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    session.add(Invite(user_id=user.id, token_hash=auth_sessions.hash_token(token),
                       expires_at=utcnow() + timedelta(days=INVITE_DAYS)))
    return token


def _insert_new(session: Session, user: User) -> None:
    """Insert a new user; a name taken meanwhile in any letter case is refused.

    The unique index on lower(username) decides: two admins creating "Alice"
    and "alice" at once both pass ``ensure_username_free``.
    """
    try:
        session.add(user)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("accounts.username_taken") from None


def create_user(*, session: Session, actor: User, username: str, role: Role = Role.member,
                display_name: str = "", mode: str = "password",
                ip: str = "") -> tuple[User, str]:
    """Admin: create a user.

    Args:
        mode: ``"password"`` returns a one-time password the user must change
            at first sign-in; ``"invite"`` returns an invite token (valid 7
            days) with which the user picks their own password.

    Returns:
        The user and the one-time password or raw invite token (shown once).

    Raises:
        PermissionDenied: the actor is not an admin.
        InvalidInput: ``accounts.username_invalid``, ``accounts.username_taken``,
            ``accounts.mode_invalid``, ``accounts.role_invalid``,
            ``accounts.display_name_invalid``.
    """
    _require_admin(actor)
    name = validate_username(username)
    if mode not in MODES:
        raise InvalidInput("accounts.mode_invalid")
    user = User(username=name, role=_role(role), display_name=clean_display_name(display_name))
    ensure_username_free(session=session, username=name)
    secret = ""
    if mode == "password":
        secret = passwords.generate_password()
        user.password_hash = passwords.hash_password(secret)
        user.must_change_password = True
    _insert_new(session, user)
    if mode == "invite":
        secret = _new_invite(session, user)
    audit_change(session, actor, "user.create", user, None, ip, detail=mode)
    return user, secret


def accept_invite(*, session: Session, token: str, password: str, ip: str = "") -> User:
    """Set the invited user's own password and use up the invite.

    Raises:
        InvalidInput: ``accounts.invite_invalid`` (unknown, used, expired, or
            the user is disabled) or a password-policy key.
    """
    invite = session.exec(select(Invite).where(
        Invite.token_hash == auth_sessions.hash_token(token or ""))).first()
    user = session.get(User, invite.user_id) if invite else None
    if (invite is None or invite.used_at is not None or invite.expires_at <= utcnow()
            or user is None or user.disabled):
        raise InvalidInput("accounts.invite_invalid")
    passwords.check_policy(password, username=user.username)
    before = snapshot(user)
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = False
    save(session, user)
    invite.used_at = utcnow()
    session.add(invite)
    audit_change(session, user, "user.invite_accept", user, before, ip)
    return user


def _close_invites(session: Session, user_id: int) -> None:
    """A password set by other means makes outstanding invite links useless."""
    q = select(Invite).where(Invite.user_id == user_id, Invite.used_at.is_(None))
    for invite in session.exec(q):
        invite.used_at = utcnow()
        session.add(invite)


def set_disabled(*, session: Session, actor: User, user_id: int, disabled: bool,
                 ip: str = "") -> User:
    """Admin: disable (ending all the user's sessions) or re-enable a user.

    Raises:
        PermissionDenied, NotFound, InvalidInput(``accounts.cannot_disable_self``,
        ``accounts.last_admin``).
    """
    _require_admin(actor)
    user = _target(session, user_id)
    if disabled and user.id == actor.id:
        raise InvalidInput("accounts.cannot_disable_self")
    if disabled:
        _ensure_admin_remains(session, user)
    before = snapshot(user)
    user.disabled = bool(disabled)
    save(session, user)
    if disabled:
        auth_sessions.revoke_all(session=session, user_id=user.id)
    audit_change(session, actor, "user.disable" if disabled else "user.enable", user, before, ip)
    return user


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput("accounts.role_invalid") from None


def set_role(*, session: Session, actor: User, user_id: int, role: Role | str,
             ip: str = "") -> User:
    """Admin: change a user's role, never leaving zero enabled admins."""
    _require_admin(actor)
    new_role = _role(role)
    user = _target(session, user_id)
    if new_role != Role.admin:
        _ensure_admin_remains(session, user)
    before = snapshot(user)
    user.role = new_role
    save(session, user)
    audit_change(session, actor, "user.role", user, before, ip)
    return user


def reset_password(*, session: Session, actor: User, user_id: int, ip: str = "") -> str:
    """Admin: give a user a one-time password (to change at next sign-in).

    Ends the user's sessions and outstanding invites, and lifts a lockout.

    Returns:
        The one-time password, to hand to the user once.
    """
    _require_admin(actor)
    user = _target(session, user_id)
    before = snapshot(user)
    secret = passwords.generate_password()
    user.password_hash = passwords.hash_password(secret)
    user.must_change_password = True
    save(session, user)
    auth_sessions.revoke_all(session=session, user_id=user.id)
    _close_invites(session, user.id)
    try:
        throttle.reset_account(user.username)
    except Unavailable:
        pass  # the reset stands; the lockout merely runs out on its own
    audit_change(session, actor, "user.password_reset", user, before, ip)
    return secret


def last_sign_ins(*, session: Session, actor: User) -> dict[int, Any]:
    """Admin: each user's most recent sign-in time (user id → datetime)."""
    _require_admin(actor)
    q = select(AuthSession.user_id, func.max(AuthSession.created_at)).group_by(
        AuthSession.user_id)
    return {user_id: at for user_id, at in session.exec(q)}
