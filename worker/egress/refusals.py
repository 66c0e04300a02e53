"""Refusal events, rate-limited: a loop of refused connects must not flood the task.

Each refusal becomes an ``egress.refused`` event, which lands in the task's
stream and output. A task that retries a blocked host in a tight loop would
otherwise write thousands of events a second, so at most ``per_second`` go out
in each one-second window; the rest are counted and reported as one summary
(``{"host": <the last one>, "reason": ..., "more": <how many>}``) a second
later. The worker's log gets the same, and no more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Report = Callable[[dict[str, Any]], None]


class RefusalReporter:
    """Passes refusals on to ``report``, at most ``per_second`` a second plus summaries.

    Not thread-safe: the proxy calls it from its own event loop only. The
    caller schedules ``flush`` when ``note`` says a summary is pending.
    """

    def __init__(self, report: Report, per_second: int,
                 clock: Callable[[], float] = time.monotonic):
        self._report, self._per_second, self._clock = report, max(1, per_second), clock
        self._window = float("-inf")
        self._sent = 0
        self._held = 0
        self._last: dict[str, Any] = {}

    def note(self, event: dict[str, Any]) -> bool:
        """Report ``event`` now or hold it; True when this started a held batch.

        A held batch is reported by the next ``flush`` (the proxy schedules one
        a second after the batch starts), so there is at most one summary a second.
        """
        now = self._clock()
        if now - self._window >= 1.0:
            self._window, self._sent = now, 0
        if self._sent < self._per_second:
            self._sent += 1
            self._call(dict(event))
            return False
        self._held += 1
        self._last = dict(event)
        return self._held == 1

    def flush(self) -> None:
        """Report the held refusals, if any, as one summary."""
        if self._held:
            summary = dict(self._last, more=self._held)
            self._held = 0
            self._call(summary)

    def _call(self, event: dict[str, Any]) -> None:
        log.warning("egress refused: %s", event)
        try:
            self._report(event)
        except Exception:  # noqa: BLE001 - a failing sink must not break the proxy
            log.exception("egress: could not report a refusal")
