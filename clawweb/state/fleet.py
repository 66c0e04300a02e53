"""Whether any worker is alive, for the banner on the task, queue and admin pages.

The count comes from the workers' heartbeats in Redis (``fleet.alive_count``,
a SCAN over the keys), polled every few seconds by every tab that shows the
banner; one answer serves all of this process's tabs for ``CACHE_SECONDS``.
"""

from __future__ import annotations

import threading
import time

import reflex as rx

from clawweb.services import fleet
from clawweb.services.errors import Unavailable
from clawweb.state.access import signed_in
from clawweb.state.base import AppState

CACHE_SECONDS = 2.0
_cache_lock = threading.Lock()
_cached: tuple[float, int] = (float("-inf"), -1)


def workers_alive() -> int:
    """Live workers, or -1 when Redis cannot say; asked at most every CACHE_SECONDS."""
    global _cached
    with _cache_lock:
        at, count = _cached
        if time.monotonic() - at < CACHE_SECONDS:
            return count
        try:
            count = fleet.alive_count()
        except Unavailable:
            count = -1
        _cached = (time.monotonic(), count)
        return count


class FleetState(AppState):
    # -1: not known (not asked yet, or Redis cannot say): no banner then.
    workers_alive: int = -1

    @rx.event
    @signed_in
    def poll_workers(self, _tick=None):
        """How many workers beat right now (a page's tick)."""
        self._set_changed({"workers_alive": workers_alive()})  # a tick: redraw on change only
