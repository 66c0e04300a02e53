"""HTTP for forge APIs: JSON over httpx with timeouts, no redirects, pinned addresses.

The API host is checked like a remote's (public, or listed by the operator)
and the connection goes to the address that passed the check: the URL names
the IP, ``Host`` and TLS SNI name the host, so certificates are still
verified against the name. Any redirect is refused (the token would follow
it). Responses are capped; error text is redacted before it goes anywhere.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from clawweb.services.forges.errors import ForgeError
from clawweb.services.remotes import urls
from clawweb.services.remotes.redact import redact

MAX_RESPONSE = 2 * 1024 * 1024
USER_AGENT = "clawweb"


class ForgeHTTP:
    def __init__(self, api_base: str, headers: dict[str, str], *, timeout: float = 20,
                 secrets: list[str] | None = None):
        self.base = urls.parse_web(api_base)
        self.prefix = self.base.path.rstrip("/")
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10))
        self.secrets = list(secrets or [])

    def _target(self, path: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        addr = urls.resolve_checked(self.base)[0]
        host = f"[{addr}]" if ":" in addr else addr
        url = f"{self.base.scheme}://{host}:{self.base.port}{self.prefix}{path}"
        headers = {**self.headers, "Host": self.base.web_host}
        ext = {"sni_hostname": self.base.host} if self.base.scheme == "https" else {}
        return url, headers, ext

    def request(self, method: str, path: str, *, body: dict | None = None,
                params: dict | None = None) -> tuple[int, Any]:
        """Send one request; (status, parsed JSON or None).

        Raises:
            ForgeError: ``forges.unreachable``, ``forges.timeout``,
                ``forges.redirect_refused`` or ``forges.bad_response``.
        """
        url, headers, ext = self._target(path)
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False,
                              trust_env=False) as client:
                with client.stream(method, url, headers=headers, json=body, params=params,
                                   extensions=ext) as resp:
                    raw = bytearray()
                    for chunk in resp.iter_bytes():
                        raw += chunk
                        if len(raw) > MAX_RESPONSE:
                            raise ForgeError("forges.bad_response")
                    status = resp.status_code
        except httpx.TimeoutException:
            raise ForgeError("forges.timeout") from None
        except httpx.HTTPError as exc:
            raise ForgeError("forges.unreachable", detail=redact(str(exc), self.secrets)) from None
        if 300 <= status < 400:
            raise ForgeError("forges.redirect_refused")
        try:
            data = json.loads(raw) if raw.strip() else None
        except ValueError:
            data = None
        return status, data

    def checked(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201),
                body: dict | None = None) -> Any:
        """:meth:`request`, with a non-``ok`` status turned into a ForgeError."""
        status, data = self.request(method, path, body=body)
        if status in ok:
            return data
        detail = redact(_message(data), self.secrets)[:300]
        if status in (401, 403):
            raise ForgeError("forges.auth_failed", detail=detail)
        if status == 404:
            raise ForgeError("forges.not_found", detail=detail)
        if status in (409, 422):
            raise ForgeError("forges.rejected", detail=detail, reason=detail or str(status))
        raise ForgeError("forges.failed", detail=detail, status=status)


def _message(data: Any) -> str:
    """The human part of a forge's error body (each forge spells it differently)."""
    if not isinstance(data, dict):
        return ""
    parts = [data.get("message"), data.get("error")]
    for err in data.get("errors") or []:
        parts.append(err.get("message") if isinstance(err, dict) else err)
    flat = []
    for part in parts:
        if isinstance(part, (list, tuple)):
            flat += [str(p) for p in part]
        elif isinstance(part, dict):
            flat += [f"{k}: {v}" for k, v in part.items()]
        elif part:
            flat.append(str(part))
    return "; ".join(flat)


def segment(value: str) -> str:
    """One URL path segment, every reserved character (``/`` too) escaped."""
    return quote(value, safe="")
