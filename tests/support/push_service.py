"""A Web Push service on loopback that checks what a real one checks, and decrypts.

``PushService.subscription()`` makes a subscription as a browser would: its
own P-256 key pair and 16-byte auth secret, and an endpoint on this server.
A POST to that endpoint must carry a valid VAPID JWT (``Authorization: vapid
t=…,k=…``: ES256 signature by ``k``, ``aud`` = this origin, ``exp`` in the
next 24 h, a ``sub``), ``Content-Encoding: aes128gcm`` and a ``TTL``; the body
is then decrypted with the subscription's private key and auth secret
(http_ece), so a test sees exactly what the browser's service worker would
receive. Anything wrong is answered 400/401 and recorded in ``rejected``.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    sub_id: str
    payload: dict
    headers: dict  # lower-case names
    vapid_key: str  # the k= the sender signed with
    claims: dict


@dataclass
class _Sub:
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    status: int = 201  # what to answer (410: gone, 500: broken)


@dataclass
class PushService:
    host: str = "127.0.0.1"
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._subs: dict[str, _Sub] = {}
        # Re-entrant: a wait_for predicate may call for_sub while the lock is held.
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._changed = threading.Condition(self._lock)

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> "PushService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = service._handle(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def subscription(self) -> dict:
        """A fresh subscription, shaped like ``PushSubscription.toJSON()``."""
        sub_id = b64url(os.urandom(9))
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        with self._lock:
            self._subs[sub_id] = _Sub(key, auth)
        point = key.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.origin}/push/{sub_id}",
                "keys": {"p256dh": b64url(point), "auth": b64url(auth)}}

    def answer(self, subscription: dict, status: int) -> None:
        """Make the endpoint of ``subscription`` answer ``status`` from now on."""
        with self._lock:
            self._subs[subscription["endpoint"].rsplit("/", 1)[1]].status = status

    def for_sub(self, subscription: dict) -> list[Received]:
        sub_id = subscription["endpoint"].rsplit("/", 1)[1]
        with self._lock:
            return [r for r in self.received if r.sub_id == sub_id]

    def wait_for(self, predicate, timeout: float = 20.0) -> list[Received]:
        """Block until ``predicate(received)`` is true; returns the list."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self.received)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"push service: got {len(self.received)} messages, "
                                       f"rejected {self.rejected}")
                self._changed.wait(left)
            return list(self.received)

    def _verify(self, headers: dict) -> tuple[str, dict]:
        auth = headers.get("authorization", "")
        scheme, _, rest = auth.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"not a VAPID authorization: {scheme!r}")
        parts = dict(p.split("=", 1) for p in rest.split(","))
        point = unb64url(parts["k"])
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        claims = jwt.decode(parts["t"], public, algorithms=["ES256"], audience=self.origin)
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            raise ValueError("no usable sub claim")
        if not time.time() < claims["exp"] <= time.time() + 24 * 3600 + 60:
            raise ValueError("exp out of range")
        return parts["k"], claims

    def _handle(self, path: str, headers: dict, body: bytes) -> int:
        sub_id = path.rsplit("/", 1)[-1]
        with self._lock:
            sub = self._subs.get(sub_id)
        if sub is None or not path.startswith("/push/"):
            return 404
        try:
            key, claims = self._verify(headers)
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            self.rejected.append(f"vapid: {exc}")
            return 401
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            self.rejected.append(f"headers: {headers}")
            return 400
        if sub.status >= 300:
            return sub.status
        try:
            plain = http_ece.decrypt(body, private_key=sub.private_key, auth_secret=sub.auth,
                                     version="aes128gcm")
            payload = json.loads(plain)
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            self.rejected.append(f"decrypt: {exc}")
            return 400
        with self._changed:
            self.received.append(Received(sub_id, payload, headers, key, claims))
            self._changed.notify_all()
        return 201
