"""The Webhook rows of a project: create, change, rotate, delete, read, and their log.

Owners (and admins) only. The secret is made here, shown once (returned by
:func:`create` and :func:`rotate_secret`), stored encrypted and bound to its
row; views never carry it. Every change is audited without it.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, select

from clawweb import routes
from clawweb.models import ProjectRole, User, Webhook, WebhookDelivery, iso_utc, utcnow
from clawweb.services import audit, crypto
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.access import require_role
from clawweb.services.webhooks import rules
from clawweb.services.webhooks.signatures import FORGES
from clawweb.settings import get_settings

MAX_PER_PROJECT = 20


def secret_aad(webhook_id: int) -> str:
    return f"webhook-secret:{webhook_id}"


def open_secret(hook: Webhook) -> str:
    """The plain secret, for verifying one delivery (raises crypto.SecretUnreadable)."""
    return crypto.decrypt(hook.secret_ciphertext, aad=secret_aad(hook.id))


def _owner(session: Session, user: User | None, project_id: int) -> None:
    require_role(session=session, user=user, project_id=project_id, at_least=ProjectRole.owner)


def get_owned(*, session: Session, user: User | None, webhook_id: int) -> Webhook:
    """The webhook, if the caller owns its project (NotFound for strangers)."""
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound()
    _owner(session, user, hook.project_id)
    return hook


def audit_view(hook: Webhook) -> dict[str, Any]:
    return {"forge": hook.forge, "name": hook.name,
            **{k: getattr(hook, k) for k in (*rules.FLAGS, *rules.TEXT_FIELDS)}}


def _record(session: Session, user: User | None, hook: Webhook, action: str,
            before: dict | None, ip: str) -> None:
    audit.record(session=session, actor=user, action=action, object_type="webhook",
                 object_id=hook.id, before=before, after=audit_view(hook), ip=ip,
                 detail=f"project {hook.project_id}")


def _new_secret(hook: Webhook) -> str:
    secret = secrets.token_urlsafe(32)
    hook.secret_ciphertext = crypto.encrypt(secret, aad=secret_aad(hook.id))
    return secret


def create(*, session: Session, user: User | None, project_id: int, forge: str,
           name: str = "", ip: str = "") -> tuple[Webhook, str]:
    """Owner: a new webhook (no rule on yet) and its secret, which is shown only now.

    Raises:
        InvalidInput: ``webhooks.bad_forge``, ``webhooks.too_many``.
    """
    _owner(session, user, project_id)
    if forge not in FORGES:
        raise InvalidInput("webhooks.bad_forge")
    count = len(session.exec(select(Webhook.id).where(Webhook.project_id == project_id)).all())
    if count >= MAX_PER_PROJECT:
        raise InvalidInput("webhooks.too_many", max=MAX_PER_PROJECT)
    hook = Webhook(project_id=project_id, forge=forge, key=secrets.token_hex(16),
                   name=str(name or "").strip()[:100], created_by=user.id)
    session.add(hook)
    session.flush()
    secret = _new_secret(hook)
    _record(session, user, hook, "webhook.create", None, ip)
    session.commit()
    return hook, secret


def update(*, session: Session, user: User | None, webhook_id: int, values: dict[str, Any],
           ip: str = "") -> Webhook:
    """Owner: change the name, the rules or whether it is on.

    The webhook then runs as the user who changed it: its tasks carry that
    user's rights (and credit).

    Raises:
        InvalidInput: a ``webhooks.*`` key (see :func:`rules.validate`).
    """
    hook = get_owned(session=session, user=user, webhook_id=webhook_id)
    cleaned = rules.validate(values, hook)
    before = audit_view(hook)
    for name, value in cleaned.items():
        setattr(hook, name, value)
    hook.created_by, hook.updated_at = user.id, utcnow()
    session.add(hook)
    _record(session, user, hook, "webhook.update", before, ip)
    session.commit()
    return hook


def rotate_secret(*, session: Session, user: User | None, webhook_id: int,
                  ip: str = "") -> str:
    """Owner: a new secret (the old one stops working at once), shown only now."""
    hook = get_owned(session=session, user=user, webhook_id=webhook_id)
    secret = _new_secret(hook)
    hook.updated_at = utcnow()
    session.add(hook)
    _record(session, user, hook, "webhook.rotate_secret", None, ip)
    session.commit()
    return secret


def delete(*, session: Session, user: User | None, webhook_id: int, ip: str = "") -> None:
    """Owner: remove the webhook and its log."""
    hook = get_owned(session=session, user=user, webhook_id=webhook_id)
    _record(session, user, hook, "webhook.delete", audit_view(hook), ip)
    # One statement, before the webhook's own delete: the ORM's row-by-row deletes met
    # rows already gone at flush (an SAWarning on every delete).
    session.execute(sql_delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
    session.delete(hook)
    session.commit()


def list_for_project(*, session: Session, user: User | None, project_id: int) -> list[Webhook]:
    """Owner: the project's webhooks, oldest first."""
    _owner(session, user, project_id)
    return list(session.exec(select(Webhook).where(Webhook.project_id == project_id)
                             .order_by(Webhook.id)))


def view(session: Session, hook: Webhook) -> dict[str, Any]:
    """What an owner sees of a webhook (never the secret)."""
    runs_as = session.get(User, hook.created_by) if hook.created_by else None
    return {"id": hook.id, "project_id": hook.project_id, "forge": hook.forge,
            "name": hook.name, "url": get_settings().origin + routes.webhook(hook.forge, hook.key),
            **{k: getattr(hook, k) for k in (*rules.FLAGS, *rules.TEXT_FIELDS)},
            "runs_as": runs_as.username if runs_as else "",
            "last_delivery_at": iso_utc(hook.last_delivery_at),
            "created_at": iso_utc(hook.created_at)}


def delivery_view(row: WebhookDelivery) -> dict[str, Any]:
    return {"id": row.id, "received_at": iso_utc(row.received_at),
            "delivery_id": row.delivery_id, "event": row.event, "status": row.status,
            "reason": row.reason, "params": dict(row.params or {}), "task_id": row.task_id,
            "size": row.size, "ip": row.ip, "processed_at": iso_utc(row.processed_at)}


def deliveries(*, session: Session, user: User | None, webhook_id: int, limit: int = 50,
               before_id: int | None = None) -> list[WebhookDelivery]:
    """Owner: the webhook's log, newest first; ``before_id`` pages back."""
    hook = get_owned(session=session, user=user, webhook_id=webhook_id)
    q = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    if before_id is not None:
        q = q.where(WebhookDelivery.id < before_id)
    session.expire_all()
    return list(session.exec(q.order_by(WebhookDelivery.id.desc())
                             .limit(min(max(limit, 1), 200))))
