"""Response headers on every HTTP response: CSP with hashed inline scripts, and friends."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

from clawweb.http.security_headers import SecurityHeadersMiddleware, inline_script_hashes

THEME = "\n  document.documentElement.dataset.theme = 'dark';\n"
ROUTES = 'import "/assets/manifest.js";\n  window.__routes = {"a": 1};'
PAGE = (f"<!DOCTYPE html><html><head><script>{THEME}</script>"
        f'<script type="module" async="">{ROUTES}</script>'
        '<script src="/assets/app.js"></script></head><body>'
        "<script>$RC(\"B:1\",\"S:1\")</script></body></html>")


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture
def static_dir(tmp_path):
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "index.html").write_text("<html><script>var other = 1;</script></html>")
    return tmp_path


def _client(static_dir, monkeypatch, origin: str) -> TestClient:
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_PUBLIC_URL", origin)
    settings_mod.get_settings.cache_clear()

    async def page(_request):
        return HTMLResponse(PAGE)

    async def api(_request):
        return JSONResponse({"ok": True})

    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    inner = Starlette(routes=[Route("/login", page), Route("/api/health", api),
                              WebSocketRoute("/_event", ws)])
    return TestClient(SecurityHeadersMiddleware(inner, static_dir=lambda: static_dir))


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_inline_scripts_of_every_built_page_are_hashed(static_dir):
    hashes = inline_script_hashes(static_dir)
    assert sorted(hashes) == sorted({_sha(THEME), _sha(ROUTES), _sha('$RC("B:1","S:1")'),
                                     _sha("var other = 1;")})


@pytest.mark.parametrize("path", ["/login", "/api/health"])
def test_every_response_carries_the_policy(static_dir, monkeypatch, settings, path):
    client = _client(static_dir, monkeypatch, "http://127.0.0.1:3000")
    resp = client.get(path)
    assert resp.status_code == 200
    csp = _directives(resp.headers["content-security-policy"])
    script = csp["script-src"]
    assert "'unsafe-inline'" not in script and "*" not in script
    assert {_sha(THEME), _sha(ROUTES), _sha("var other = 1;")} <= set(script)
    assert set(script) - set(inline_script_hashes(static_dir)) == {"'self'", "'unsafe-eval'"}
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["connect-src"] == ["'self'", "ws://127.0.0.1:3000"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"
    assert resp.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in resp.headers  # plain http: no HSTS


def test_https_origin_adds_hsts_and_wss(static_dir, monkeypatch, settings):
    client = _client(static_dir, monkeypatch, "https://claw.example.com")
    resp = client.get("/login")
    assert re.fullmatch(r"max-age=\d{8,}", resp.headers["strict-transport-security"])
    assert _directives(resp.headers["content-security-policy"])["connect-src"] == [
        "'self'", "wss://claw.example.com"]


def test_websocket_passes_through(static_dir, monkeypatch, settings):
    client = _client(static_dir, monkeypatch, "http://127.0.0.1:3000")
    with client.websocket_connect("/_event") as ws:
        assert ws.receive_text() == "hi"


def test_a_missing_build_still_gets_a_strict_policy(tmp_path, monkeypatch, settings):
    client = _client(tmp_path / "not-built-yet", monkeypatch, "http://127.0.0.1:3000")
    script = _directives(client.get("/login").headers["content-security-policy"])["script-src"]
    assert script == ["'self'", "'unsafe-eval'"]


def test_the_app_installs_the_headers_on_its_routes(monkeypatch, settings):
    """clawweb.api's transformers wrap the backend (pages and /api alike)."""
    from clawweb import api

    async def frontend(_request):
        return HTMLResponse("<html></html>")

    app = Starlette(routes=[Route("/login", frontend)])
    for transform in api.transformers():
        if isinstance(transform, Starlette):
            transform.mount("", app)
            app = transform
        else:
            app = transform(app)
    client = TestClient(app)
    for path in ("/login", "/api/health"):
        assert "frame-ancestors 'none'" in client.get(path).headers["content-security-policy"]
