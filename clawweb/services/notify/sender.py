"""What a delivery job does: claim, gather, send once, record the outcome.

Called by ``worker.notify_jobs`` (the RQ jobs), so it runs in a worker; the
web process only plans and enqueues. Web Push payloads carry the rendered
title and body (short, inert: ``text``), the deep link, a tag the service
worker uses to replace or close it, and for an approval still waiting the
Approve/Deny actions with a single-use token. Nothing else: no task output,
no secret.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session, select

from clawweb import routes
from clawweb.db import session_scope
from clawweb.i18n import t
from clawweb.models import Approval, Delivery, NotifyChannel, User, utcnow
from clawweb.services.accounts import auth_sessions
from clawweb.services.notify import actions, channels, delivery, events, push, text

log = logging.getLogger(__name__)

PUSH_TTL = 24 * 3600


def tag_for(row: Delivery) -> str:
    """The service worker's tag: one per approval (its notices replace each other)."""
    approval_id = (row.params or {}).get("approval_id")
    if approval_id and row.event in events.ACTIONABLE:
        return f"approval-{approval_id}"
    if approval_id:
        return f"approval-{approval_id}-end"
    return f"n-{row.notification_id or row.id}"


def _pending(session: Session, row: Delivery) -> Approval | None:
    approval_id = (row.params or {}).get("approval_id")
    approval = session.get(Approval, approval_id) if approval_id else None
    if approval is None or approval.decision or approval.expires_at <= utcnow():
        return None
    return approval


def _push_payload(session: Session, rows: list[Delivery], user: User) -> dict | None:
    lang = text.language(auth_sessions.device_language(session=session, user=user))
    if len(rows) > 1:
        msg = text.render_group([(r.event, r.params) for r in rows], lang, routes.NOTIFICATIONS)
        return {"v": 1, "type": "show", "tag": f"group-{rows[0].id}", "title": msg.title,
                "body": msg.body, "url": msg.link, "actions": []}
    row = rows[0]
    msg = text.render(row.event, row.params, lang, row.link)
    payload: dict[str, Any] = {"v": 1, "type": "show", "tag": tag_for(row), "title": msg.title,
                               "body": msg.body, "url": msg.link, "actions": []}
    if row.event in events.ACTIONABLE:
        approval = _pending(session, row)
        if approval is None:
            return None  # answered or expired meanwhile: nothing to ask any more
        payload["token"] = actions.issue(session=session, user_id=user.id, approval=approval)
        payload["actions"] = [{"action": "allow", "title": t("notify.push.approve", lang)},
                              {"action": "deny", "title": t("notify.push.deny", lang)}]
        payload["approval_id"] = approval.id
    return payload


def _to_devices(session: Session, user_id: int, payload: dict, urgency: str) -> tuple[str, str]:
    accepted, errors = 0, []
    for sub in push.devices(session=session, user_id=user_id):
        try:
            accepted += push.send(session=session, row=sub, payload=payload, ttl=PUSH_TTL,
                                  urgency=urgency)
        except push.PushFailed as exc:
            errors.append(exc.reason)
    session.commit()  # removed subscriptions, last use
    if accepted:
        return "sent", ""
    return ("failed", errors[0]) if errors else ("skipped", "no devices")


def _send_push(session: Session, rows: list[Delivery]) -> tuple[str, str]:
    user = session.get(User, int(rows[0].channel_key.removeprefix("push:")))
    if user is None or user.disabled:
        return "skipped", "user disabled"
    payload = _push_payload(session, rows, user)
    if payload is None:
        return "skipped", "already answered"
    urgency = "high" if events.get(rows[0].event).approval else "normal"
    return _to_devices(session, user.id, payload, urgency)


def _channel_language(session: Session, channel: NotifyChannel) -> str:
    if channel.owner_type == "user":
        owner = session.get(User, channel.owner_id)
        return text.language(auth_sessions.device_language(session=session, user=owner)
                             if owner else "")
    return text.language(channel.language)


def _send_channel(session: Session, rows: list[Delivery]) -> tuple[str, str]:
    channel = session.get(NotifyChannel, int(rows[0].channel_key.removeprefix("ch:")))
    if channel is None:
        return "skipped", "channel removed"
    lang = _channel_language(session, channel)
    if len(rows) > 1:
        link = routes.NOTIFICATIONS if channel.owner_type == "user" else routes.TASKS
        msg = text.render_group([(r.event, r.params) for r in rows], lang, link)
    else:
        if rows[0].event in events.ACTIONABLE and _pending(session, rows[0]) is None:
            return "skipped", "already answered"
        msg = text.render(rows[0].event, rows[0].params, lang, rows[0].link)
    ok, reason = channels.send(channel, msg)
    return ("sent", "") if ok else ("failed", reason)


def run(delivery_id: int) -> str:
    """Deliver one row (and the rows grouped with it). Returns the outcome."""
    with session_scope() as session:
        leader = delivery.claim(session, delivery_id)
        if leader is None:
            return "nothing to do"
        if delivery.health_of(session, leader.channel_key).paused_at:
            delivery.finish(session, [leader], "paused", "channel paused")
            session.commit()
            return "paused"
        rows = delivery.gather(session, leader)
        try:
            sender = _send_push if leader.channel_key.startswith("push:") else _send_channel
            outcome, reason = sender(session, rows)
        except Exception:  # noqa: BLE001 - a bug must not leave rows "sending"
            log.exception("delivery %s failed", delivery_id)
            session.rollback()
            outcome, reason = "failed", "internal error"
        if outcome == "sent":
            delivery.record_success(session, rows)
            return "sent"
        if outcome == "skipped":
            delivery.finish(session, rows, "skipped", reason)
            session.commit()
            return "skipped"
        status = delivery.record_failure(session, rows, reason)
        if status == "retrying":
            delivery.retry_later(leader)
        return status


def close_approval(approval_id: int) -> int:
    """Close an approval's notification on every device it reached; returns how many devices."""
    keys = [events.dedupe_key(e, task_id=None, approval_id=approval_id)
            for e in sorted(events.ACTIONABLE)]
    payload = {"v": 1, "type": "close", "tag": f"approval-{approval_id}"}
    closed = 0
    with session_scope() as session:
        user_ids = {int(k.removeprefix("push:")) for k in session.exec(
            select(Delivery.channel_key).where(Delivery.event_key.in_(keys),
                                               Delivery.channel_key.like("push:%"),
                                               Delivery.status == "sent"))}
        for user_id in sorted(user_ids):
            for sub in push.devices(session=session, user_id=user_id):
                try:
                    closed += push.send(session=session, row=sub, payload=payload, ttl=PUSH_TTL,
                                        urgency="high")
                except push.PushFailed as exc:
                    log.info("approval %s: close not delivered to a device (%s)",
                             approval_id, exc.reason)
    return closed
