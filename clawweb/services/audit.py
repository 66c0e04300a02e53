"""The audit log: who changed what, when, from where. Secrets are redacted."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Optional

from sqlmodel import Session, select

from clawweb.models import AuditEvent, User

# Field names whose values never reach the audit log.
SECRET_FIELDS = frozenset({
    "password", "password_hash", "token", "token_hash", "secret", "api_key",
    "ciphertext", "oauth_token", "setup_code", "key",
})
REDACTED = "[redacted]"
# Flags about secrets are not secrets.
NOT_SECRET = frozenset({"must_change_password", "has_password", "token_expired"})
# The API token behind the current request (set by clawweb/rest/deps.py): every
# change a service audits during an API call names the token that made it.
API_TOKEN: ContextVar[Optional[int]] = ContextVar("clawweb_api_token", default=None)


def _is_secret(key: str) -> bool:
    k = key.lower()
    if k in NOT_SECRET:
        return False
    return k in SECRET_FIELDS or any(s in k for s in ("password", "secret", "token"))


def redact(values: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for k, v in values.items():
        if _is_secret(k):
            out[k] = REDACTED
        elif isinstance(v, dict):
            out[k] = redact(v)
        elif hasattr(v, "value"):  # enums
            out[k] = v.value
        elif hasattr(v, "isoformat"):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out


def record(
    *,
    session: Session,
    actor: Optional[User],
    action: str,
    object_type: str = "",
    object_id: Any = "",
    before: Optional[dict[str, Any]] = None,
    after: Optional[dict[str, Any]] = None,
    ip: str = "",
    detail: str = "",
    actor_name: str = "",
) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the caller's change)."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else actor_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        before=redact(before),
        after=redact(after),
        ip=ip,
        detail=detail,
        api_token_id=API_TOKEN.get(),
    )
    session.add(event)
    return event


def search(
    *,
    session: Session,
    action_prefix: str = "",
    actor_id: Optional[int] = None,
    object_type: str = "",
    object_id: str = "",
    limit: int = 100,
    before_id: Optional[int] = None,
) -> list[AuditEvent]:
    """Newest first; ``before_id`` pages backwards."""
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action_prefix:
        q = q.where(AuditEvent.action.startswith(action_prefix))
    if actor_id is not None:
        q = q.where(AuditEvent.actor_id == actor_id)
    if object_type:
        q = q.where(AuditEvent.object_type == object_type)
    if object_id:
        q = q.where(AuditEvent.object_id == object_id)
    if before_id is not None:
        q = q.where(AuditEvent.id < before_id)
    return list(session.exec(q))
