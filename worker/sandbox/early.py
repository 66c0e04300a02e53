"""A cold start, overlapped: the task's container starts while its working copy is made.

A cold start was two waits, one after the other: the working copy (task disk,
clone: 25-150 ms on a busy small host), then dockerd creating and starting the
container (100-250 ms). The job knows the task's limits and mount targets before
the working copy exists, so :meth:`EarlyStart.prepare` has a slot container
(``slots.py``: the same hardening, a waiter, ``/workspace`` bound late) made for
this task on a thread at once, and :meth:`EarlyStart.start` hands it the working
copy when the agent asks for its sandbox. With a warm pool (``pool.py``) the
claim takes a ready container of the task's shape at that moment, and makes one
only when none is ready.

The container is the task's own from the start (labelled with its id and
attempt, named ``clawweb-task-<id>-...``), is used once and removed with its
slots, and never sees anything but the waiter before the hand-over. A spec of
another shape than the one prepared, or a container that could not be made,
falls back to the inner sandbox's own start; one never asked for goes in
:meth:`EarlyStart.discard`, which the job calls in its ``finally``.
"""

from __future__ import annotations

import logging
import threading

from worker.sandbox.base import Limits, Sandbox, SandboxHandle, SandboxSpec
from worker.sandbox.slots import SlotSandbox, _Warm

log = logging.getLogger(__name__)


class EarlyStart(Sandbox):
    """One task's sandbox: ``inner``'s, with that task's container started early."""

    def __init__(self, inner: Sandbox):
        self.inner = inner
        self._thread: threading.Thread | None = None
        self._warm: _Warm | None = None

    def prepare(self, *, task_id: int, limits: Limits, targets: tuple[str, ...],
                labels: dict[str, str]) -> None:
        """Start making the container for a spec of ``limits`` and ``targets``."""
        inner = self.inner
        if not isinstance(inner, SlotSandbox):
            return

        def make() -> None:
            try:
                self._warm = inner.claim(limits, targets, task_id=task_id, labels=labels)
            except Exception:  # noqa: BLE001 - start() falls back to a cold start
                log.warning("task %s: no early container, starting cold", task_id,
                            exc_info=True)

        self._thread = threading.Thread(target=make, daemon=True, name=f"early-{task_id}")
        self._thread.start()

    def _claim(self) -> _Warm | None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        warm, self._warm = self._warm, None
        return warm

    def start(self, spec: SandboxSpec) -> SandboxHandle:
        warm = self._claim()
        if warm is None:
            return self.inner.start(spec)
        inner: SlotSandbox = self.inner  # only a SlotSandbox prepares
        if not inner.fits(warm, spec):
            inner._destroy(warm)
            return inner.start(spec)
        try:
            return inner._hand_over(warm, spec)
        except BaseException:
            inner._destroy(warm)
            raise

    def discard(self) -> None:
        """Remove a prepared container no spec took (a task that ended before its start)."""
        warm = self._claim()
        if warm is not None:
            self.inner._destroy(warm)

    def remove_orphans(self, alive_worker_names: set[str]) -> list[str]:
        return self.inner.remove_orphans(alive_worker_names)
