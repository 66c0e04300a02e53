"""Secrets at rest: AES-256-GCM under a key that lives outside the database.

Ciphertext is text: ``v1.<key id>.<base64url(nonce | ciphertext+tag)>``. The key
id names which key sealed it, so after ``CLAWWEB_SECRET_KEY`` changes (with the
old value kept in ``CLAWWEB_SECRET_KEY_PREVIOUS``) old rows still open, and
``needs_rotation`` tells a writer to re-seal them. An ``aad`` (e.g.
``"credential:user:7"``) binds a ciphertext to its row, so copying it into
another row makes it unreadable instead of lending someone else's key.
Tampering with any byte fails the GCM tag and raises ``SecretUnreadable``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from clawweb.observe import logs
from clawweb.services.errors import ServiceError
from clawweb.settings import Settings, get_settings

VERSION = "v1"
_NONCE = 12
_INFO = b"clawweb secrets at rest v1"


class SecretUnreadable(ServiceError):
    """Wrong key, unknown key, or tampered ciphertext."""

    def __init__(self, key: str = "credentials.unreadable", **params):
        super().__init__(key, **params)


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM


def _derive(secret: bytes) -> _Key:
    # HKDF rather than the raw secret: the configured value may be any length
    # and is also used for other purposes (signing), so each use gets its own key.
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return _Key(id=hashlib.sha256(raw).hexdigest()[:8], aead=AESGCM(raw))


def _keyring(settings: Settings | None = None) -> list[_Key]:
    """The current key first, then previous ones (oldest last)."""
    s = settings or get_settings()
    secrets_ = [s.secret_bytes()]
    secrets_ += s.previous_secret_bytes()
    return [_derive(x) for x in secrets_]


def key_id(secret: bytes) -> str:
    """The key id that ciphertexts sealed under ``secret`` carry (their second field)."""
    return _derive(secret).id


def encrypt(plaintext: str, *, aad: str = "", settings: Settings | None = None) -> str:
    """Seal ``plaintext`` under the current key.

    Args:
        plaintext: the secret.
        aad: context the ciphertext is bound to; the same value must be given
            to ``decrypt``.
        settings: for tests; defaults to the process settings.

    Returns:
        The versioned ciphertext string.
    """
    key = _keyring(settings)[0]
    nonce = os.urandom(_NONCE)
    sealed = key.aead.encrypt(nonce, plaintext.encode(), aad.encode() or None)
    blob = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{VERSION}.{key.id}.{blob}"


def decrypt(ciphertext: str, *, aad: str = "", settings: Settings | None = None) -> str:
    """Open a ciphertext made by ``encrypt`` with the current or a previous key.

    Raises:
        SecretUnreadable: malformed, sealed by an unknown key, bound to another
            ``aad``, or modified.
    """
    try:
        version, key_id, blob = ciphertext.split(".", 2)
        data = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
    except (ValueError, AttributeError) as exc:
        raise SecretUnreadable() from exc
    if version != VERSION or len(data) <= _NONCE:
        raise SecretUnreadable()
    for key in _keyring(settings):
        if key.id != key_id:
            continue
        try:
            plain = key.aead.decrypt(data[:_NONCE], data[_NONCE:], aad.encode() or None).decode()
        except (InvalidTag, UnicodeDecodeError) as exc:
            raise SecretUnreadable() from exc
        # Whatever was worth encrypting is never written to a log line of this process.
        logs.remember_secret(plain)
        return plain
    raise SecretUnreadable()


def needs_rotation(ciphertext: str, *, settings: Settings | None = None) -> bool:
    """True when ``ciphertext`` was sealed by a key other than the current one."""
    parts = ciphertext.split(".", 2)
    return len(parts) != 3 or parts[1] != _keyring(settings)[0].id
