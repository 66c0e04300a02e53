"""Security headers on every HTTP response the backend serves: pages and /api alike.

With ``reflex run --env prod --single-port`` the backend itself serves the built
frontend (``reflex/utils/exec.py`` ``get_frontend_mount``, mounted inside the
app that ``api_transformer`` wraps), so one ASGI middleware covers every page,
every asset and every API route.

The Content-Security-Policy allows no inline script but the ones in the built
HTML (React Router's hydration context, Reflex's colour-mode script, React's
streaming helpers), each by its SHA-256, read from the build directory on the
first request. ``'unsafe-eval'`` stays because Reflex runs ``rx.call_script``
and event callbacks through ``eval()`` (``.web/utils/state.js``); see
docs/architecture.md, "The browser". ``img-src`` has no remote source, so
markdown in agent output cannot make the browser fetch a tracking image.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clawweb.settings import get_settings

HSTS_SECONDS = 365 * 86400


class _InlineScripts(HTMLParser):
    """Collects the exact text of every ``<script>`` without ``src``."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_data(self, data):
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def _sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def inline_script_hashes(static_dir: Path) -> list[str]:
    """CSP sources (``'sha256-…'``) for the inline scripts of every built page.

    One policy for all pages: the union is small (the pages share most scripts)
    and holds only code of our own build; no page is rendered with user data.
    """
    found: set[str] = set()
    if not static_dir.is_dir():
        return []
    for page in sorted(static_dir.rglob("*.html")):
        parser = _InlineScripts()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        found.update(_sha256_source(script) for script in parser.scripts)
    return sorted(found)


def content_security_policy(*, origin: str, script_hashes: Iterable[str]) -> str:
    """The policy text for ``origin`` (CLAWWEB_PUBLIC_URL or http://host:port)."""
    socket_origin = "wss://" + origin.removeprefix("https://") if origin.startswith(
        "https://") else "ws://" + origin.removeprefix("http://")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-eval'", *script_hashes],
        # Radix Themes and Emotion write style attributes and <style> at runtime.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        # 'self' covers ws: in CSP 3 browsers; older Safari needs it spelled out.
        "connect-src": ["'self'", socket_origin],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "manifest-src": ["'self'"],
    }
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


class SecurityHeadersMiddleware:
    """ASGI middleware adding the headers to every HTTP response (not WebSockets).

    Args:
        app: The wrapped ASGI app.
        static_dir: Returns the directory of the built frontend (None: none).
    """

    def __init__(self, app: ASGIApp, *, static_dir: Callable[[], Path | None]):
        self.app = app
        self._static_dir = static_dir
        self._headers: list[tuple[str, str]] | None = None

    def _current_headers(self) -> list[tuple[str, str]]:
        if self._headers is not None:
            return self._headers
        directory = self._static_dir()
        hashes = inline_script_hashes(directory) if directory else []
        origin = get_settings().origin
        headers = [
            ("Content-Security-Policy",
             content_security_policy(origin=origin, script_hashes=hashes)),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ]
        if origin.startswith("https://"):
            headers.append(("Strict-Transport-Security", f"max-age={HSTS_SECONDS}"))
        if hashes:  # before the build exists, look again on the next request
            self._headers = headers
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._current_headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    # A route that set a stricter header of its own (downloads:
                    # `default-src 'none'; sandbox`) keeps it.
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
