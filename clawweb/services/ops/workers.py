"""The worker fleet as the heartbeats tell it (keys in ``clawweb.streams``).

A worker process beats ``worker_alive_key(name)`` (value ``<host> pid <pid>``,
with a TTL) and scores ``workers_known_key`` with the time of its last beat.
What it is running comes from the database, the source of truth for a task.
Draining is a flag the worker polls: it finishes its current task, then exits.
"""

from __future__ import annotations

import dataclasses
import time

from sqlmodel import Session, select

from clawweb import streams
from clawweb.models import ACTIVE_STATUSES, Task

# Dead workers stay listed this long after their last beat, then drop off the view.
SHOW_DEAD_FOR_SECONDS = 3600
DRAIN_TTL_SECONDS = 86400


@dataclasses.dataclass
class WorkerInfo:
    name: str = ""
    host: str = ""
    alive: bool = False
    task_id: int = 0  # 0: idle
    heartbeat_age: float = -1.0  # seconds since the last beat; -1 unknown
    last_beat: float = 0.0  # unix time of the last beat
    draining: bool = False


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


def alive_names(redis) -> set[str]:
    """Names whose heartbeat key exists (the key expires when a worker stops beating)."""
    prefix, suffix = streams.worker_alive_key("\0").split("\0")
    names = set()
    for key in redis.scan_iter(match=f"{prefix}*{suffix}", count=500):
        key = _text(key)
        names.add(key[len(prefix):len(key) - len(suffix)])
    return names


def fleet(*, session: Session, redis, now: float | None = None) -> list[WorkerInfo]:
    """Every worker alive now or seen within the last hour, alive ones first."""
    now = time.time() if now is None else now
    seen = {_text(n): float(s) for n, s in redis.zrangebyscore(
        streams.workers_known_key(), now - SHOW_DEAD_FOR_SECONDS, "+inf", withscores=True)}
    alive = alive_names(redis)
    busy = {t.worker_name: t.id for t in session.exec(
        select(Task).where(Task.status.in_(list(ACTIVE_STATUSES)))).all()}
    rows = []
    for name in sorted(alive | set(seen)):
        where = _text(redis.get(streams.worker_alive_key(name))) if name in alive else ""
        beat = seen.get(name, 0.0)
        rows.append(WorkerInfo(
            name=name, host=where.split(" pid ")[0], alive=name in alive,
            task_id=busy.get(name, 0) if name in alive else 0,
            heartbeat_age=round(now - beat, 1) if beat else -1.0, last_beat=beat,
            draining=bool(redis.exists(streams.worker_drain_key(name)))))
    rows.sort(key=lambda w: (not w.alive, w.name))
    return rows


def drain(redis, name: str) -> None:
    """Ask worker ``name`` to finish its current task and then stop."""
    redis.set(streams.worker_drain_key(name), "1", ex=DRAIN_TTL_SECONDS)


def undrain(redis, name: str) -> None:
    """Withdraw a drain request the worker has not acted on yet."""
    redis.delete(streams.worker_drain_key(name))
