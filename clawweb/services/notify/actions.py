"""Approve or Deny from a notification: single-use tokens bound to a user and an approval.

A push for an approval request carries a fresh random token. The service
worker posts it back with the chosen action (``/api/push/action``); only its
SHA-256 is stored. A token works once, only for its own approval and user,
and not after the approval's own expiry; the decision then goes through
``approvals.decide`` as that user, so rights, the one-decision rule and the
audit trail are exactly those of a decision made on the page.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, select

from clawweb.models import Approval, PushActionToken, User, utcnow
from clawweb.services import approvals, audit
from clawweb.services.errors import InvalidInput

ACTIONS = ("allow", "deny")
MAX_TOKEN = 200


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(*, session: Session, user_id: int, approval: Approval) -> str:
    """A new token for ``user_id`` to answer ``approval`` (added, not committed)."""
    raw = secrets.token_urlsafe(32)
    session.add(PushActionToken(token_hash=_hash(raw), user_id=user_id,
                                approval_id=approval.id, expires_at=approval.expires_at))
    return raw


def _claim(session: Session, raw: str) -> PushActionToken:
    row = session.exec(select(PushActionToken).where(
        PushActionToken.token_hash == _hash(raw))).first()
    if row is None:
        raise InvalidInput("notify.action.invalid")
    now = utcnow()
    if row.used_at is not None:
        raise InvalidInput("notify.action.used")
    if row.expires_at <= now:
        raise InvalidInput("notify.action.expired")
    # One conditional UPDATE: of two replays racing, exactly one finds it unused.
    won = session.execute(update(PushActionToken).where(
        PushActionToken.id == row.id, PushActionToken.used_at.is_(None))
        .values(used_at=now)).rowcount == 1
    session.commit()
    if not won:
        raise InvalidInput("notify.action.used")
    return row


def redeem(*, session: Session, token: str, action: str, ip: str = "") -> Approval:
    """Spend ``token`` on ``action`` ("allow" | "deny") for its approval.

    Raises:
        InvalidInput: unknown, used or expired token, an unknown action, or any
            refusal of ``approvals.decide`` (already answered, expired).
        PermissionDenied: the token's user may no longer answer it.
    """
    if action not in ACTIONS or not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
        raise InvalidInput("notify.action.invalid")
    row = _claim(session, token)
    user = session.get(User, row.user_id)
    if user is None:
        raise InvalidInput("notify.action.invalid")
    decided = approvals.decide(session=session, user=user, approval_id=row.approval_id,
                               decision=action, ip=ip)
    audit.record(session=session, actor=user, action="notify.push_action",
                 object_type="approval", object_id=row.approval_id,
                 after={"decision": action}, ip=ip)
    session.commit()
    return decided


def purge(*, session: Session, now=None) -> int:
    """Drop tokens a day past their expiry (spent or not)."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    gone = session.execute(delete(PushActionToken).where(
        PushActionToken.expires_at < cutoff)).rowcount
    session.commit()
    return gone
