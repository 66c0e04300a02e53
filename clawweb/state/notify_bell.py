"""The bell's unread count, kept live by one background loop per open tab.

The loop reads the user's short Redis stream (``streams.notify_user_changes_key``)
with a blocking XREAD, recounts from the database when an entry arrives (and
every few seconds regardless, which is also when it re-checks the session),
and stops when the tab is gone, the user is signed out, or a newer loop of the
same tab started (every page mounts the bell; ``_gen`` tells them apart). A
tick from the layout restarts a loop that stopped while the socket was away.
"""

from __future__ import annotations

import asyncio
import logging
import time

import reflex as rx

from clawweb import redis_conn, streams
from clawweb.db import session_scope
from clawweb.services.notify import centre
from clawweb.state.access import signed_in, streaming
from clawweb.state import live_loops
from clawweb.state.base import AppState

log = logging.getLogger(__name__)

BLOCK_MS = 1000  # also how often the loop notices its tab is gone
RECHECK_SECONDS = 15.0
STALE_SECONDS = 20.0


def _count(user_id: int) -> int:
    with session_scope() as s:
        return centre.unread_count(session=s, user_id=user_id)


async def _last_id(key: str) -> bytes:
    try:
        newest = await redis_conn.get_async_redis().xrevrange(key, count=1)
    except Exception:  # noqa: BLE001 - Redis away: start from now
        return b"$"
    return newest[0][0] if newest else b"0-0"


async def _wait(key: str, last: bytes) -> tuple[bool, bytes]:
    """Block until the user's stream has news (True) or the timeout (False)."""
    try:
        got = await redis_conn.get_async_redis().xread({key: last}, block=BLOCK_MS, count=20)
    except Exception:  # noqa: BLE001 - a Redis blip: the periodic recount covers it
        await asyncio.sleep(1)
        return False, last
    if not got:
        return False, last
    return True, got[0][1][-1][0]


class NotifyBellState(AppState):
    unread: int = 0
    _gen: int = 0
    _beat: float = 0.0

    @rx.event(background=True)
    @streaming
    async def watch_unread(self, _value=None):
        """Follow this user's unread count for this tab."""
        with live_loops.counted("bell"):
            await self._watch()

    async def _watch(self):
        async with self:
            user = self.current_user()
            if user is None or not self.router.session.client_token:
                return  # signed out, or no browser tab to keep up to date
            self._gen += 1
            gen, self._beat = self._gen, time.time()
        key = streams.notify_user_changes_key(user.id)
        last = await _last_id(key)
        count = await asyncio.to_thread(_count, user.id)
        checked, presence = time.monotonic(), live_loops.Presence()
        while True:
            async with self:
                if gen != self._gen:
                    return
                now = time.monotonic()
                if now - checked > RECHECK_SECONDS:
                    checked = now
                    if self.current_user() is None:
                        self.unread = 0
                        return
                if presence.gone(self, now):
                    self._beat = 0.0  # the layout's next tick starts a new loop
                    return
                self.unread, self._beat = count, time.time()
            news, last = await _wait(key, last)
            if news or time.monotonic() - checked > RECHECK_SECONDS:
                count = await asyncio.to_thread(_count, user.id)

    @rx.event
    @signed_in
    def ensure_watch(self, _tick=None):
        """The layout's tick: restart a loop that stopped (the socket was away)."""
        self.require_user()
        if time.time() - self._beat > STALE_SECONDS:
            self._beat = time.time()
            return NotifyBellState.watch_unread
        return None
