"""The reaper beside the web app: ends a dead worker's task when no worker is left to.

Every worker runs a reaper (worker/recovery.py), so while one worker lives, a
dead one's task is decided within seconds. When the last worker dies, nobody
would: its task stayed ``running`` forever. Each web process therefore runs
this thread too, started with the app's lifespan (``lifespan`` is registered
in clawweb/clawweb.py), and makes the same decision (``fleet.recover``, under
the same per-task lock, so a worker's reaper and several web processes never
decide twice).

It never touches containers or working copies: those belong to the worker
hosts, and the web host may have no dockerd at all. The dead worker's
container is removed by the next worker that starts on its host
(``startup_cleanup``; scripts/up, the systemd units and the compose file all
restart a worker that died).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time

from sqlmodel import Session

from clawweb import db, redis_conn
from clawweb.periodic import PeriodicThread
from clawweb.services import fleet
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_running: "WebReaper | None" = None


class WebReaper(PeriodicThread):
    """Recovers tasks whose worker's heartbeat has been gone for ``grace`` seconds.

    Args:
        redis: the process's sync Redis client.
        name: who decides, as the reaper lock records it.
        grace: how long (on top of the heartbeat key's TTL) a worker must stay missing.
    """

    def __init__(self, redis, name: str, interval: float, grace: float):
        super().__init__(f"reaper-{name}", interval)
        self.redis, self.reaper_name = redis, name
        self.watch = fleet.LossWatch(grace)

    def step(self) -> None:
        try:
            self._step()
        except BaseException:
            self.watch.forget()  # a look Redis did not answer proves nothing
            raise

    def _step(self) -> None:
        alive = fleet.alive_workers(self.redis)
        now = time.monotonic()  # after Redis answered: how things are now
        with Session(db.get_engine(), expire_on_commit=False) as session:
            active = fleet.active_tasks(session)
            missing = {t.worker_name for t in active if t.worker_name not in alive}
            dead = self.watch.confirm(missing, now)
            for task in active:
                if task.worker_name in dead:
                    fleet.recover(session, self.redis, task, reaper=self.reaper_name)


def start() -> WebReaper:
    """Start this process's web reaper (once; later calls return the running one)."""
    global _running
    with _lock:
        if _running is None or not _running.is_alive():
            settings = get_settings()
            hb = settings.worker_heartbeat_seconds
            _running = WebReaper(redis_conn.get_redis(),
                                 f"web-{socket.gethostname()}-{os.getpid()}",
                                 interval=hb, grace=2 * hb)
            _running.start()
        return _running


def stop() -> None:
    """Stop this process's web reaper, if it runs."""
    global _running
    with _lock:
        if _running is not None:
            _running.stop()
            _running = None


@contextlib.asynccontextmanager
async def lifespan():
    """The web reaper for as long as the app serves (a Reflex lifespan task)."""
    start()
    try:
        yield
    finally:
        stop()
