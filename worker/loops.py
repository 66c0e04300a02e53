"""Several RQ work loops in one worker process: ``CLAWWEB_TASKS_PER_WORKER`` tasks at once.

Each loop is RQ's in-process ``SimpleWorker`` in a thread of its own, registered
with RQ as ``<name>.<i>``. Everything the fleet relies on stays per process: the
heartbeat, the task rows' ``worker_name``, container labels and the task lock's
owner all carry the process name, so a ``kill -9`` is one dead worker to the
reaper, which recovers all its tasks at once.

A task waiting on an approval or a silent command spends its time in short
waits (a BLPOP slice, a thread join), so the loops share the GIL cheaply.

Only the main thread gets signals; ``LoopSet`` passes them on. First
SIGTERM/SIGINT: every loop stops taking jobs, running jobs finish (warm). A
second one, later than RQ's one-second grace for duplicates: ``SystemExit`` is
raised in every loop thread still running a job, with the asynchronous
exception RQ's own ``TimerDeathPenalty`` uses, so each task records itself
failed exactly as a single-task worker's did.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import threading
import time
from datetime import timedelta

import redis as redis_lib
from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty
from rq.utils import now
from rq.worker import WorkerStatus

from clawweb import streams
from clawweb.observe import logs

log = logging.getLogger("worker")
MAX_BACKOFF_SECONDS = 5.0
# An idle loop waits for a job in slices this long, so a stop reaches it within one.
DEQUEUE_SLICE_SECONDS = 1
# RQ ignores a second signal this soon after the first (a pool's duplicate).
DUPLICATE_SIGNAL = timedelta(seconds=1)
# After a cold stop, how long the main thread waits for loops to record their tasks.
COLD_STOP_WAIT_SECONDS = 20.0


class Worker(SimpleWorker):
    """RQ's in-process worker, plus: ``on_ready`` once registered with RQ, a short
    reconnect back-off, a remembered stop request, and life in a thread (no
    signal handlers off the main thread, job timeouts by timer, the wait for a
    job cut into slices so a stop from another thread is seen)."""

    # RQ waits up to 60 s between reconnects while dequeuing; ours is shorter.
    max_connection_wait_time = MAX_BACKOFF_SECONDS
    # SIGALRM only reaches the main thread; RQ's timer penalty works in any.
    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args, on_ready=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_ready = on_ready
        self.stop_requested = False

    def bootstrap(self, *args, **kwargs) -> None:
        super().bootstrap(*args, **kwargs)
        if self.on_ready is not None:
            self.on_ready()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            super()._install_signal_handlers()

    def request_stop(self, signum, frame) -> None:
        self.stop_requested = True
        try:
            super().request_stop(signum, frame)
        except redis_lib.RedisError:
            pass  # RQ could not note the request in Redis; it is noted here

    def stop_warm(self) -> None:
        """Take no new job; a running one finishes (RQ's warm shutdown, from any thread)."""
        self.stop_requested = True
        self._shutdown_requested_date = now()
        self._stop_requested = True
        if self.get_state() == WorkerStatus.BUSY:
            try:
                self.set_shutdown_requested_date()
            except redis_lib.RedisError:
                pass  # only RQ's bookkeeping; the stop itself is noted here

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        if timeout is None:  # burst: RQ does not block
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        while True:
            if self._stop_requested:
                raise StopRequested()
            found = super().dequeue_job_and_maintain_ttl(
                DEQUEUE_SLICE_SECONDS, max_idle_time=DEQUEUE_SLICE_SECONDS)
            if found is not None:
                return found


def work(redis, name: str, *, burst: bool, on_ready=None, on_worker=None,
         stopping=lambda: False) -> int:
    """Run RQ's work loop until it ends or a stop is asked for; survive Redis going away.

    Args:
        on_worker: called with each RQ worker made (a new one after every reconnect).
        stopping: true once a stop was asked for before any RQ worker could be made.
    """
    while True:
        w = _make_worker(redis, name, on_ready, stopping)
        if w is None:
            return 0
        if on_worker is not None:
            on_worker(w)
        try:
            w.work(burst=burst, with_scheduler=False)
            return 0
        except redis_lib.RedisError as exc:
            if w.stop_requested:
                log.warning("lost Redis while stopping (%s); exiting", exc)
                return 0
            log.warning("lost Redis (%s); reconnecting", exc)
        try:
            _reconnect(redis, w)
        except StopRequested:
            return 0
        if w.stop_requested:
            return 0


def _make_worker(redis, name: str, on_ready, stopping) -> Worker | None:
    """A new RQ worker, once Redis answers (RQ names its connection as it is made);
    None if a stop came first."""
    delay = 1.0
    while not stopping():
        try:
            return Worker([streams.queue_name(p) for p in streams.QUEUE_ORDER],
                          connection=redis, name=name, serializer=JSONSerializer,
                          on_ready=on_ready)
        except redis_lib.RedisError as exc:
            log.warning("Redis unavailable for a new work loop (%s); retrying in %.0f s",
                        exc, delay)
        time.sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF_SECONDS)
    return None


def _reconnect(redis, w: Worker) -> None:
    """Wait for Redis, then close the registration RQ could not close itself.

    The name is this process's own, so whatever registration it has is ours:
    RQ refuses to register a name whose earlier registration never died.
    """
    delay = 1.0
    while not w.stop_requested:
        time.sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        try:
            redis.ping()
            w.register_death()
            return
        except redis_lib.RedisError as exc:
            log.warning("Redis unavailable (%s); retrying in %.0f s", exc, delay)


class Loop:
    """One work loop in a thread of its own, and the RQ worker it runs now."""

    def __init__(self, redis, process_name: str, index: int, *, burst: bool, on_ready):
        self.name = f"{process_name}.{index}"
        self.process_name = process_name
        self.redis, self.burst, self.on_ready = redis, burst, on_ready
        self.worker: Worker | None = None
        self.stopping = False
        self.crashed = False
        self.thread = threading.Thread(target=self._run, name=f"loop-{self.name}", daemon=True)

    def _run(self) -> None:
        logs.bind(worker=self.process_name)  # contextvars: each thread binds its own
        try:
            work(self.redis, self.name, burst=self.burst, on_ready=self.on_ready,
                 on_worker=self._attach, stopping=lambda: self.stopping)
        except Exception:
            # A single loop's crash used to end the process, so its supervisor
            # restarted it; LoopSet still exits non-zero once the others are done.
            log.exception("work loop %s crashed", self.name)
            self.crashed = True

    def _attach(self, w: Worker) -> None:
        self.worker = w
        if self.stopping:  # a stop that came while the previous worker reconnected
            w.stop_warm()

    def stop_warm(self) -> None:
        self.stopping = True
        if self.worker is not None:
            self.worker.stop_warm()

    def stop_cold(self) -> bool:
        """Raise ``SystemExit`` in the loop's thread if it runs a job; True if it did."""
        w = self.worker
        if not self.thread.is_alive() or w is None or w.get_state() != WorkerStatus.BUSY:
            return False
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread.ident),
                                                   ctypes.py_object(SystemExit))
        return True


class LoopSet:
    """``count`` loops of the worker process ``name``, and the signals that stop them."""

    def __init__(self, redis, name: str, count: int, *, burst: bool, on_ready=None):
        ready = _once(on_ready)
        self.loops = [Loop(redis, name, i + 1, burst=burst, on_ready=ready)
                      for i in range(max(1, count))]
        self._first_signal_at = None
        self._cold_deadline: float | None = None

    def run(self) -> int:
        """Start the loops and wait for all of them to end; returns the exit status."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        for loop in self.loops:
            loop.thread.start()
        while any(loop.thread.is_alive() for loop in self.loops) and not self._given_up():
            if any(loop.crashed for loop in self.loops) and self._first_signal_at is None:
                self._on_signal(signal.SIGTERM, None)  # the others finish, then we go
            time.sleep(0.2)  # the main thread must stay free to take signals
        return 1 if any(loop.crashed for loop in self.loops) else 0

    def _given_up(self) -> bool:
        # A loop stuck in a C call past a cold stop must not keep the process up:
        # exit_cleanup removes its container, and the reaper of another worker
        # ends its task once this process's heartbeat is gone.
        return self._cold_deadline is not None and time.monotonic() > self._cold_deadline

    def _on_signal(self, signum, frame) -> None:
        first = self._first_signal_at
        if first is None:
            self._first_signal_at = now()
            log.info("warm shut down requested (%s): running tasks finish",
                     signal.Signals(signum).name)
            for loop in self.loops:
                loop.stop_warm()
        elif now() - first >= DUPLICATE_SIGNAL:
            log.warning("cold shut down: stopping the running tasks")
            self._cold_deadline = time.monotonic() + COLD_STOP_WAIT_SECONDS
            for loop in self.loops:
                loop.stop_cold()


def _once(fn):
    """``fn`` run by the first caller only, the others waiting until it is done."""
    if fn is None:
        return None
    lock, done = threading.Lock(), []

    def call() -> None:
        with lock:
            if not done:
                fn()
                done.append(True)

    return call
