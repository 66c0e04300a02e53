"""A warm pool: slot containers (``slots.py``) started before their task, each used once.

Most of a cold start is dockerd creating and starting the container. The pool
does that ahead of time: ``size`` slot containers kept ready, refilled on a
thread after a task takes one. Specs with extra mounts (agents' bridge socket
and session folder) start cold, and so does any spec whose limits differ from
the pool's (the pool then refills with the new limits: it keeps one shape, the
one last asked for).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from pathlib import Path

from worker.sandbox.base import Limits, SandboxError, SandboxSpec
from worker.sandbox.docker_handle import DockerHandle
from worker.sandbox.slots import (  # noqa: F401  (header, PooledHandle: re-exported)
    POOL_TASK_LABEL, PooledHandle, SlotSandbox, _Warm, header,
)

log = logging.getLogger(__name__)

# A refill makes dockerd create and start a container: ~100 ms of CPU, which on
# a small host would be taken from the task that just took a warm container
# (its first line, its page being drawn). It waits until that moment is past.
REFILL_DELAY_SECONDS = 0.5


class PooledDockerSandbox(SlotSandbox):
    """``DockerSandbox`` that hands out pre-started containers.

    Args:
        size: how many warm containers to keep (the refill runs on a thread).
        slots_dir: host directory for the slots (under the data dir in production).
        shape: limits to fill for before any task asked (None: wait for one).
        **kwargs: as for ``DockerSandbox``.
    """

    def __init__(self, *, size: int, slots_dir: Path, shape: Limits | None = None, **kwargs):
        super().__init__(slots_dir=slots_dir, **kwargs)
        self.size = size
        self._ready: list[_Warm] = []
        self._shape = shape
        self._cond = threading.Condition()
        self._closed = False
        self._taken_at = 0.0
        self._thread = threading.Thread(target=self._refill, daemon=True,
                                        name="warm-pool")
        self._thread.start()

    def start(self, spec: SandboxSpec) -> DockerHandle:
        if spec.extra_mounts:
            return super().start(spec)
        warm = self._take(spec.limits) or self._make(spec.limits)
        try:
            return self._hand_over(warm, spec)
        except BaseException:
            self._destroy(warm)
            raise

    def wants_early(self, limits: Limits, targets: tuple[str, ...]) -> bool:
        # A plain spec takes a warm container; one with mounts starts early instead.
        return bool(targets)

    def _take(self, limits: Limits) -> _Warm | None:
        with self._cond:
            stale = []
            if self._shape != limits:
                stale, self._ready, self._shape = self._ready, [], limits
            warm = self._ready.pop(0) if self._ready else None
            self._taken_at = time.monotonic()
            self._cond.notify_all()  # refill what was taken (or the new shape)
        if stale:  # not on this task's path
            threading.Thread(target=lambda: [self._destroy(w) for w in stale],
                             daemon=True).start()
        return warm

    def _refill(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or (
                    self._shape is not None and len(self._ready) < self.size))
                if self._closed:
                    return
                shape = self._shape
                calm = self._taken_at + REFILL_DELAY_SECONDS - time.monotonic()
                if calm > 0:
                    self._cond.wait_for(lambda: self._closed, calm)
                    continue  # look again: closed, or the shape changed meanwhile
            try:
                warm = self._make(shape)
            except Exception:
                log.exception("warm pool: cannot start a container")
                with self._cond:
                    self._cond.wait(5)  # dockerd trouble: do not spin
                continue
            with self._cond:
                keep = not self._closed and self._shape == shape
                if keep:
                    self._ready.append(warm)
                    self._cond.notify_all()  # warm() waits for a full pool
            if not keep:
                self._destroy(warm)

    def warm(self, limits: Limits, timeout: float = 60) -> None:
        """Ask for ``limits`` and wait until the pool is full (tests, start-up)."""
        with self._cond:
            if self._shape != limits:
                self._shape = limits
                self._cond.notify_all()
            if not self._cond.wait_for(lambda: len(self._ready) >= self.size, timeout):
                raise SandboxError("the warm pool did not fill in time")

    def ready_ids(self) -> list[str]:
        with self._cond:
            return [w.cid for w in self._ready]

    def close(self) -> None:
        """Stop refilling and remove every warm container and slot."""
        with self._cond:
            self._closed = True
            ready, self._ready = self._ready, []
            self._cond.notify_all()
        self._thread.join(30)
        for warm in ready:
            self._destroy(warm)

    def remove_orphans(self, alive_worker_names) -> list[str]:
        if self.worker_name not in alive_worker_names:
            self.close()  # this worker's own exit clean-up: stop refilling first
        return super().remove_orphans(alive_worker_names)


_shared: dict[str, PooledDockerSandbox] = {}
_shared_lock = threading.Lock()


def shared_pool(worker_name: str, size: int, slots_dir: Path) -> PooledDockerSandbox:
    """The one pool of this worker process (jobs make a sandbox per task)."""
    with _shared_lock:
        pool = _shared.get(worker_name)
        if pool is None:
            # Limits() are a new project's limits: the first task is warm too.
            pool = _shared[worker_name] = PooledDockerSandbox(
                size=size, slots_dir=slots_dir, shape=Limits(), worker_name=worker_name)
            atexit.register(pool.close)
        return pool

