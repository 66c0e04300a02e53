"""First-run setup: the first admin exists only through an explicit, secret step.

While no user exists, the run command prints a one-time setup code (kept in
``data_dir/setup-code``, mode 0600). Whoever opens the setup page must type it,
so a fresh install exposed on a network cannot be claimed by a passer-by.
The code is 160 random bits shown as eight groups of four base32 characters,
easy to type on a phone; dashes, spaces and letter case are ignored.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clawweb.models import Role, SetupClaim, User
from clawweb.services import audit
from clawweb.services.accounts import passwords, throttle, users as accounts
from clawweb.services.errors import InvalidInput
from clawweb.settings import get_settings

_CODE_BYTES = 20  # 160 bits


def setup_code_path() -> Path:
    """Where the pending setup code is kept."""
    return get_settings().data_dir.resolve() / "setup-code"


def needs_setup(*, session: Session) -> bool:
    """True while no user exists (a fresh install)."""
    return session.exec(select(func.count()).select_from(User)).one() == 0


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def _normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _read_code(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def _write_code(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    code = _new_code()
    try:
        # O_EXCL: when two processes start at once, the second reads the first's code.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_code(path)
    with os.fdopen(fd, "w") as f:
        f.write(code + "\n")
    return code


def ensure_setup_code(*, session: Session) -> str | None:
    """The setup code to print at start, or None once a user exists.

    Reads the pending code or creates one (mode 0600). When users exist, a
    stale code file is deleted so it cannot be used or leaked later.
    """
    path = setup_code_path()
    if not needs_setup(session=session):
        path.unlink(missing_ok=True)
        return None
    code = _read_code(path)
    if code:
        os.chmod(path, 0o600)
        return code
    path.unlink(missing_ok=True)  # an empty file from an interrupted write
    return _write_code(path)


def _code_matches(given: str) -> bool:
    expected = _normalize(_read_code(setup_code_path()))
    given = _normalize(given or "")
    # compare_digest runs whatever the inputs, so a missing file costs the same.
    return hmac.compare_digest(given.encode(), expected.encode()) and bool(expected)


def _refuse_code(*, session: Session, username: str, ip: str, ip_trusted: bool) -> None:
    throttle.record_failure("", ip, ip_trusted=ip_trusted)
    audit.record(session=session, actor=None, actor_name=username[:64], action="setup.failed",
                 object_type="setup", ip=ip, detail="bad_code")
    # The caller rolls back on our error; the record must survive it.
    session.commit()
    raise InvalidInput("setup.bad_code")


def _claim(session: Session, user: User) -> None:
    """Insert the admin with the one claim row; a setup that raced us here loses.

    On PostgreSQL the second insert of row 1 waits for the first transaction
    and fails once it commits; ``needs_setup`` alone cannot see it coming.
    """
    try:
        session.add(user)
        session.flush()
        session.add(SetupClaim(id=1, user_id=user.id))
        session.flush()
    except IntegrityError:
        session.rollback()
        raise InvalidInput("setup.already_done") from None


def create_first_admin(*, session: Session, code: str, username: str, password: str,
                       ip: str = "", ip_trusted: bool = True) -> User:
    """Create the first user, an admin, if ``code`` is the pending setup code.

    Wrong codes count against the client address like failed sign-ins (and,
    like them, lock it only when ``ip_trusted``; see ``throttle``). Commits: the
    code is deleted only once the admin is visible to a setup racing this one.

    Raises:
        InvalidInput: ``setup.already_done``, ``setup.bad_code``,
            ``auth.locked``, ``accounts.username_invalid`` or a password-policy key.
        Unavailable: Redis (the throttle) cannot be reached.
    """
    if not needs_setup(session=session):
        raise InvalidInput("setup.already_done")
    # Per address only: a per-name counter would let anyone lock setup for everyone.
    throttle.check("", ip, ip_trusted=ip_trusted)
    if not _code_matches(code):
        if not setup_code_path().exists() and not needs_setup(session=session):
            # A setup that raced us past the first check won, and consumed the code.
            raise InvalidInput("setup.already_done")
        _refuse_code(session=session, username=username, ip=ip, ip_trusted=ip_trusted)
    name = accounts.validate_username(username)
    passwords.check_policy(password, username=name)
    user = User(username=name, role=Role.admin, password_hash=passwords.hash_password(password))
    _claim(session, user)
    audit.record(session=session, actor=user, action="setup.complete", object_type="user",
                 object_id=user.id, after=accounts.snapshot(user), ip=ip)
    # Committed before the code goes: a setup that finds no code then also finds the admin.
    session.commit()
    setup_code_path().unlink(missing_ok=True)
    return user
