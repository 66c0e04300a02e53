"""Per-run controls: the task lock (no two attempts overlap) and the stop flag.

The lock is a Redis key set NX with a TTL that a thread keeps refreshing while
the run lasts; if the worker dies, the key expires and another attempt may
start. If it expired only because Redis was away, the run takes it back.

The stop flag polls the cancel signal in Redis every ~150 ms and the database
flag every second (so a cancel made while Redis blinked still lands), and
turns true when the task's time is up. That time counts from the moment the
command is handed to the sandbox (``StopFlag.start_clock``), not from when the
job began: "timeout N s" means the command may run N seconds, and preparing
its working copy (a task disk, a clone, a fetch) has bounds of its own (every
git call has a timeout; RQ's job timeout is the backstop), so a slow
preparation under load must not eat the command's time or end a task whose
command never ran.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import redis as redis_lib
from sqlmodel import Session, select

from clawweb import db, streams
from clawweb.models import Task
from clawweb.services.tasks import queue as task_queue

log = logging.getLogger(__name__)

REDIS_POLL_SECONDS = 0.15
DB_POLL_SECONDS = 1.0
# While Redis is away, the lock's refresh is retried this often.
LOCK_RETRY_SECONDS = 0.5


class TaskLock:
    """Held while a worker runs a task; refreshed by a thread until released."""

    def __init__(self, redis, task_id: int, owner: str, ttl: float):
        self.redis = redis
        self.key = streams.task_lock_key(task_id)
        self.token = f"{owner}:{uuid.uuid4().hex[:8]}".encode()
        self.ttl_ms = max(int(ttl * 1000), 2000)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, wait: float = 0.0) -> bool:
        deadline = time.monotonic() + wait
        while True:
            try:
                if self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms):
                    self._thread = threading.Thread(target=self._refresh_loop, daemon=True,
                                                    name=f"lock-{self.key}")
                    self._thread.start()
                    return True
            except redis_lib.RedisError:
                log.warning("cannot take %s (Redis down)", self.key)
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)

    def _refresh_loop(self) -> None:
        every = self.ttl_ms / 3000
        failing = False
        while not self._stop.wait(min(every, LOCK_RETRY_SECONDS) if failing else every):
            try:
                self._refresh()
                failing = False
            except redis_lib.RedisError:
                if not failing:
                    log.warning("cannot refresh %s (Redis down); retrying", self.key)
                failing = True

    def _refresh(self) -> None:
        if task_queue.if_owner(self.redis, self.key, self.token, "pexpire", self.ttl_ms):
            return
        # The key expired while Redis was away longer than its TTL. Nobody can
        # have started another attempt unless they hold it now, so take it back
        # if it is free; never overwrite another holder's.
        if self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms):
            log.warning("took %s back after it expired", self.key)
        else:
            log.error("lost %s to another attempt", self.key)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        try:
            task_queue.if_owner(self.redis, self.key, self.token, "delete")
        except redis_lib.RedisError:
            pass  # it expires on its own


class StopFlag:
    """``should_stop`` for an agent: a cancel was asked for, or the command's time is up.

    The timeout runs only once ``start_clock()`` was called (see the module docstring).
    """

    def __init__(self, redis, task_id: int, timeout_seconds: float):
        self.redis = redis
        self.task_id = task_id
        self.timeout_seconds = timeout_seconds
        self.deadline: float | None = None
        self.cancelled_by: int | None = None
        self.timed_out = False
        self._lock = threading.Lock()
        self._redis_at = 0.0
        self._db_at = 0.0

    def start_clock(self) -> None:
        """The command starts now: its timeout counts from here (later calls change nothing)."""
        with self._lock:
            if self.deadline is None:
                self.deadline = time.monotonic() + self.timeout_seconds

    def __call__(self) -> bool:
        with self._lock:
            if self.cancelled_by is not None or self.timed_out:
                return True
            now = time.monotonic()
            if self.deadline is not None and now >= self.deadline:
                self.timed_out = True
                return True
            if now - self._redis_at >= REDIS_POLL_SECONDS:
                self._redis_at = now
                self.cancelled_by = self._from_redis()
            if self.cancelled_by is None and now - self._db_at >= DB_POLL_SECONDS:
                self._db_at = now
                self.cancelled_by = self._from_db()
            return self.cancelled_by is not None

    def _from_redis(self) -> int | None:
        try:
            raw = self.redis.get(streams.task_cancel_key(self.task_id))
        except redis_lib.RedisError:
            return None
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            return 0

    def _from_db(self) -> int | None:
        try:
            with Session(db.get_engine()) as session:
                return session.exec(select(Task.cancel_requested_by)
                                    .where(Task.id == self.task_id)).one_or_none()
        except Exception:  # a locked or unreachable DB must not stop the task
            log.warning("task %s: cannot read the cancel flag", self.task_id)
            return None
