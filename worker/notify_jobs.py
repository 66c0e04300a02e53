"""Notification jobs, and the thread in every worker process that runs them.

The web side and the task code enqueue by dotted path on the notify queue
(JSON serializer): ``deliver(delivery_id)`` sends one delivery row (and the rows
grouped with it), ``close(approval_id)`` closes a decided approval's
notification on every device, ``check_expiring(approval_id)`` is the one
scheduled check before an approval expires.

They do not share the task queues: a worker busy with a long task (or with a
task waiting for the very approval being announced) must not hold back the
notification that asks for it. So each worker process runs a second RQ worker
(``NotifyWorker``, RQ's in-process SimpleWorker) in a thread, on the notify
queue only. Between jobs it moves due scheduled jobs (delays and retries) into
the queue with RQ's own scheduler code, sweeps deliveries whose job was lost,
and purges notifications past their retention.
"""

from __future__ import annotations

import logging
import threading
import time

from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from clawweb import redis_conn
from clawweb.db import session_scope
from clawweb.services.notify import actions, centre, delivery, hooks, sender

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0
PURGE_SECONDS = 3600.0
RESTART_SECONDS = 2.0


def deliver(delivery_id: int) -> str:
    """Send one delivery row (RQ job)."""
    return sender.run(delivery_id)


def close(approval_id: int) -> int:
    """Close a decided or expired approval's notification on every device (RQ job)."""
    return sender.close_approval(approval_id)


def check_expiring(approval_id: int) -> None:
    """Tell who may answer that a still-pending approval is about to expire (RQ job)."""
    hooks.approval_expiring(approval_id)


class NotifyWorker(SimpleWorker):
    """RQ's in-process worker, made to live in a thread next to the task worker.

    Signals belong to the main thread's worker, so none are installed and job
    timeouts use a timer instead of SIGALRM. The wait for a job is cut into
    one-second slices, between which ``_between_jobs`` runs.
    """

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args, stop_event: threading.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self._stop_event = stop_event
        self._scheduler = RQScheduler(self.queues, connection=self.connection,
                                      serializer=JSONSerializer, name=f"{self.name}-scheduler")
        self._swept_at = 0.0
        self._purged_at = 0.0

    def _install_signal_handlers(self) -> None:
        pass  # the main thread's worker handles SIGTERM/SIGINT for the process

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        while True:
            self._between_jobs()
            found = super().dequeue_job_and_maintain_ttl(1, max_idle_time=1)
            if found is not None:
                return found

    def _between_jobs(self) -> None:
        if self._stop_event.is_set():
            raise StopRequested()
        if self._scheduler.acquire_locks():
            self._scheduler.enqueue_scheduled_jobs()
        now = time.monotonic()
        if now - self._swept_at > SWEEP_SECONDS:
            self._swept_at = now
            housekeeping(purge=now - self._purged_at > PURGE_SECONDS)
            if now - self._purged_at > PURGE_SECONDS:
                self._purged_at = now

    def teardown(self) -> None:
        try:
            self._scheduler.release_locks()
        finally:
            super().teardown()


def housekeeping(*, purge: bool) -> None:
    """Re-enqueue lost deliveries; with ``purge``, drop old notifications and tokens."""
    try:
        with session_scope() as session:
            delivery.sweep(session=session)
            if purge:
                centre.purge(session=session)
                actions.purge(session=session)
    except Exception:  # noqa: BLE001 - a DB or Redis blip: next round
        log.warning("notification housekeeping failed", exc_info=True)


class DeliveryThread(threading.Thread):
    """Runs a ``NotifyWorker`` until ``stop()``, starting a new one if it quits."""

    def __init__(self, worker_name: str):
        super().__init__(name=f"notify-{worker_name}", daemon=True)
        self.worker_name = worker_name
        self.stopping = threading.Event()
        self.worker: NotifyWorker | None = None

    def run(self) -> None:
        starts = 0
        while not self.stopping.is_set():
            starts += 1
            # A fresh name per start: RQ refuses a name whose registration lives on.
            self.worker = NotifyWorker([delivery.rq_queue()], connection=redis_conn.get_redis(),
                                       name=f"{self.worker_name}-notify-{starts}",
                                       serializer=JSONSerializer, stop_event=self.stopping)
            try:
                self.worker.work(logging_level="WARNING")
            except Exception:  # noqa: BLE001 - Redis away at start: try again shortly
                log.warning("notification worker stopped; restarting", exc_info=True)
            self.stopping.wait(RESTART_SECONDS)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.join(timeout)


_started: list[DeliveryThread] = []


def start(worker_name: str) -> DeliveryThread:
    """Start the notification thread of the worker process ``worker_name``."""
    thread = DeliveryThread(worker_name)
    thread.start()
    _started.append(thread)
    return thread


def stop_all(timeout: float = 5.0) -> None:
    """Stop the threads ``start`` made (the worker process is exiting)."""
    while _started:
        _started.pop().stop(timeout)
