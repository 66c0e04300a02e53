"""Each user's own settings: password, UI language, display name.

The signed-in user changes only themselves; every change is audited with
before/after like an admin's (``users.snapshot``, no hash).
"""

from __future__ import annotations

from sqlmodel import Session

from clawweb.i18n import LANGUAGES
from clawweb.models import User
from clawweb.services.accounts import auth_sessions, passwords, throttle, users
from clawweb.services.errors import InvalidInput


def change_own_password(*, session: Session, user: User, current: str, new: str,
                        ip: str = "", keep_session_id: int | None = None,
                        ip_trusted: bool = True) -> None:
    """Change the signed-in user's password after checking the current one.

    A wrong current password counts as a failed sign-in (so a stolen session
    cannot guess the password), with the address's trust as at sign-in
    (``throttle``: an address that may be a shared proxy's is never locked).
    With ``keep_session_id`` every other session of the user ends.

    Raises:
        InvalidInput: ``accounts.current_password_wrong``, ``auth.locked``,
            ``accounts.password_unchanged`` or a password-policy key.
        Unavailable: Redis (the throttle) cannot be reached.
    """
    throttle.check(user.username, ip, ip_trusted=ip_trusted)
    if not passwords.verify_password(current, user.password_hash):
        throttle.record_failure(user.username, ip, ip_trusted=ip_trusted)
        raise InvalidInput("accounts.current_password_wrong")
    if passwords.verify_password(new, user.password_hash):
        raise InvalidInput("accounts.password_unchanged")
    passwords.check_policy(new, username=user.username)
    before = users.snapshot(user)
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    users.save(session, user)
    if keep_session_id is not None:
        auth_sessions.revoke_all(session=session, user_id=user.id, except_id=keep_session_id)
    users.audit_change(session, user, "user.password_change", user, before, ip)


def set_language(*, session: Session, user: User, language: str, ip: str = "") -> None:
    """Set the user's UI language: "" (follow the browser), "en" or "zh"."""
    if language != "" and language not in LANGUAGES:
        raise InvalidInput("accounts.language_invalid")
    before = users.snapshot(user)
    user.language = language
    users.save(session, user)
    users.audit_change(session, user, "user.language", user, before, ip)


def set_display_name(*, session: Session, user: User, display_name: str, ip: str = "") -> None:
    """Set the user's own display name (at most 100 characters, no control characters)."""
    name = users.clean_display_name(display_name)
    before = users.snapshot(user)
    user.display_name = name
    users.save(session, user)
    users.audit_change(session, user, "user.display_name", user, before, ip)
