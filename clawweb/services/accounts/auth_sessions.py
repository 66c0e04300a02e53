"""Sign-in sessions: random tokens, stored only as SHA-256, with expiry and revocation.

The raw token (``secrets.token_urlsafe(32)``, 256 bits) lives only in the
browser's cookie. A stolen database dump therefore holds no usable token, and
revoking a row makes its token useless at the next ``resolve``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from clawweb.models import AuthSession, PushSubscription, Role, User, utcnow
from clawweb.services import audit
from clawweb.services.accounts import passwords, throttle
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.settings import get_settings

# last_seen_at is informational; writing it on every event would make every
# click a database write.
TOUCH_INTERVAL = timedelta(minutes=1)
_MAX_USERNAME = 64
_MAX_USER_AGENT = 400


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(*, session: Session, username: str) -> User | None:
    """The user with this username, compared case-insensitively."""
    name = username.strip()
    if not name or len(name) > _MAX_USERNAME:
        return None
    q = select(User).where(func.lower(User.username) == name.lower())
    return session.exec(q).first()


def _password_ok(user: User | None, password: str) -> bool:
    """One argon2 verification whatever the case, so timing reveals nothing."""
    if user is None or not user.password_hash:
        passwords.dummy_verify(password)
        return False
    ok = passwords.verify_password(password, user.password_hash)
    return ok and not user.disabled


def _fail(*, session: Session, user: User | None, username: str, ip: str,
          ip_trusted: bool) -> None:
    started_lock = throttle.record_failure(username, ip, ip_trusted=ip_trusted)
    reason = "unknown_user" if user is None else ("disabled" if user.disabled else "bad_password")
    audit.record(session=session, actor=None, actor_name=username[:_MAX_USERNAME],
                 action="auth.sign_in_failed", object_type="user",
                 object_id=user.id if user else "", ip=ip, detail=reason)
    if started_lock:
        audit.record(session=session, actor=None, actor_name=username[:_MAX_USERNAME],
                     action="auth.lockout", object_type="user", ip=ip)
    # The caller's transaction rolls back on our error; the record must survive it.
    session.commit()
    raise InvalidInput("auth.invalid_credentials")


def sign_in(*, session: Session, username: str, password: str, ip: str,
            user_agent: str, ip_trusted: bool = True, language: str = "") -> tuple[User, str]:
    """Check a username and password and open a new session.

    ``ip_trusted`` says whether ``ip`` is the client's own address (see
    ``throttle``); only then can failures lock the address itself.

    Returns:
        The user and the raw session token (only its hash is stored).

    Raises:
        InvalidInput: ``auth.invalid_credentials`` for an unknown user, a
            disabled user or a wrong password alike; ``auth.locked`` (with
            ``minutes``) while the account or address is locked out.
        Unavailable: Redis (the throttle) cannot be reached.
    """
    username = username.strip()
    throttle.check(username, ip, ip_trusted=ip_trusted)
    user = find_user(session=session, username=username)
    if not _password_ok(user, password):
        _fail(session=session, user=user, username=username, ip=ip, ip_trusted=ip_trusted)
    throttle.reset_account(username)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        session.add(user)
    return user, open_session(session=session, user=user, ip=ip, user_agent=user_agent,
                              language=language)


def open_session(*, session: Session, user: User, ip: str, user_agent: str,
                 language: str = "") -> str:
    """A new session for a user whose identity the caller has just proven
    (a password check, or the password they set at setup or from an invite).

    ``language`` is the catalog language the device's browser asks for (its
    Accept-Language, ``i18n.pick_language``): what notifications speak to a user
    who lets the browser choose (:func:`device_language`).

    Returns:
        The raw token; only its hash is stored.
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = AuthSession(
        user_id=user.id, token_hash=hash_token(token), user_agent=user_agent[:_MAX_USER_AGENT],
        ip=ip, created_at=now, last_seen_at=now, language=language[:8],
        expires_at=now + timedelta(days=get_settings().session_days),
    )
    session.add(row)
    session.flush()
    audit.record(session=session, actor=user, action="auth.sign_in", object_type="session",
                 object_id=row.id, ip=ip, detail=user_agent[:_MAX_USER_AGENT])
    return token


def device_language(*, session: Session, user: User) -> str:
    """The language the user reads in: theirs if chosen, else their latest device's browser's.

    "" when neither says (callers fall back to the default language).
    """
    if user.language:
        return user.language
    q = (select(AuthSession.language)
         .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > utcnow(), AuthSession.language != "")
         .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc()).limit(1))
    return session.exec(q).first() or ""


def _active(row: AuthSession | None) -> bool:
    return row is not None and row.revoked_at is None and row.expires_at > utcnow()


def resolve(*, session: Session, token: str,
            touch: bool = True) -> tuple[User, AuthSession] | None:
    """The user and session behind a raw token, or None.

    None when the token is unknown, expired or revoked, or its user is
    disabled. With ``touch``, ``last_seen_at`` is updated at most once a minute
    (the caller commits).
    """
    if not token:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if not _active(row):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    now = utcnow()
    if touch and now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
        session.add(row)
    return user, row


def _revoke_row(session: Session, row: AuthSession) -> None:
    """End a sign-in, and the Web Push subscription its browser made under it: a
    signed-out phone must not keep showing the user's notifications."""
    row.revoked_at = utcnow()
    session.execute(delete(PushSubscription).where(PushSubscription.auth_session_id == row.id))


def sign_out(*, session: Session, token: str, ip: str = "") -> None:
    """End the session behind ``token``; unknown or ended tokens are ignored."""
    if not token:
        return
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return
    _revoke_row(session, row)
    session.add(row)
    audit.record(session=session, actor=session.get(User, row.user_id), action="auth.sign_out",
                 object_type="session", object_id=row.id, ip=ip)


def list_sessions(*, session: Session, user: User) -> list[AuthSession]:
    """The user's active (unrevoked, unexpired) sessions, newest first."""
    q = (select(AuthSession)
         .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > utcnow())
         .order_by(AuthSession.created_at.desc(), AuthSession.id.desc()))
    return list(session.exec(q))


def revoke(*, session: Session, actor: User, session_id: int, ip: str = "") -> None:
    """End one session: the actor's own, or anyone's if the actor is an admin.

    Raises:
        NotFound: no such session.
        PermissionDenied: someone else's session and the actor is not an admin.
    """
    row = session.get(AuthSession, session_id)
    if row is None:
        raise NotFound()
    if row.user_id != actor.id and actor.role != Role.admin:
        raise PermissionDenied()
    if row.revoked_at is not None:
        return
    _revoke_row(session, row)
    session.add(row)
    audit.record(session=session, actor=actor, action="auth.revoke", object_type="session",
                 object_id=row.id, before={"user_id": row.user_id}, ip=ip)


def revoke_all(*, session: Session, user_id: int, except_id: int | None = None) -> int:
    """End all of a user's open sessions (but ``except_id``); returns how many.

    Not audited itself: callers (disable, password reset) audit their action.
    """
    q = select(AuthSession).where(AuthSession.user_id == user_id,
                                  AuthSession.revoked_at.is_(None))
    count = 0
    for row in session.exec(q):
        if row.id == except_id:
            continue
        _revoke_row(session, row)
        session.add(row)
        count += 1
    return count
