"""``python -m worker [--name NAME] [--burst]``: one RQ worker process.

Listens on the high, normal and low queues in that order (JSON serializer).
Jobs run in this process (RQ's SimpleWorker): a task's heartbeat, lock and
container all die with it, so a ``kill -9`` is noticed by the reaper within
seconds, and nothing keeps running behind a dead worker's back. SIGTERM once
finishes the running task and exits (warm shutdown); twice stops it now and
records the task as failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time

import redis as redis_lib
from rq import SimpleWorker
from rq.serializers import JSONSerializer

import worker
from clawweb import redis_conn, streams
from clawweb.settings import get_settings
from worker import jobs
from worker.recovery import Heartbeat, Reaper, beat, startup_cleanup

log = logging.getLogger("worker")
MAX_BACKOFF_SECONDS = 30.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m worker", description=__doc__.splitlines()[0])
    p.add_argument("--name", default="", help="worker name (default: <host>-<pid>)")
    p.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    p.add_argument("--log-level", default=os.environ.get("CLAWWEB_LOG_LEVEL", "INFO"))
    return p.parse_args(argv)


def _wait_for_redis(redis) -> None:
    """Back off (1, 2, 4 ... 30 s) until Redis answers, instead of crash-looping."""
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
    args = _parse(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    name = args.name or f"{socket.gethostname()}-{os.getpid()}"
    worker.WORKER_NAME = name
    redis = redis_conn.get_redis()  # the one connection of this process
    _wait_for_redis(redis)
    hb = settings.worker_heartbeat_seconds
    beat(redis, name, settings.worker_dead_after_seconds)
    startup_cleanup(redis, name, jobs.make_sandbox(name))
    Heartbeat(redis, name, hb, settings.worker_dead_after_seconds).start()
    Reaper(redis, name, lambda: jobs.make_sandbox(name), interval=hb, grace=2 * hb).start()
    return _work(redis, name, burst=args.burst)


def _work(redis, name: str, *, burst: bool) -> int:
    delay = 1.0
    while True:
        try:
            w = SimpleWorker([streams.queue_name(p) for p in streams.QUEUE_ORDER],
                             connection=redis, name=name, serializer=JSONSerializer)
            w.work(burst=burst, with_scheduler=False)
            return 0
        except redis_lib.RedisError as exc:
            log.warning("lost Redis (%s); reconnecting in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)
            _wait_for_redis(redis)


if __name__ == "__main__":
    sys.exit(main())
