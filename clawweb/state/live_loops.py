"""What every background live loop shares: knowing its tab is gone, and being counted.

A live loop (a task page's output, a task list) runs for one browser tab and
receives no events, so nothing tells it the tab closed: it asks
:func:`~clawweb.state.base.client_connected` at every step through a
:class:`Presence`, and ends once the tab has had no socket for
``GONE_AFTER_SECONDS``. A tab that comes back (a phone switched apps) finds its
loop ended; the page's watchdog tick starts a new one.

Every loop body runs inside :func:`counted`, so this process knows how many
run (:func:`running`, and the ``clawweb_live_loops`` gauge on ``/metrics``).
"""

from __future__ import annotations

import collections
import contextlib
import time
from typing import Iterator

from prometheus_client import Gauge

from clawweb.state.base import client_connected

# Long enough for a socket to blink and reconnect, short enough that a closed
# tab stops costing the server within a few seconds.
GONE_AFTER_SECONDS = 3.0

LIVE_LOOPS = Gauge("clawweb_live_loops", "Live loops (one per open live page) running now",
                   ["kind"], multiprocess_mode="livesum")
_running: collections.Counter[str] = collections.Counter()


def running(kind: str | None = None) -> int:
    """How many loops (of ``kind``, or of every kind) run in this process now."""
    return _running[kind] if kind else sum(_running.values())


@contextlib.contextmanager
def counted(kind: str) -> Iterator[None]:
    """Count one loop of ``kind`` for as long as the block runs (cancelled or not)."""
    _running[kind] += 1
    LIVE_LOOPS.labels(kind).inc()
    try:
        yield
    finally:
        _running[kind] -= 1
        LIVE_LOOPS.labels(kind).dec()


class Presence:
    """Whether one loop's browser tab is still there.

    Args:
        grace: Seconds without a socket before the tab counts as gone.
    """

    def __init__(self, grace: float = GONE_AFTER_SECONDS):
        self.grace = grace
        self._away_since = 0.0

    def gone(self, state, now: float | None = None) -> bool:
        """True once ``state``'s tab has had no socket for ``grace`` seconds.

        Call inside ``async with self`` (it reads the state's router).
        """
        now = time.monotonic() if now is None else now
        if client_connected(state):
            self._away_since = 0.0
            return False
        self._away_since = self._away_since or now
        return now - self._away_since >= self.grace
