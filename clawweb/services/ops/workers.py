"""The worker fleet as the heartbeats tell it (keys in ``clawweb.streams``).

A worker process beats ``worker_alive_key(name)`` (value ``<host> pid <pid>``,
with a TTL) and ``worker_slots_key(name)`` (how many tasks it runs at once), and
scores ``workers_known_key`` with the time of its last beat. What it is running
comes from the database, the source of truth for a task. Draining is a flag the
worker polls: it finishes its running tasks, then exits.
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
    task_id: int = 0  # the oldest of its running tasks; 0: idle
    task_ids: list[int] = dataclasses.field(default_factory=list)
    slots: int = 1  # tasks it runs at once (a worker from before slots were beaten: 1)
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


def slots_of(redis, names: set[str]) -> dict[str, int]:
    """How many tasks each named worker runs at once (1 when it does not say)."""
    names = sorted(names)
    values = redis.mget([streams.worker_slots_key(n) for n in names]) if names else []
    out = {}
    for name, value in zip(names, values):
        try:
            out[name] = max(1, int(_text(value)))
        except ValueError:
            out[name] = 1
    return out


def capacity(redis, names: set[str]) -> int:
    """Tasks the named workers can run at once, all together."""
    return sum(slots_of(redis, names).values())


def fleet(*, session: Session, redis, now: float | None = None) -> list[WorkerInfo]:
    """Every worker alive now or seen within the last hour, alive ones first."""
    now = time.time() if now is None else now
    seen = {_text(n): float(s) for n, s in redis.zrangebyscore(
        streams.workers_known_key(), now - SHOW_DEAD_FOR_SECONDS, "+inf", withscores=True)}
    alive = alive_names(redis)
    slots = slots_of(redis, alive)
    busy: dict[str, list[int]] = {}
    for name, task_id in session.exec(select(Task.worker_name, Task.id).where(
            Task.status.in_(list(ACTIVE_STATUSES))).order_by(Task.id)).all():
        busy.setdefault(name, []).append(task_id)
    rows = []
    for name in sorted(alive | set(seen)):
        where = _text(redis.get(streams.worker_alive_key(name))) if name in alive else ""
        beat = seen.get(name, 0.0)
        running = busy.get(name, []) if name in alive else []
        rows.append(WorkerInfo(
            name=name, host=where.split(" pid ")[0], alive=name in alive,
            task_id=running[0] if running else 0, task_ids=running,
            slots=slots.get(name, 1),
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
