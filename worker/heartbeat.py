"""Heartbeats: how a worker process says it is alive, and how others can tell.

Every worker process writes ``worker_alive_key(name)`` with a TTL of
``worker_dead_after_seconds`` every ``worker_heartbeat_seconds``; the value
says where it runs (``<host> pid <pid>``), and ``workers_known_key`` remembers
every name that ever beat here (for a week), so a container labelled with a
name nobody knows is another installation's, not an orphan.

A Redis outage longer than the TTL expires every key, live workers' too, so
the heartbeat retries every ``BEAT_RETRY_SECONDS`` on a client of its own
instead of backing off: its key is back the moment Redis is.
"""

from __future__ import annotations

import logging
import os
import socket
import time

import redis as redis_lib
from redis.backoff import NoBackoff
from redis.retry import Retry

from clawweb import streams
# Readers of the beats live with the web side's view of the fleet; kept importable here.
from clawweb.periodic import MAX_BACKOFF_SECONDS, PeriodicThread  # noqa: F401
from clawweb.services.fleet import alive_workers, known_workers  # noqa: F401

log = logging.getLogger(__name__)

KNOWN_FOR_SECONDS = 7 * 86400
# Heartbeat: retry this often while Redis is away.
BEAT_RETRY_SECONDS = 0.5


def name_of_pid(redis, pid: int) -> str | None:
    """The name a live worker process of this host beats under, if any."""
    here = _whereabouts(pid).encode()
    return next((n for n in alive_workers(redis)
                 if redis.get(streams.worker_alive_key(n)) == here), None)


def _whereabouts(pid: int) -> str:
    return f"{socket.gethostname()} pid {pid}"


def beat(redis, name: str, ttl: int, slots: int = 1) -> None:
    """Mark ``name`` alive for ``ttl`` seconds; the value says where it runs.

    ``slots``: how many tasks the process runs at once, for the fleet and queue views.
    """
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    pipe.set(streams.worker_alive_key(name), _whereabouts(os.getpid()), ex=max(int(ttl), 2))
    pipe.set(streams.worker_slots_key(name), int(slots), ex=max(int(ttl), 2))
    pipe.zadd(streams.workers_known_key(), {name: now})
    pipe.zremrangebyscore(streams.workers_known_key(), 0, now - KNOWN_FOR_SECONDS)
    pipe.execute()


class Heartbeat(PeriodicThread):
    """Keeps ``worker_alive_key`` alive. After a failure it retries every
    ``BEAT_RETRY_SECONDS`` rather than backing off, so the key is back the
    moment Redis is: a heartbeat still waiting out a back-off after an outage
    longer than the TTL is exactly what a reaper would take for a dead worker.
    """

    def __init__(self, redis, worker_name: str, interval: float, ttl: int, slots: int = 1):
        super().__init__(f"heartbeat-{worker_name}", interval)
        self.redis, self.worker_name, self.ttl, self.slots = redis, worker_name, ttl, slots

    def step(self) -> None:
        beat(self.redis, self.worker_name, self.ttl, self.slots)

    def retry_delay(self) -> float:
        return min(self.interval, BEAT_RETRY_SECONDS)


def beat_redis(url: str) -> redis_lib.Redis:
    """The heartbeat's own client: short timeouts and no retries inside a call.

    The process's shared client waits up to 10 s for an answer and retries
    with a jittered back-off: against a hung Redis that holds a heartbeat back
    well after Redis answers again. The heartbeat loop does its own retrying.
    """
    return redis_lib.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2,
                                    retry=Retry(NoBackoff(), 0))
