"""ed25519 deploy keys and SSH fingerprints, with ``cryptography`` (no ssh-keygen)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@dataclass(frozen=True)
class DeployKey:
    private: str  # OpenSSH private key format, unencrypted: seal it before storing
    public: str  # "ssh-ed25519 AAAA… comment", what the forge wants
    fingerprint: str  # "SHA256:…", as ssh-keygen -l shows it

    def __repr__(self) -> str:
        return f"DeployKey(public={self.public!r}, private=<hidden>)"


def generate(comment: str) -> DeployKey:
    """A new ed25519 key pair; ``comment`` ends the public line (no spaces in it)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    comment = "".join(ch for ch in comment if ch.isalnum() or ch in "-_.@")[:60]
    public = f"{public} {comment}" if comment else public
    return DeployKey(private=private, public=public, fingerprint=fingerprint(public))


def _blob_fingerprint(blob_b64: str) -> str:
    blob = base64.b64decode(blob_b64, validate=True)
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def fingerprint(public_line: str) -> str:
    """SHA256 fingerprint of an OpenSSH public key line ("" when unreadable)."""
    parts = (public_line or "").split()
    try:
        return _blob_fingerprint(parts[1]) if len(parts) >= 2 else ""
    except (binascii.Error, ValueError):
        return ""


def known_hosts_entries(text: str) -> list[dict[str, str]]:
    """The pinned host keys of a known_hosts text: host, key type, fingerprint."""
    entries = []
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) < 3 or line.lstrip().startswith(("#", "@")):
            continue
        try:
            entries.append({"host": parts[0], "type": parts[1],
                            "fingerprint": _blob_fingerprint(parts[2])})
        except (binascii.Error, ValueError):
            continue
    return entries
