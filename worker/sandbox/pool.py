"""A warm pool: slot containers (``slots.py``) started before their task, each used once.

Most of a cold start is dockerd creating and starting the container. The pool
does that ahead of time: ``size`` slot containers kept ready per *shape*,
refilled on a thread after a task takes one. A shape is the set of mount
targets besides ``/workspace`` (none for shell tasks; the bridge socket and
session folder for Claude tasks, each bound late onto a slot of its own) and,
for each such set, the limits last asked for: a spec with other limits gets a
container made for it, and the pool refills that set with the new limits.
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
    POOL_TASK_LABEL, PooledHandle, SlotSandbox, _Warm, header, targets_of,
)

log = logging.getLogger(__name__)

# A refill makes dockerd create and start a container: ~100 ms of CPU, which on
# a small host would be taken from the task that just took a warm container
# (its first line, its page being drawn). It waits until that moment is past.
REFILL_DELAY_SECONDS = 0.5

Targets = tuple[str, ...]


class PooledDockerSandbox(SlotSandbox):
    """``DockerSandbox`` that hands out pre-started containers.

    Args:
        size: how many warm containers to keep per shape (the refill runs on a thread).
        slots_dir: host directory for the slots (under the data dir in production).
        shape: limits to fill plain specs for before any task asked (None: wait for one).
        **kwargs: as for ``DockerSandbox``.
    """

    def __init__(self, *, size: int, slots_dir: Path, shape: Limits | None = None, **kwargs):
        super().__init__(slots_dir=slots_dir, **kwargs)
        self.size = size
        self._ready: dict[Targets, list[_Warm]] = {}
        self._limits: dict[Targets, Limits] = {} if shape is None else {(): shape}
        self._cond = threading.Condition()
        self._closed = False
        self._taken_at = 0.0
        self._thread = threading.Thread(target=self._refill, daemon=True,
                                        name="warm-pool")
        self._thread.start()

    def start(self, spec: SandboxSpec) -> DockerHandle:
        warm = self.claim(spec.limits, targets_of(spec))
        try:
            return self._hand_over(warm, spec)
        except BaseException:
            self._destroy(warm)
            raise

    def claim(self, limits: Limits, targets: Targets, *, task_id: int = 0,
              labels: dict[str, str] | None = None) -> _Warm:
        """A warm container of this shape, or one made now (``task_id``'s own)."""
        return self._take(limits, targets) or self._make(limits, targets, task_id=task_id,
                                                         labels=labels)

    def _take(self, limits: Limits, targets: Targets) -> _Warm | None:
        key = tuple(sorted(targets))
        with self._cond:
            stale = []
            if self._limits.get(key) != limits:
                stale, self._limits[key] = self._ready.pop(key, []), limits
            ready = self._ready.setdefault(key, [])
            warm = ready.pop(0) if ready else None
            self._taken_at = time.monotonic()
            self._cond.notify_all()  # refill what was taken (or the new shape)
        if stale:  # not on this task's path
            threading.Thread(target=lambda: [self._destroy(w) for w in stale],
                             daemon=True).start()
        return warm

    def _short(self) -> Targets | None:
        """A shape with fewer than ``size`` ready (caller holds the condition)."""
        return next((key for key in self._limits
                     if len(self._ready.get(key, [])) < self.size), None)

    def _refill(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._short() is not None)
                if self._closed:
                    return
                key = self._short()
                limits = self._limits[key]
                calm = self._taken_at + REFILL_DELAY_SECONDS - time.monotonic()
                if calm > 0:
                    self._cond.wait_for(lambda: self._closed, calm)
                    continue  # look again: closed, or the shape changed meanwhile
            try:
                warm = self._make(limits, key)
            except Exception:
                log.exception("warm pool: cannot start a container")
                with self._cond:
                    self._cond.wait(5)  # dockerd trouble: do not spin
                continue
            with self._cond:
                keep = not self._closed and self._limits.get(key) == limits
                if keep:
                    self._ready.setdefault(key, []).append(warm)
                    self._cond.notify_all()  # warm() waits for a full pool
            if not keep:
                self._destroy(warm)

    def warm(self, limits: Limits, timeout: float = 60, targets: Targets = ()) -> None:
        """Ask for a shape and wait until its containers are ready (tests, start-up)."""
        key = tuple(sorted(targets))
        with self._cond:
            if self._limits.get(key) != limits:
                self._limits[key] = limits
                self._cond.notify_all()
            if not self._cond.wait_for(lambda: len(self._ready.get(key, [])) >= self.size,
                                       timeout):
                raise SandboxError("the warm pool did not fill in time")

    def ready_ids(self) -> list[str]:
        with self._cond:
            return [w.cid for ready in self._ready.values() for w in ready]

    def close(self) -> None:
        """Stop refilling and remove every warm container and slot."""
        with self._cond:
            self._closed = True
            ready = [w for shape in self._ready.values() for w in shape]
            self._ready = {}
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

