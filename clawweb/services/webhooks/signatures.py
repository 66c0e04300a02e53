"""Is a delivery from the forge? One verifier per forge, each in constant time.

- GitHub: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>``;
  ``X-GitHub-Delivery`` (a GUID, the same on a redelivery), ``X-GitHub-Event``.
- Gitea / Forgejo: ``X-Gitea-Signature`` (Forgejo also ``X-Forgejo-Signature``):
  the bare hex HMAC-SHA256 of the body; ``X-Gitea-Delivery``, ``X-Gitea-Event``.
- GitLab: ``X-Gitlab-Token`` is the secret itself (GitLab signs nothing);
  ``Idempotency-Key`` stays the same across retries (older GitLab:
  ``X-Gitlab-Event-UUID``); ``X-Gitlab-Event``.
- generic: ``X-Clawweb-Timestamp`` (unix seconds) and ``X-Clawweb-Signature:
  sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``, refused when the
  timestamp is more than the tolerance (5 minutes) away from now;
  ``X-Clawweb-Delivery``, ``X-Clawweb-Event``.

A delivery without an id is de-duplicated by the SHA-256 of its body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

FORGES = ("github", "gitlab", "gitea", "generic")
MAX_ID = 100


@dataclass(frozen=True)
class Verified:
    delivery_id: str  # as sent ("" when the forge sent none)
    dedupe_id: str  # what a replay would repeat
    event: str  # the forge's event name


class Refused(Exception):
    """Why a delivery is refused: a message key and the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 401, **params):
        super().__init__(reason)
        self.reason, self.status, self.params = reason, status, params


def hmac_hex(secret: str, data: bytes) -> str:
    """The hex HMAC-SHA256 of ``data``: what GitHub, Gitea and generic senders compute."""
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def generic_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Clawweb-Signature`` value a generic sender puts on ``body``."""
    return "sha256=" + hmac_hex(secret, timestamp.encode() + b"." + body)


def _same(expected: str, given: str) -> bool:
    # Bytes of both, so a non-ASCII header cannot make compare_digest raise.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def _ids(headers: Mapping[str, str], body: bytes, *names: str) -> tuple[str, str]:
    for name in names:
        value = headers.get(name, "").strip()
        if value:
            if len(value) > MAX_ID or not value.isprintable():
                raise Refused("webhooks.refused_delivery_id", 400)
            return value, value
    return "", "sha256:" + hashlib.sha256(body).hexdigest()[:64]


def _github(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> Verified:
    given = headers.get("x-hub-signature-256", "")
    if not given:
        raise Refused("webhooks.refused_no_signature")
    if not _same("sha256=" + hmac_hex(secret, body), given):
        raise Refused("webhooks.refused_signature")
    delivery, dedupe = _ids(headers, body, "x-github-delivery")
    return Verified(delivery, dedupe, headers.get("x-github-event", ""))


def _gitea(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> Verified:
    given = headers.get("x-gitea-signature", "") or headers.get("x-forgejo-signature", "")
    if not given:
        raise Refused("webhooks.refused_no_signature")
    if not _same(hmac_hex(secret, body), given):
        raise Refused("webhooks.refused_signature")
    delivery, dedupe = _ids(headers, body, "x-gitea-delivery", "x-forgejo-delivery")
    event = headers.get("x-gitea-event", "") or headers.get("x-forgejo-event", "")
    return Verified(delivery, dedupe, event)


def _gitlab(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> Verified:
    given = headers.get("x-gitlab-token", "")
    if not given:
        raise Refused("webhooks.refused_no_signature")
    if not _same(secret, given):
        raise Refused("webhooks.refused_signature")
    delivery, dedupe = _ids(headers, body, "idempotency-key", "x-gitlab-event-uuid")
    return Verified(delivery, dedupe, headers.get("x-gitlab-event", ""))


def _generic_at(headers: Mapping[str, str]) -> tuple[str, int]:
    raw = headers.get("x-clawweb-timestamp", "").strip()
    if not raw.isdigit() or len(raw) > 12:
        raise Refused("webhooks.refused_timestamp")
    return raw, int(raw)


def _generic(secret: str, headers: Mapping[str, str], body: bytes, now: float,
             tolerance: int = 300) -> Verified:
    given = headers.get("x-clawweb-signature", "")
    if not given:
        raise Refused("webhooks.refused_no_signature")
    raw, at = _generic_at(headers)
    if not _same(generic_signature(secret, raw, body), given):
        raise Refused("webhooks.refused_signature")
    # Checked after the signature: the timestamp is only worth reading once signed.
    if abs(now - at) > tolerance:
        raise Refused("webhooks.refused_stale", age=int(now - at))
    delivery, dedupe = _ids(headers, body, "x-clawweb-delivery")
    return Verified(delivery, dedupe, headers.get("x-clawweb-event", ""))


_VERIFIERS = {"github": _github, "gitlab": _gitlab, "gitea": _gitea}


def verify(forge: str, secret: str, headers: Mapping[str, str], body: bytes, *,
           now: float, tolerance: int = 300) -> Verified:
    """Check that ``body`` was sent by the holder of ``secret``.

    Args:
        forge: one of :data:`FORGES`.
        headers: the request's headers, names in lower case.
        now: the current unix time (generic timestamps are checked against it).
        tolerance: seconds a generic timestamp may be away from ``now``.

    Raises:
        Refused: no or wrong signature, a bad or stale timestamp, a bad id.
    """
    if not secret:
        raise Refused("webhooks.refused_signature")
    if forge == "generic":
        return _generic(secret, headers, body, now, tolerance)
    return _VERIFIERS[forge](secret, headers, body, now)
