"""``python -m worker [--name PREFIX] [--burst]``: one worker process, several tasks at once.

``CLAWWEB_TASKS_PER_WORKER`` RQ work loops (worker/loops.py) listen on the
high, normal and low queues in that order (JSON serializer). Jobs run in this
process (RQ's SimpleWorker, one thread per loop): a task's heartbeat, lock and
container all die with it, so a ``kill -9`` is noticed by the reaper within
seconds, and nothing keeps running behind a dead worker's back. SIGTERM once
finishes the running tasks and exits (warm shutdown); twice stops them now and
records them as failed.

Every process start gets a name of its own, ``PREFIX-<random>``: after a crash
the dead worker's RQ registration (kept by the AOF) never blocks its successor,
and the dead worker's task, whose name nobody beats for any more, goes to the
reaper.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import sys
import time

import redis as redis_lib
import worker
from clawweb import redis_conn
from clawweb.observe import logs
from clawweb.settings import get_settings
from worker import jobs, notify_jobs, schedule_loop
from worker.drain import DrainWatch
from worker.heartbeat import Heartbeat, beat, beat_redis
from worker.image_report import ImageReport
from worker.loops import MAX_BACKOFF_SECONDS, LoopSet, Worker, work as _work  # noqa: F401
from worker.recovery import Reaper, exit_cleanup, startup_cleanup

log = logging.getLogger("worker")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m worker", description=__doc__.splitlines()[0])
    p.add_argument("--name", default="",
                   help="start of the worker's name (default: the host name); "
                        "each start adds a random suffix")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    p.add_argument("--log-level", default=None, help="default: CLAWWEB_LOG_LEVEL or INFO")
    return p.parse_args(argv)


def unique_name(prefix: str) -> str:
    """``prefix`` plus a suffix no earlier start of this worker had."""
    return f"{prefix or socket.gethostname()}-{secrets.token_hex(3)}"


def _wait_for_redis(redis) -> None:
    """Back off (1, 2, 4, 5, 5 ... s) until Redis answers, instead of crash-looping."""
    delay = 1.0
    while True:
        try:
            redis.ping()
            return
        except redis_lib.RedisError as exc:
            log.warning("Redis unavailable (%s); retrying in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)


def main(argv: list[str] | None = None) -> int:
    """Run one worker until it is stopped; returns the exit status."""
    args = _parse(argv)
    logs.configure("worker", level=args.log_level)
    settings = get_settings()
    name = unique_name(args.name)
    worker.WORKER_NAME = name
    logs.bind(worker=name)
    # The URL is logged for the operator; its password is masked by the redactor.
    log.info("worker %s (pid %d) starting; redis %s", name, os.getpid(), settings.redis_url)
    redis = redis_conn.get_redis()  # shared: RQ, jobs, reaper (the heartbeat has its own)
    _wait_for_redis(redis)
    startup_cleanup(redis, name, jobs.make_sandbox(name))
    try:
        loops = LoopSet(redis, name, settings.tasks_per_worker, burst=args.burst,
                        on_ready=_fleet_threads(settings, name, redis))
        return loops.run()
    finally:
        notify_jobs.stop_all()
        exit_cleanup(redis, name, jobs.make_sandbox(name))


def _fleet_threads(settings, name: str, redis):
    """Heartbeat and reaper, started once, after RQ took the name: a worker that
    fails to start never looks alive."""
    started = []

    def start() -> None:
        if started:
            return
        started.append(True)
        hb, ttl = settings.worker_heartbeat_seconds, settings.worker_dead_after_seconds
        beat_client = beat_redis(settings.redis_url)
        try:
            beat(beat_client, name, ttl, settings.tasks_per_worker)  # now, not an interval later
        except redis_lib.RedisError:
            pass  # the heartbeat thread keeps trying
        Heartbeat(beat_client, name, hb, ttl, settings.tasks_per_worker).start()
        DrainWatch(beat_client, name, hb).start()
        report = ImageReport(beat_client, name, settings.runner_image)
        report.tick()  # now, so /api/ready need not wait an interval
        report.start()
        Reaper(redis, name, lambda: jobs.make_sandbox(name),
               interval=hb, grace=2 * hb).start()
        notify_jobs.start(name)  # notifications must not wait for a free task slot
        schedule_loop.start(settings, name)

    return start


if __name__ == "__main__":
    sys.exit(main())
