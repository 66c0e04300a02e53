"""A delivery arrives: verify, de-duplicate, log, answer, and hand it to a worker.

Called by the HTTP route (``clawweb/http/webhooks.py``) with the body already
read under the size cap. The answer is immediate: 202 once the delivery row
is committed, whatever happens after; the work is an RQ job
(``worker.webhook_jobs.process_delivery``) enqueued by path with the JSON
serializer. If Redis is down at that moment, :func:`sweep` (run by every
worker's schedule loop) enqueues it later, so an accepted delivery is never
lost. Refusals are logged too, with their reason, and pruned so a flood of
forged requests cannot grow the log without bound.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import redis as redis_lib
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clawweb import redis_conn
from clawweb.models import Webhook, WebhookDelivery, utcnow
from clawweb.services.tasks import queue as task_queue
from clawweb.services.crypto import SecretUnreadable
from clawweb.services.webhooks import events, signatures, store
from clawweb.services.webhooks.signatures import Refused
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

JOB_PATH = "worker.webhook_jobs.process_delivery"
JOB_QUEUE = "high"  # ahead of tasks: it only starts them
KEEP_VERIFIED_DAYS = 7
STUCK_SECONDS = 30
PROCESSING_STUCK_SECONDS = 600


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def job_id(delivery_id: int) -> str:
    return f"webhook-delivery-{delivery_id}"


def _refuse(session: Session, hook: Webhook, exc: Refused, *, delivery_id: str, event: str,
            size: int, ip: str) -> Answer:
    session.rollback()
    session.add(WebhookDelivery(webhook_id=hook.id, delivery_id=delivery_id[:100],
                                event=event[:64], status="refused", reason=exc.reason,
                                params=exc.params, size=size, ip=ip))
    session.commit()
    prune(session, hook.id)
    return Answer(exc.status, {"ok": False, "error": exc.reason})


def refuse_too_large(*, session: Session, forge: str, key: str, size: int, ip: str) -> Answer:
    """The route saw a body over the cap: log it against the webhook, answer 413."""
    hook = _find(session, forge, key)
    if hook is None:
        return Answer(404, {"ok": False, "error": "webhooks.unknown"})
    limit = get_settings().webhook_max_body_bytes
    return _refuse(session, hook, Refused("webhooks.refused_too_large", 413, limit=limit),
                   delivery_id="", event="", size=size, ip=ip)


def _find(session: Session, forge: str, key: str) -> Webhook | None:
    if forge not in signatures.FORGES or not key or len(key) > 40:
        return None
    hook = session.exec(select(Webhook).where(Webhook.key == key)).first()
    return hook if hook is not None and hook.forge == forge else None


def _check_age(forge: str, trigger: events.Trigger, now: float) -> None:
    if forge == "generic" or trigger.at is None:
        return  # generic: its signed timestamp was checked; no event time: the id decides
    settings = get_settings()
    age = now - trigger.at.timestamp()
    if age > settings.webhook_event_max_age_seconds or -age > settings.webhook_tolerance_seconds:
        raise Refused("webhooks.refused_stale", age=int(age))


def _verify(hook: Webhook, headers: Mapping[str, str], body: bytes,
            now: float) -> tuple[signatures.Verified, str]:
    if not hook.enabled:
        raise Refused("webhooks.refused_disabled", 403)
    try:
        secret = store.open_secret(hook)
    except SecretUnreadable:
        raise Refused("webhooks.refused_secret_unreadable", 503) from None
    verified = signatures.verify(hook.forge, secret, headers, body, now=now,
                                 tolerance=get_settings().webhook_tolerance_seconds)
    try:
        data = events.load_payload(body, headers.get("content-type", ""))
    except (ValueError, UnicodeDecodeError):
        raise Refused("webhooks.refused_body", 400) from None
    _check_age(hook.forge, events.parse(hook.forge, verified.event, data), now)
    if hook.forge == "gitea":
        data.pop("secret", None)  # Gitea before 1.14 sent the webhook's secret in the body
    return verified, events.json_text(data)


def receive(*, session: Session, forge: str, key: str, headers: Mapping[str, str],
            body: bytes, ip: str, now: float) -> Answer:
    """Handle one delivery; the answer to send back.

    Args:
        headers: names in lower case.
        now: unix time (the clock is the caller's, so tests control it).
    """
    hook = _find(session, forge, key)
    if hook is None:
        return Answer(404, {"ok": False, "error": "webhooks.unknown"})
    try:
        verified, payload = _verify(hook, headers, body, now)
    except Refused as exc:
        raw_id = next((headers.get(h, "") for h in _ID_HEADERS if headers.get(h)), "")
        return _refuse(session, hook, exc, delivery_id=raw_id, event=_event(headers),
                       size=len(body), ip=ip)
    row = WebhookDelivery(webhook_id=hook.id, delivery_id=verified.delivery_id,
                          dedupe_id=verified.dedupe_id, event=verified.event[:64],
                          status="accepted", payload=payload, size=len(body), ip=ip)
    session.add(row)
    hook.last_delivery_at = utcnow()
    session.add(hook)
    try:
        session.commit()
    except IntegrityError:
        return _refuse(session, hook, Refused("webhooks.refused_duplicate", 409),
                       delivery_id=verified.delivery_id, event=verified.event,
                       size=len(body), ip=ip)
    enqueue(row.id)
    return Answer(202, {"ok": True, "delivery": row.id})


_ID_HEADERS = ("x-github-delivery", "x-gitea-delivery", "x-forgejo-delivery",
               "idempotency-key", "x-gitlab-event-uuid", "x-clawweb-delivery")
_EVENT_HEADERS = ("x-github-event", "x-gitea-event", "x-forgejo-event", "x-gitlab-event",
                  "x-clawweb-event")


def _event(headers: Mapping[str, str]) -> str:
    return next((headers.get(h, "") for h in _EVENT_HEADERS if headers.get(h)), "")


def enqueue(delivery_id: int) -> bool:
    """Hand the delivery to a worker; False (logged) when Redis is down: the sweep retries."""
    try:
        task_queue.rq_queue(redis_conn.get_redis(), JOB_QUEUE).enqueue(
            JOB_PATH, delivery_id, job_id=job_id(delivery_id), job_timeout=900,
            result_ttl=3600, failure_ttl=7 * 86400, description=f"webhook delivery {delivery_id}")
        return True
    except redis_lib.RedisError:
        log.warning("webhook delivery %s: enqueue deferred to the sweep (Redis down)",
                    delivery_id)
        return False


def prune(session: Session, webhook_id: int) -> None:
    """Keep the newest refused rows (``webhook_log_keep``) and a week of the rest."""
    keep = get_settings().webhook_log_keep
    old = session.exec(select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == "refused")
        .order_by(WebhookDelivery.id.desc()).offset(keep)).all()
    cutoff = utcnow() - timedelta(days=KEEP_VERIFIED_DAYS)
    old += session.exec(select(WebhookDelivery.id).where(
        WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.received_at < cutoff,
        WebhookDelivery.status != "accepted")).all()
    for row_id in set(old):
        session.delete(session.get(WebhookDelivery, row_id))
    session.commit()


def sweep(*, session: Session) -> list[int]:
    """Re-enqueue deliveries no worker took (Redis was down); free ones a dead worker held.

    Returns:
        Ids enqueued again.
    """
    now = utcnow()
    stuck = now - timedelta(seconds=PROCESSING_STUCK_SECONDS)
    # A worker that died mid-way: its tasks are idempotent by delivery, so go again.
    session.execute(update(WebhookDelivery).where(
        WebhookDelivery.status == "processing", WebhookDelivery.processed_at < stuck)
        .values(status="accepted"))
    session.commit()
    waiting = session.exec(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "accepted",
        WebhookDelivery.received_at < now - timedelta(seconds=STUCK_SECONDS))
        .order_by(WebhookDelivery.id).limit(100)).all()
    return [d for d in waiting if _not_queued(d) and enqueue(d)]


def _not_queued(delivery_id: int) -> bool:
    from rq.job import Job
    from rq.serializers import JSONSerializer

    try:
        job = Job.fetch(job_id(delivery_id), connection=redis_conn.get_redis(),
                        serializer=JSONSerializer)
    except Exception:  # noqa: BLE001 - no such job (or unreadable): enqueue anew
        return True
    return job.get_status(refresh=False) not in ("queued", "started", "deferred", "scheduled")
