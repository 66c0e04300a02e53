"""The in-app notification centre: rows per recipient, unread count, read state.

Every notification is a row first (delivery to push and chat channels starts
from it). A row is unique per (user, event and object), so an event reported
twice is stored once. Rows older than the retention (30 days) are removed.
Every change a user's bell should show is announced on that user's short
Redis stream (``streams.notify_user_changes_key``), best effort: the count is
always recomputed from the database.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis as redis_lib
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.models import Notification, iso_utc, utcnow
from clawweb.services.errors import NotFound
from clawweb.services.notify import events, text
from clawweb.settings import get_settings

log = logging.getLogger(__name__)
PAGE = 50


def add(*, session: Session, user_id: int, event: str, task_id: int | None,
        project_id: int | None, approval_id: int | None = None,
        params: dict[str, Any] | None = None) -> Notification | None:
    """Store one notification (not committed); None when this user already has it."""
    key = events.dedupe_key(event, task_id=task_id, approval_id=approval_id)
    exists = session.exec(select(Notification.id).where(
        Notification.user_id == user_id, Notification.dedupe_key == key)).first()
    if exists is not None:
        return None
    row = Notification(user_id=user_id, event=event, task_id=task_id, project_id=project_id,
                       approval_id=approval_id, params=dict(params or {}), dedupe_key=key,
                       link=events.deep_link(event, task_id=task_id, approval_id=approval_id))
    try:
        with session.begin_nested():  # a concurrent twin loses on the unique key
            session.add(row)
    except IntegrityError:
        return None
    return row


def announce(user_ids) -> None:
    """Tell each user's open pages that their count may have changed (best effort)."""
    try:
        r = redis_conn.get_redis()
        for user_id in set(user_ids):
            streams.publish_notify_change(r, user_id)
    except redis_lib.RedisError:
        log.warning("notification change not announced (Redis unavailable)")


def unread_count(*, session: Session, user_id: int) -> int:
    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))).one()


def list_for(*, session: Session, user_id: int, limit: int = PAGE,
             unread_only: bool = False) -> list[Notification]:
    """The newest notifications of one user."""
    q = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    return list(session.exec(q.order_by(Notification.id.desc()).limit(max(1, min(limit, 200)))))


def open_item(*, session: Session, user_id: int, notification_id: int) -> str:
    """Mark one of the user's notifications read and return its deep link.

    Raises:
        NotFound: not this user's (the same answer as for an id that does not exist).
    """
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise NotFound()
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)
        session.commit()
        announce([user_id])
    return row.link


def mark_all_read(*, session: Session, user_id: int) -> int:
    """Returns how many were unread."""
    changed = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())).rowcount
    session.commit()
    if changed:
        announce([user_id])
    return changed


def resolve_approval(*, session: Session, approval_id: int) -> list[int]:
    """A decided or expired request is no longer waiting: its notices count as read.

    Returns the users whose count changed (not committed).
    """
    rows = session.exec(select(Notification).where(
        Notification.approval_id == approval_id, Notification.read_at.is_(None),
        Notification.event.in_(list(events.ACTIONABLE)))).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
        session.add(row)
    return sorted({row.user_id for row in rows})


def purge(*, session: Session, now=None) -> int:
    """Remove notifications older than the retention; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=get_settings().notify_retention_days)
    gone = session.execute(delete(Notification).where(Notification.created_at < cutoff)).rowcount
    session.commit()
    return gone


def as_public(row: Notification, lang: str) -> dict[str, Any]:
    """What the centre shows: text in the reader's language, no ids of other objects."""
    msg = text.render(row.event, row.params, lang, row.link)
    return {"id": row.id, "event": row.event, "title": msg.title, "body": msg.body,
            "link": row.link, "read": row.read_at is not None,
            "created": iso_utc(row.created_at)}
