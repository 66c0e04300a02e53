"""Web Push: the VAPID key pair, browsers' subscriptions, and sending (pywebpush).

The key pair is made on first use with py-vapid and kept in the data directory
(``vapid_private.pem``, mode 0600); browsers subscribe with its public half.
A subscription (endpoint URL and the browser's keys) is stored encrypted and
bound to its user. Sending encrypts the payload for that browser (aes128gcm,
done by pywebpush) and signs a VAPID JWT for the push service; a push service
answering 404 or 410 has forgotten the subscription, so it is removed here too.
Push failures count against ``channel_key(user)`` for the circuit breaker like a
chat channel's; enabling a device again, or Resume on the devices page, resumes it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from sqlmodel import Session, select

from clawweb.models import ChannelHealth, PushSubscription, User, iso_utc, utcnow
from clawweb.services import audit, crypto
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

KEY_FILE = "vapid_private.pem"
MAX_ENDPOINT = 2048
MAX_DEVICES = 20
SEND_TIMEOUT = 10
GONE = (404, 410)


class PushFailed(Exception):
    """A push service refused or could not be reached; ``reason`` is safe to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def channel_key(user_id: int) -> str:
    """The user's Web Push in Delivery and ChannelHealth rows (all their devices)."""
    return f"push:{user_id}"


def paused(*, session: Session, user_id: int) -> bool:
    """Whether the circuit breaker stopped pushes to this user."""
    health = session.get(ChannelHealth, channel_key(user_id))
    return bool(health and health.paused_at)


def resume(*, session: Session, user_id: int) -> None:
    """Close the breaker of the user's push (not committed)."""
    health = session.get(ChannelHealth, channel_key(user_id))
    if health is not None and (health.paused_at or health.failures or health.last_error):
        health.failures, health.paused_at, health.last_error = 0, None, ""
        health.updated_at = utcnow()
        session.add(health)


def key_path() -> Path:
    return get_settings().data_dir.resolve() / KEY_FILE


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Vapid:
    file = Path(path)
    if not file.exists():
        fresh = Vapid()
        fresh.generate_keys()
        file.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it a moment ago: use theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(fresh.private_pem())
    if file.stat().st_mode & 0o077:
        os.chmod(file, 0o600)
    return Vapid.from_file(str(file))


def vapid() -> Vapid:
    """The server's VAPID key pair, created on first use."""
    return _load(str(key_path()))


def application_server_key() -> str:
    """The public key browsers subscribe with (base64url, uncompressed P-256 point)."""
    raw = vapid().public_key.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return _b64url(raw)


def subject() -> str:
    """The VAPID ``sub`` claim: how a push service reaches this server's operator."""
    settings = get_settings()
    if settings.vapid_subject:
        return settings.vapid_subject
    if settings.origin.startswith("https://"):
        return settings.origin
    return "mailto:clawweb@localhost"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_subscription(info: Any) -> dict[str, Any]:
    """A browser's ``PushSubscription.toJSON()``, checked.

    The endpoint must be https (plain http only on loopback, for a push service
    on this machine); the keys must be a P-256 point and a 16-byte secret.

    Raises:
        InvalidInput: anything else.
    """
    try:
        endpoint = str(info["endpoint"])
        p256dh, auth = str(info["keys"]["p256dh"]), str(info["keys"]["auth"])
        parts = urlsplit(endpoint)
        point, secret = _unb64url(p256dh), _unb64url(auth)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("notify.push.bad_subscription") from exc
    scheme_ok = parts.scheme == "https" or (parts.scheme == "http"
                                            and _loopback(parts.hostname or ""))
    if (not scheme_ok or not parts.hostname or parts.username or parts.password
            or len(endpoint) > MAX_ENDPOINT or len(point) != 65 or point[0] != 4
            or len(secret) != 16):
        raise InvalidInput("notify.push.bad_subscription")
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def _hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def _aad(user_id: int, endpoint_hash: str) -> str:
    return f"push:{user_id}:{endpoint_hash}"


def subscribe(*, session: Session, user: User, info: Any, user_agent: str = "",
              ip: str = "", auth_session_id: int | None = None) -> PushSubscription:
    """Store (or take over) this browser's subscription for ``user``.

    A browser has one subscription per site: when another user signs in on it
    and subscribes, the endpoint moves to them. ``auth_session_id`` is the
    sign-in it is made under; ending that session removes it (``auth_sessions``).
    """
    clean = clean_subscription(info)
    digest = _hash(clean["endpoint"])
    row = session.exec(select(PushSubscription).where(
        PushSubscription.endpoint_hash == digest)).first()
    if row is None:
        count = len(session.exec(select(PushSubscription.id).where(
            PushSubscription.user_id == user.id)).all())
        if count >= MAX_DEVICES:
            raise InvalidInput("notify.push.too_many", max=MAX_DEVICES)
        row = PushSubscription(user_id=user.id, endpoint_hash=digest, ciphertext="")
    row.user_id, row.auth_session_id = user.id, auth_session_id
    row.device = (user_agent or "")[:400]
    row.ciphertext = crypto.encrypt(json.dumps(clean), aad=_aad(user.id, digest))
    session.add(row)
    resume(session=session, user_id=user.id)  # enabling a device again resumes a paused push
    session.flush()
    audit.record(session=session, actor=user, action="notify.push_subscribe",
                 object_type="push_subscription", object_id=row.id, ip=ip)
    session.commit()
    return row


def unsubscribe(*, session: Session, user: User, subscription_id: int | None = None,
                endpoint: str | None = None, ip: str = "") -> bool:
    """Remove one of the user's devices (by id, or by the browser's endpoint)."""
    if subscription_id is not None:
        row = session.get(PushSubscription, subscription_id)
    else:
        row = session.exec(select(PushSubscription).where(
            PushSubscription.endpoint_hash == _hash(str(endpoint or "")))).first()
    if row is None or row.user_id != user.id:
        if subscription_id is not None:
            raise NotFound()
        return False
    session.delete(row)
    audit.record(session=session, actor=user, action="notify.push_unsubscribe",
                 object_type="push_subscription", object_id=row.id, ip=ip)
    session.commit()
    return True


def devices(*, session: Session, user_id: int) -> list[PushSubscription]:
    return list(session.exec(select(PushSubscription).where(
        PushSubscription.user_id == user_id).order_by(PushSubscription.id)))


def has_devices(*, session: Session, user_id: int) -> bool:
    return session.exec(select(PushSubscription.id).where(
        PushSubscription.user_id == user_id)).first() is not None


def as_public(row: PushSubscription) -> dict[str, Any]:
    """A device for the list: never the endpoint or keys."""
    return {"id": row.id, "user_agent": row.device, "created": iso_utc(row.created_at),
            "last_used": iso_utc(row.last_used_at)}


def _info(row: PushSubscription) -> dict[str, Any]:
    return json.loads(crypto.decrypt(row.ciphertext, aad=_aad(row.user_id, row.endpoint_hash)))


def send(*, session: Session, row: PushSubscription, payload: dict[str, Any],
         ttl: int = 3600, urgency: str = "normal") -> bool:
    """Encrypt ``payload`` for one browser and hand it to its push service.

    Returns:
        True when accepted; False when the push service no longer knows the
        subscription (it is removed, not committed).

    Raises:
        PushFailed: any other refusal, or the push service could not be reached.
    """
    try:
        webpush(_info(row), json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                vapid_private_key=vapid(), vapid_claims={"sub": subject()}, ttl=ttl,
                headers={"Urgency": urgency}, timeout=SEND_TIMEOUT)
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in GONE:
            session.delete(row)
            return False
        raise PushFailed(f"HTTP {status}" if status else "push refused") from None
    except requests.RequestException:
        raise PushFailed("connection failed") from None
    except crypto.SecretUnreadable:
        raise PushFailed("subscription unreadable") from None
    row.last_used_at = utcnow()
    session.add(row)
    return True
