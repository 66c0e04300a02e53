"""The event WebSocket accepts only the configured origin (cors_allowed_origins)."""

from __future__ import annotations

import asyncio

import websockets


async def _handshake(port: int, origin: str) -> str:
    url = f"ws://127.0.0.1:{port}/_event/?EIO=4&transport=websocket"
    try:
        async with websockets.connect(url, origin=origin, open_timeout=10) as ws:
            opening = await asyncio.wait_for(ws.recv(), 10)
            return "open" if str(opening).startswith("0{") else f"odd: {opening!r}"
    except websockets.exceptions.InvalidStatus as exc:
        return f"refused {exc.response.status_code}"


def test_foreign_origin_is_refused_and_own_origin_accepted(app_server):
    own = asyncio.run(_handshake(app_server.port, app_server.url))
    foreign = asyncio.run(_handshake(app_server.port, "http://evil.example"))
    assert own == "open"  # the probe itself works
    assert foreign == "refused 403"
