"""Delivery that neither loses nor spams: a row first, then one RQ job per row.

``plan`` turns new notifications into Delivery rows, one per (event, channel):
the user's Web Push and own chat channels as their preferences say, and the
project's channels once per event whoever the recipients are. The unique
(channel, event) key makes a second report of the same event a no-op.
``enqueue`` hands each row to RQ after the commit (``worker.notify_jobs.deliver``
on the notify queue, JSON serializer); a row whose job was lost is picked up
again by ``sweep``.

``run`` (the job) claims its row, so a duplicate job finds nothing to do. Events
other than approvals wait ``notify_group_seconds`` first; the job then takes
every other such row still waiting for the same channel and sends them as one
message (a burst of 20 failures is one message per channel). A failed send is
tried again after a back-off, 3 attempts in all; a channel whose sends failed
``notify_breaker_failures`` times in a row is paused (``ChannelHealth``) until
its owner resumes it, and what it missed is logged as paused.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import redis as redis_lib
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.models import ChannelHealth, Delivery, NotifyChannel, Notification, utcnow
from clawweb.services.notify import channels, events, prefs, push
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

JOB_PATH = "worker.notify_jobs.deliver"
MAX_ATTEMPTS = 3
STUCK_SECONDS = 120
OPEN = ("queued", "retrying")


def push_key(user_id: int) -> str:
    return push.channel_key(user_id)


def rq_queue(redis=None) -> Queue:
    return Queue(streams.notify_queue_name(), connection=redis or redis_conn.get_redis(),
                 serializer=JSONSerializer)


def _insert(session: Session, row: Delivery) -> Delivery | None:
    try:
        with session.begin_nested():  # the unique key: one event once per channel
            session.add(row)
        return row
    except IntegrityError:
        return None


def _row(note: Notification, channel_key: str, user_id: int | None,
         status: str = "queued") -> Delivery:
    return Delivery(notification_id=note.id, user_id=user_id, project_id=note.project_id,
                    channel_key=channel_key, event=note.event, event_key=note.dedupe_key,
                    params=dict(note.params or {}), link=note.link, status=status)


def _personal(session: Session, note: Notification) -> list[Delivery]:
    targets = []
    if push.has_devices(session=session, user_id=note.user_id):
        targets.append((prefs.PUSH, push_key(note.user_id)))
    for row in channels.user_channels(session=session, user_id=note.user_id):
        targets.append((prefs.channel_ref(row.id), channels.key_of(row.id)))
    quiet = not prefs.lets_through(session=session, user_id=note.user_id, event=note.event)
    out = []
    for pref_name, key in targets:
        if note.event in prefs.events_for(session=session, user_id=note.user_id,
                                          project_id=note.project_id, channel=pref_name):
            out.append(_row(note, key, note.user_id, "quiet" if quiet else "queued"))
    return out


def plan(*, session: Session, notes: list[Notification], project_id: int | None,
         team_note: Notification | None = None) -> list[Delivery]:
    """Delivery rows for freshly added notifications (flushed, not committed).

    ``team_note`` (any one recipient's row, or a row-less stand-in) carries the
    event to the project's channels; None: the first of ``notes``.
    """
    wanted: list[Delivery] = []
    for note in notes:
        wanted += _personal(session, note)
    team_note = team_note or (notes[0] if notes else None)
    if team_note is not None and project_id:
        for row in channels.project_channels(session=session, project_id=project_id):
            if team_note.event in (row.events or []):
                wanted.append(_row(team_note, channels.key_of(row.id), None))
    return [row for row in wanted if _insert(session, row) is not None]


def enqueue(rows: list[Delivery], *, redis=None) -> None:
    """Hand queued rows to RQ (after their commit). A Redis outage leaves them for ``sweep``."""
    wait = get_settings().notify_group_seconds
    try:
        queue = rq_queue(redis)
        for row in rows:
            if row.status != "queued":
                continue
            delay = 0 if events.get(row.event).approval else wait
            _schedule(queue, row, delay)
    except redis_lib.RedisError:
        log.warning("notifications left to the sweep (Redis unavailable)")


def _schedule(queue: Queue, row: Delivery, delay: float) -> None:
    job_id = f"notify-{row.id}-{row.attempts}"
    opts = dict(job_id=job_id, result_ttl=600, failure_ttl=86400, job_timeout=120,
                description=f"notification delivery {row.id}")
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), JOB_PATH, row.id, **opts)
    else:
        queue.enqueue(JOB_PATH, row.id, **opts)


def health_of(session: Session, channel_key: str) -> ChannelHealth:
    return session.get(ChannelHealth, channel_key) or ChannelHealth(channel_key=channel_key)


def claim(session: Session, delivery_id: int) -> Delivery | None:
    """Take a row for sending; None when another job has it or it is done."""
    won = session.execute(update(Delivery).where(
        Delivery.id == delivery_id, Delivery.status.in_(OPEN), Delivery.group_id.is_(None))
        .values(status="sending", updated_at=utcnow())).rowcount == 1
    session.commit()
    return session.get(Delivery, delivery_id) if won else None


def gather(session: Session, leader: Delivery) -> list[Delivery]:
    """The rows this job's message carries: the leader, plus (first attempt of a
    groupable event) every other row waiting for the same channel."""
    if leader.attempts == 0 and not events.get(leader.event).approval:
        approval_events = [k for k, e in events.EVENTS.items() if e.approval]
        session.execute(update(Delivery).where(
            Delivery.channel_key == leader.channel_key, Delivery.status == "queued",
            Delivery.id != leader.id, Delivery.group_id.is_(None),
            Delivery.event.not_in(approval_events))
            .values(status="sending", group_id=leader.id, updated_at=utcnow()))
        session.commit()
    members = session.exec(select(Delivery).where(Delivery.group_id == leader.id)
                           .order_by(Delivery.id)).all()
    return [leader, *members]


def finish(session: Session, rows: list[Delivery], status: str, reason: str = "") -> None:
    now = utcnow()
    for row in rows:
        row.status, row.reason, row.updated_at = status, reason[:300], now
        if status == "sent":
            row.sent_at = now
        session.add(row)


def record_failure(session: Session, rows: list[Delivery], reason: str) -> str:
    """Count a failed attempt against the rows and their channel; returns the new status."""
    health = health_of(session, rows[0].channel_key)
    health.failures += 1
    health.last_error, health.updated_at = reason[:300], utcnow()
    for row in rows:
        row.attempts += 1
    if health.failures >= get_settings().notify_breaker_failures:
        health.paused_at = health.paused_at or utcnow()
        status = "paused"
    elif rows[0].attempts < MAX_ATTEMPTS:
        status = "retrying"
    else:
        status = "failed"
    session.add(health)
    finish(session, rows, status, reason)
    session.commit()
    return status


def record_success(session: Session, rows: list[Delivery]) -> None:
    health = health_of(session, rows[0].channel_key)
    if health.failures or health.last_error:
        health.failures, health.last_error, health.updated_at = 0, "", utcnow()
        session.add(health)
    finish(session, rows, "sent")
    session.commit()


def retry_later(row: Delivery, *, redis=None) -> None:
    """Schedule the next attempt after the back-off for the attempts made so far."""
    steps = [float(x) for x in get_settings().notify_retry_seconds.split(",") if x.strip()]
    delay = steps[min(row.attempts, len(steps)) - 1] if steps else 5.0
    try:
        _schedule(rq_queue(redis), row, max(delay, 1.0))
    except redis_lib.RedisError:
        log.warning("delivery %s: retry left to the sweep (Redis unavailable)", row.id)


def sweep(*, session: Session, redis=None) -> int:
    """Re-enqueue rows whose job was lost (Redis blip, dead worker); returns how many.

    A row counts as lost when it has been waiting (or sending) for well over
    the group window plus the longest back-off since its last change.
    """
    settings = get_settings()
    steps = [float(x) for x in settings.notify_retry_seconds.split(",") if x.strip()] or [0.0]
    cutoff = utcnow() - timedelta(seconds=STUCK_SECONDS + settings.notify_group_seconds
                                  + max(steps))
    stale = session.exec(select(Delivery).where(
        Delivery.group_id.is_(None), Delivery.updated_at < cutoff,
        Delivery.status.in_([*OPEN, "sending"])).order_by(Delivery.id).limit(200)).all()
    if not stale:
        return 0
    for row in stale:
        if row.status == "sending":  # its job died mid-send: try once more
            row.status = "retrying"
        row.updated_at = utcnow()
        session.add(row)
    session.commit()
    try:
        queue = rq_queue(redis)
        for row in stale:
            _schedule(queue, row, 0)
    except redis_lib.RedisError:
        return 0
    return len(stale)


def log_for(*, session: Session, user_id: int, project_ids: list[int],
            limit: int = 100) -> list[Delivery]:
    """A user's delivery log: their own channels, and the channels of projects they own."""
    cond = Delivery.user_id == user_id
    if project_ids:
        cond = or_(cond, Delivery.user_id.is_(None) & Delivery.project_id.in_(project_ids))
    return list(session.exec(select(Delivery).where(cond).order_by(Delivery.id.desc())
                             .limit(max(1, min(limit, 500)))))


def channel_label(session: Session, channel_key: str) -> dict[str, Any]:
    """How the log names a channel ("push" or the channel's kind and name)."""
    if channel_key.startswith("push:"):
        return {"kind": "push", "name": ""}
    row = session.get(NotifyChannel, int(channel_key.removeprefix("ch:") or 0))
    return {"kind": row.kind, "name": row.name} if row else {"kind": "removed", "name": ""}
