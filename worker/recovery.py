"""Keeping the fleet honest: the reaper, and leftovers of dead workers.

Workers beat (worker/heartbeat.py). The reaper (a thread in every worker)
looks for running tasks whose worker's heartbeat key has been gone for a
while and decides for them, under a per-task Redis lock so only one reaper
acts: a task whose command never started is queued again (at
most ``MAX_ATTEMPTS`` runs in all); one whose command started is marked failed,
never re-run, because the command may already have had effects. RQ's own
abandoned-job detection takes minutes; this takes seconds.

A Redis outage longer than the TTL expires every key, live workers' too, so
a reaper counts a key as missing only while Redis answers (see ``Reaper``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlmodel import Session, select

from clawweb import db
from clawweb.models import ACTIVE_STATUSES, Task
from clawweb.services.tasks import queue as task_queue
# The decision itself is the web side's too (clawweb/services/fleet.py).
from clawweb.services.fleet import (  # noqa: F401
    LOST_GAVE_UP, LOST_RETRIED, LOST_STARTED, MAX_ATTEMPTS, LossWatch, recover,
)
from worker import workspace
# beat stays importable from here for older callers (recovery.beat).
from worker.heartbeat import PeriodicThread, alive_workers, beat, known_workers  # noqa: F401
from worker.sandbox import Sandbox

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10.0


class NotDead(set):
    """The names ``Sandbox.remove_orphans`` must spare: live workers, and any
    worker this deployment never knew (a container of another installation or
    a test sharing the dockerd is not ours to remove)."""

    def __init__(self, alive: set[str], known: set[str]):
        super().__init__(alive)
        self.known = known

    def __contains__(self, name) -> bool:
        return set.__contains__(self, name) or name not in self.known


class Reaper(PeriodicThread):
    """Recovers tasks of dead workers and removes their leftovers on this host.

    A worker counts as dead once its heartbeat key has been seen missing in
    every step for ``grace`` seconds, all of them answered by Redis. A failed
    step forgets what was seen missing: right after an outage longer than the
    TTL every key is gone, live workers' included, and they need a moment
    to beat again.

    Args:
        grace: how long (on top of the key's TTL) a heartbeat must stay missing.
    """

    def __init__(self, redis, worker_name: str, sandbox_factory: Callable[[], Sandbox],
                 interval: float, grace: float):
        super().__init__(f"reaper-{worker_name}", interval)
        self.redis, self.worker_name = redis, worker_name
        self.sandbox_factory = sandbox_factory
        self.grace = grace
        self.watch = LossWatch(grace)
        self._swept_at = 0.0

    def step(self) -> None:
        try:
            self._step()
        except BaseException:
            self.watch.forget()
            raise

    def _step(self) -> None:
        alive = alive_workers(self.redis) | {self.worker_name}
        # Taken after Redis answered: a scan that waited out a reconnect
        # tells how things are now, not when the step began.
        now = time.monotonic()
        with Session(db.get_engine(), expire_on_commit=False) as session:
            active = session.exec(select(Task).where(
                Task.status.in_(list(ACTIVE_STATUSES)))).all()
            dead = {t.worker_name for t in active if t.worker_name not in alive}
            confirmed = self.watch.confirm(dead, now)
            # Containers first: never decide while a lost attempt may still run here.
            self.clean_leftovers(session, alive | (dead - confirmed))
            for task in active:
                if task.worker_name in confirmed:
                    recover(session, self.redis, task, reaper=self.worker_name)
            if now - self._swept_at >= SWEEP_SECONDS:
                self._swept_at = now
                task_queue.sweep(session=session, redis=self.redis)

    def clean_leftovers(self, session: Session, alive: set[str]) -> None:
        spare = NotDead(alive, known_workers(self.redis))
        removed = self.sandbox_factory().remove_orphans(spare)
        if removed:
            log.warning("removed containers of dead workers: %s", ", ".join(removed))
        keep = set(session.exec(select(Task.id).where(
            Task.status.in_(list(ACTIVE_STATUSES)), Task.worker_name.in_(alive))).all())
        for path in workspace.remove_orphans(keep):
            log.warning("removed working copy of a dead worker: %s", path)


def startup_cleanup(redis, worker_name: str, sandbox: Sandbox) -> None:
    """At worker start: remove containers and working copies of workers that are gone.

    Spares every worker with an active task: whether it is gone or only has not
    beaten again since an outage is for a reaper to find out, over its grace.
    """
    with Session(db.get_engine()) as session:
        spare = alive_workers(redis) | {worker_name} | _with_active_tasks(session)
        Reaper(redis, worker_name, lambda: sandbox, 1, 0).clean_leftovers(session, spare)


def exit_cleanup(redis, worker_name: str, sandbox: Sandbox) -> None:
    """At worker exit: remove what this worker leaves behind.

    A cold shutdown (a second SIGTERM) interrupts a task wherever it is; its
    ending is recorded, but its container or working copy may still be here.
    Best effort: without Redis or dockerd, the next worker start cleans up.
    """
    try:
        with Session(db.get_engine()) as session:
            spare = (alive_workers(redis) | _with_active_tasks(session)) - {worker_name}
            Reaper(redis, worker_name, lambda: sandbox, 1, 0).clean_leftovers(session, spare)
    except Exception as exc:  # Redis, dockerd or the database away: not worth a traceback
        log.warning("could not clean up after this worker (%s); the next worker start will",
                    exc)


def _with_active_tasks(session: Session) -> set[str]:
    return set(session.exec(select(Task.worker_name).where(
        Task.status.in_(list(ACTIVE_STATUSES)))).all())
