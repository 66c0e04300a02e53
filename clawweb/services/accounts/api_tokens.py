"""Personal API tokens: scoped, optionally bound to one project, expiring, revocable.

The raw token (``cwt_`` + 256 random bits) is shown once, when it is made;
only its SHA-256 is stored, as for sign-in sessions. A token never grants more
than its user has at the moment it is used: ``authenticate`` loads the user
fresh on every call (disabled → nobody), the services check the user's
current project roles, and ``acting_user`` drops admin rights unless the
token has the ``admin`` scope and the user is still an admin.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session, select

from clawweb.models import ApiToken, ProjectRole, Role, User, utcnow
from clawweb.services import access, audit
from clawweb.services.accounts.auth_sessions import hash_token
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied

TOKEN_PREFIX = "cwt_"
# Scopes are independent: each API route needs exactly one of them.
SCOPES = ("read", "tasks", "approvals", "admin")
EXPIRY_DAYS = (7, 30, 90, 365)
MAX_NAME = 100
MAX_TOKENS_PER_USER = 50
_SHOWN_CHARS = 8
# last_used_* are informational: written at most this often per token and address.
TOUCH_INTERVAL = timedelta(minutes=1)


def _active(row: ApiToken | None) -> bool:
    return (row is not None and row.revoked_at is None
            and (row.expires_at is None or row.expires_at > utcnow()))


def _clean_scopes(scopes: list[str]) -> list[str]:
    wanted = set(scopes or [])
    if not wanted or not wanted <= set(SCOPES):
        raise InvalidInput("api_tokens.scopes_invalid")
    return [s for s in SCOPES if s in wanted]


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("api_tokens.name_required")
    if len(name) > MAX_NAME:
        raise InvalidInput("api_tokens.name_too_long", max=MAX_NAME)
    return name


def _count_active(session: Session, user: User) -> int:
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                               ApiToken.revoked_at.is_(None))).all()
    return sum(1 for row in rows if _active(row))


def create_token(*, session: Session, user: User, name: str, scopes: list[str],
                 project_id: int | None = None, expires_days: int | None = None,
                 ip: str = "") -> tuple[ApiToken, str]:
    """Make a token for ``user`` (the caller commits).

    Args:
        scopes: a non-empty subset of ``SCOPES``; ``admin`` only for admins.
        project_id: bind the token to this project (the user must see it).
        expires_days: one of ``EXPIRY_DAYS``, or None for a token that never expires.

    Returns:
        The row and the raw token, which is never stored and never shown again.

    Raises:
        InvalidInput: bad name, scopes or expiry; too many tokens.
        PermissionDenied: ``admin`` asked by a non-admin, or a disabled user.
        NotFound: ``project_id`` is not a project the user can see.
    """
    if user.disabled:
        raise PermissionDenied("errors.sign_in_required")
    name, scopes = _clean_name(name), _clean_scopes(scopes)
    if "admin" in scopes and user.role != Role.admin:
        raise PermissionDenied("api_tokens.admin_scope_admins_only")
    if project_id is not None:
        access.require_role(session=session, user=user, project_id=project_id,
                              at_least=ProjectRole.viewer)
    if expires_days is not None and expires_days not in EXPIRY_DAYS:
        raise InvalidInput("api_tokens.expiry_invalid")
    if _count_active(session, user) >= MAX_TOKENS_PER_USER:
        raise InvalidInput("api_tokens.too_many", max=MAX_TOKENS_PER_USER)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw),
                   prefix=raw[:len(TOKEN_PREFIX) + _SHOWN_CHARS], scopes=scopes,
                   project_id=project_id, created_at=now,
                   expires_at=now + timedelta(days=expires_days) if expires_days else None)
    session.add(row)
    session.flush()
    audit.record(session=session, actor=user, action="api_token.create",
                 object_type="api_token", object_id=row.id, ip=ip,
                 after={"name": name, "scopes": scopes, "project_id": project_id,
                        "expires_at": row.expires_at})
    return row, raw


def authenticate(*, session: Session, raw: str, ip: str) -> tuple[User, ApiToken] | None:
    """The user and token behind a raw token, or None (unknown, revoked, expired,
    disabled user). Records the last use (the caller commits)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).first()
    if not _active(row):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    now = utcnow()
    if (row.last_used_ip != ip or row.last_used_at is None
            or now - row.last_used_at >= TOUCH_INTERVAL):
        row.last_used_at, row.last_used_ip = now, ip
        session.add(row)
    return user, row


def acting_user(user: User, row: ApiToken) -> User:
    """The user as this token may act: without the ``admin`` scope, or once the
    user is no longer an admin, a detached copy with the member role.

    Never add the copy to a session: it is a view for the access checks.
    """
    if user.role != Role.admin or "admin" in (row.scopes or []):
        return user
    return User.model_validate({**user.model_dump(), "role": Role.member})


def list_own(*, session: Session, user: User) -> list[ApiToken]:
    """The user's unrevoked tokens (expired ones too, to be revoked), newest first."""
    q = (select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
         .order_by(ApiToken.id.desc()))
    return list(session.exec(q))


def list_all(*, session: Session, actor: User) -> list[tuple[ApiToken, str]]:
    """Admin: every unrevoked token with its owner's username, newest first."""
    if actor.disabled or actor.role != Role.admin:
        raise PermissionDenied()
    q = (select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
         .where(ApiToken.revoked_at.is_(None)).order_by(ApiToken.id.desc()))
    return [(row, username) for row, username in session.exec(q)]


def revoke(*, session: Session, actor: User, token_id: int, ip: str = "") -> None:
    """Revoke a token: the actor's own, or anyone's for an admin (the caller commits).

    Raises:
        NotFound: no such token (or already revoked and not the actor's).
        PermissionDenied: someone else's token and the actor is not an admin.
    """
    row = session.get(ApiToken, token_id)
    if row is None or actor.disabled:
        raise NotFound()
    if row.user_id != actor.id and actor.role != Role.admin:
        raise PermissionDenied()
    if row.revoked_at is not None:
        return
    row.revoked_at, row.revoked_by = utcnow(), actor.id
    session.add(row)
    audit.record(session=session, actor=actor, action="api_token.revoke",
                 object_type="api_token", object_id=row.id, ip=ip,
                 before={"user_id": row.user_id, "name": row.name})



def active_by_id(*, session: Session, token_id: int) -> tuple[User, ApiToken] | None:
    """The token and its user while both still hold (for long streams re-checking)."""
    row = session.get(ApiToken, token_id)
    if not _active(row):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return user, row
