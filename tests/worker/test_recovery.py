"""Heartbeat, reaper and task lock across a Redis outage (fakeredis that can be cut off)."""

from __future__ import annotations

import socket
import time

import pytest
import redis as redis_lib

from clawweb import streams
from clawweb.models import TaskStatus
from tests.worker.test_jobs import _running, reload, sandbox, submit, world  # noqa: F401
from worker import heartbeat, recovery, workspace
from worker.control import TaskLock


class FlakyRedis:
    """A Redis client whose every call raises ConnectionError while ``down`` is set."""

    def __init__(self, client):
        self._client = client
        self.down = False

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            if self.down:
                raise redis_lib.ConnectionError("Redis is down (test)")
            return attr(*args, **kwargs)
        return call


def wait_for(cond, timeout: float, what: str) -> float:
    """Wait until ``cond()``; returns when it became true (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return time.monotonic()
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_reaper_forgets_what_it_saw_missing_once_redis_failed(session, world, fake_redis,
                                                              sandbox):
    alice, project = world
    task = _running(session, submit(session, alice, project), "ghost", started=True)
    redis = FlakyRedis(fake_redis)
    reaper = recovery.Reaper(redis, "me", lambda: sandbox, interval=1, grace=0.3)
    reaper.step()                                   # ghost first seen missing
    redis.down = True
    with pytest.raises(redis_lib.RedisError):
        reaper.step()
    time.sleep(0.35)                                # longer than the grace, but Redis was down
    redis.down = False
    reaper.step()
    assert reload(session, task).status == TaskStatus.running, \
        "absence seen before an outage counted towards the grace"
    time.sleep(0.35)
    reaper.step()                                   # missing for a whole grace while Redis answered
    assert reload(session, task).status == TaskStatus.failed


def test_heartbeat_beats_within_a_second_of_redis_coming_back(fake_redis):
    redis = FlakyRedis(fake_redis)
    redis.down = True
    hb = heartbeat.Heartbeat(redis, "w1", interval=1, ttl=5)
    hb.start()
    try:
        time.sleep(4.5)                             # a doubling back-off would be at 4 s now
        assert not fake_redis.exists(streams.worker_alive_key("w1"))
        redis.down = False
        back = time.monotonic()
        beat_at = wait_for(lambda: fake_redis.exists(streams.worker_alive_key("w1")), 10,
                           "the first heartbeat after the outage")
        assert beat_at - back <= 1.2, f"heartbeat came {beat_at - back:.1f} s after Redis"
    finally:
        hb.stop()


def test_a_heartbeat_against_a_hung_redis_gives_up_within_seconds():
    # A Redis that takes connections and never answers (stopped, swapping): one
    # attempt must end soon, so the next lands as soon as Redis answers again.
    # The process's shared client would wait out its 10 s socket timeout.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        client = heartbeat.beat_redis(f"redis://127.0.0.1:{hung.getsockname()[1]}/0")
        began = time.monotonic()
        with pytest.raises(redis_lib.TimeoutError):
            heartbeat.beat(client, "w1", 5)
        assert time.monotonic() - began < 4


def test_task_lock_takes_its_key_back_after_it_expired(fake_redis):
    lock = TaskLock(fake_redis, 7, owner="w1", ttl=2)     # refreshed every ~0.7 s
    key = streams.task_lock_key(7)
    assert lock.acquire()
    try:
        fake_redis.delete(key)                      # expired while Redis was away
        wait_for(lambda: fake_redis.get(key) == lock.token, 3, "the lock to be taken back")
        assert fake_redis.pttl(key) > 0
    finally:
        lock.release()
    assert not fake_redis.exists(key)


def test_task_lock_never_takes_a_key_another_attempt_holds(fake_redis):
    lock = TaskLock(fake_redis, 7, owner="w1", ttl=2)
    key = streams.task_lock_key(7)
    assert lock.acquire()
    try:
        fake_redis.set(key, b"w2:other", px=60_000)  # ours expired; another attempt took it
        time.sleep(1.5)                             # two refresh rounds
        assert fake_redis.get(key) == b"w2:other"
    finally:
        lock.release()
    assert fake_redis.get(key) == b"w2:other"


def test_a_starting_worker_spares_workers_with_running_tasks(session, world, fake_redis,
                                                             sandbox):
    # Right after an outage longer than the TTL, no heartbeat key is left, not
    # even a live worker's: only a reaper, over its grace, may call it dead.
    alice, project = world
    task = _running(session, submit(session, alice, project), "busy", started=True)
    fake_redis.zadd(streams.workers_known_key(), {"busy": time.time(), "gone": time.time()})
    sandbox.orphans = {"busy": ["clawweb-task-1-a"], "gone": ["clawweb-task-9-b"]}
    workspace.workdir_for(task.id).mkdir(parents=True)
    workspace.workdir_for(9).mkdir(parents=True)
    recovery.startup_cleanup(fake_redis, "me", sandbox)
    assert sandbox.orphans == {"busy": ["clawweb-task-1-a"]}
    assert workspace.workdir_for(task.id).exists()
    assert not workspace.workdir_for(9).exists()


def test_an_exiting_worker_removes_its_own_leftovers(session, world, fake_redis, sandbox):
    alice, project = world
    busy = _running(session, submit(session, alice, project), "busy", started=True)
    mine = submit(session, alice, project)          # ended (cold shutdown) on "me"
    for name in ("me", "busy"):
        heartbeat.beat(fake_redis, name, 30)
    sandbox.orphans = {"me": ["clawweb-task-2-a"], "busy": ["clawweb-task-1-b"]}
    workspace.workdir_for(mine.id).mkdir(parents=True)
    workspace.workdir_for(busy.id).mkdir(parents=True)
    recovery.exit_cleanup(fake_redis, "me", sandbox)
    assert sandbox.orphans == {"busy": ["clawweb-task-1-b"]}
    assert not workspace.workdir_for(mine.id).exists()
    assert workspace.workdir_for(busy.id).exists()


def test_a_beat_says_how_many_tasks_the_process_runs_at_once(fake_redis):
    heartbeat.beat(fake_redis, "w-slots", 30, 16)
    assert fake_redis.get(streams.worker_slots_key("w-slots")) == b"16"
    assert 0 < fake_redis.ttl(streams.worker_slots_key("w-slots")) <= 30
