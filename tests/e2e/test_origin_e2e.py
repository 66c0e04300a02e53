"""The event WebSocket accepts only the configured origin (cors_allowed_origins)."""

from __future__ import annotations

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


def _handshake(port: int, origin: str) -> str:
    # The sync client: Playwright's sync API already runs an event loop here.
    url = f"ws://127.0.0.1:{port}/_event/?EIO=4&transport=websocket"
    try:
        with connect(url, origin=origin, open_timeout=10) as ws:
            opening = ws.recv(timeout=10)
            return "open" if str(opening).startswith("0{") else f"odd: {opening!r}"
    except InvalidStatus as exc:
        return f"refused {exc.response.status_code}"


def test_foreign_origin_is_refused_and_own_origin_accepted(app_server):
    assert _handshake(app_server.port, app_server.url) == "open"  # the probe itself works
    assert _handshake(app_server.port, "http://evil.example") == "refused 403"
