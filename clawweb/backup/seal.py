"""The passphrase box: what keeps a backup's secrets secret and its manifest honest.

Framing (documented here because it is ours, in the spirit of age):

* **Key derivation.** scrypt (``n``, ``r``, ``p`` and a random 16-byte salt, all
  recorded in the manifest's ``kdf``) turns the passphrase into 64 bytes: the
  first 32 are the AES-256-GCM key for the secrets, the last 32 the HMAC-SHA256
  key for the manifest. ``kdf.check`` is HMAC(mac key, ``CHECK``): it tells a
  wrong passphrase apart from a changed archive before anything else is read.
* **Secrets** (``secrets.enc``): ``MAGIC`` (one line), a 12-byte nonce, then
  AES-256-GCM of the JSON payload with ``MAGIC + backup id`` as associated
  data, so the box opens only inside the backup it was made for.
* **Manifest seal** (``manifest.hmac``): hex HMAC-SHA256 over the manifest's
  canonical JSON (sorted keys, no spaces). The manifest carries every other
  member's SHA-256, so the seal covers the whole archive.

Without a passphrase there is no box and no seal: the checksums still catch
corruption, but not someone who edits a part and its checksum together.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from clawweb.backup.errors import Tampered, WrongPassphrase

MAGIC = b"clawweb-backup-secrets v1\n"
CHECK = b"clawweb backup passphrase check v1"
# 2**15 * 8 * 128 bytes = 32 MiB and about a tenth of a second per derivation.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
# A crafted manifest must not make a restore allocate gigabytes.
MAX_N, MAX_R, MAX_P = 2 ** 20, 16, 4
_NONCE = 12


@dataclass(frozen=True)
class Keys:
    aead: bytes
    mac: bytes


def canonical(manifest: dict) -> bytes:
    """The bytes the seal is computed over."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()


def _derive(passphrase: str, kdf: dict) -> Keys:
    raw = Scrypt(salt=base64.b64decode(kdf["salt"]), length=64, n=kdf["n"], r=kdf["r"],
                 p=kdf["p"]).derive(passphrase.encode())
    return Keys(aead=raw[:32], mac=raw[32:])


def new_kdf(passphrase: str) -> dict:
    """Fresh scrypt parameters for a new backup, with the passphrase check value."""
    kdf = {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
           "salt": base64.b64encode(os.urandom(16)).decode()}
    kdf["check"] = hmac.new(_derive(passphrase, kdf).mac, CHECK, hashlib.sha256).hexdigest()
    return kdf


def keys_for(kdf: dict, passphrase: str) -> Keys:
    """The archive's keys from its ``kdf`` and the passphrase.

    Raises:
        WrongPassphrase: the passphrase is not the one the backup was made with.
        Tampered: the kdf parameters are malformed or out of bounds.
    """
    try:
        ok = (kdf["name"] == "scrypt" and 2 <= kdf["n"] <= MAX_N and 1 <= kdf["r"] <= MAX_R
              and 1 <= kdf["p"] <= MAX_P and isinstance(kdf["check"], str))
        keys = _derive(passphrase, kdf) if ok else None
    except (KeyError, TypeError, ValueError) as exc:
        raise Tampered("the archive's key parameters are malformed") from exc
    if keys is None:
        raise Tampered("the archive's key parameters are out of bounds")
    check = hmac.new(keys.mac, CHECK, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(check, kdf["check"]):
        raise WrongPassphrase("the passphrase does not open this backup")
    return keys


def sign_manifest(keys: Keys, manifest: dict) -> str:
    return hmac.new(keys.mac, canonical(manifest), hashlib.sha256).hexdigest()


def verify_manifest(keys: Keys, manifest: dict, mac: str) -> None:
    """Raises Tampered unless ``mac`` seals exactly this manifest."""
    if not hmac.compare_digest(sign_manifest(keys, manifest), mac.strip()):
        raise Tampered("the manifest does not match its seal: the archive was changed")


def seal_secrets(keys: Keys, backup_id: str, payload: dict) -> bytes:
    nonce = os.urandom(_NONCE)
    body = AESGCM(keys.aead).encrypt(nonce, json.dumps(payload).encode(),
                                     MAGIC + backup_id.encode())
    return MAGIC + nonce + body


def open_secrets(keys: Keys, backup_id: str, blob: bytes) -> dict:
    """The payload of ``seal_secrets``.

    Raises:
        Tampered: not a secrets box, made for another backup, or changed.
    """
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + _NONCE + 16:
        raise Tampered("the secrets part is not a clawweb secrets box")
    nonce, body = blob[len(MAGIC):len(MAGIC) + _NONCE], blob[len(MAGIC) + _NONCE:]
    try:
        plain = AESGCM(keys.aead).decrypt(nonce, body, MAGIC + backup_id.encode())
    except InvalidTag as exc:
        raise Tampered("the secrets part does not open: it was changed or belongs "
                       "to another backup") from exc
    return json.loads(plain)
