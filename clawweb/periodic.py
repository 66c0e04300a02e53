"""A daemon thread that does one step every few seconds and survives Redis outages.

Used by the worker (heartbeat, reaper) and by the web process (its reaper):
plain Python, no Reflex, no Docker.
"""

from __future__ import annotations

import logging
import threading

import redis as redis_lib

from clawweb.services.errors import Unavailable

log = logging.getLogger(__name__)

# Longest wait between attempts while Redis is away.
MAX_BACKOFF_SECONDS = 5.0


class PeriodicThread(threading.Thread):
    """A daemon thread that calls ``step`` every ``interval`` seconds.

    After a failed step it waits ``retry_delay()`` instead, and it logs an
    outage once when it starts and once when it ends, not at every retry.
    """

    max_backoff = MAX_BACKOFF_SECONDS

    def __init__(self, name: str, interval: float):
        super().__init__(daemon=True, name=name)
        self.interval = interval
        self.failures = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        delay = self.interval
        while not self.stopped.wait(delay):
            delay = self.tick()

    def tick(self) -> float:
        """One step; returns how long to wait before the next."""
        try:
            self.step()
        except (redis_lib.RedisError, Unavailable) as exc:
            self.failures += 1
            if self.failures == 1:
                log.warning("%s: Redis unavailable (%s); retrying", self.name, exc)
            return self.retry_delay()
        except Exception:
            self.failures += 1
            log.exception("%s failed; retrying", self.name)
            return self.retry_delay()
        if self.failures:
            log.warning("%s: working again after %d failed attempts", self.name, self.failures)
            self.failures = 0
        return self.interval

    def retry_delay(self) -> float:
        return min(max(self.interval, 1.0) * 2 ** (self.failures - 1), self.max_backoff)

    def step(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def stop(self) -> None:
        self.stopped.set()
