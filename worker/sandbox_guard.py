"""Knowing that a task's containers are gone before host code touches its files.

Agents remove their containers themselves (``handle.remove()`` in a
``finally``), and some swallow a failure there so that a run can still report
how it ended. The job wraps the sandbox it hands to the agent in a
:class:`GuardedSandbox`, which remembers every container started and whether
its removal succeeded. After the agent returns, :meth:`GuardedSandbox.all_gone`
removes whatever is left, once more, and says whether everything is gone; only
then may host git read the working copy (a live container could still be
rewriting ``.git`` under it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from worker.sandbox.base import Chunk, ExitInfo, Sandbox, SandboxHandle, SandboxSpec

log = logging.getLogger(__name__)


class _TrackedHandle(SandboxHandle):
    def __init__(self, inner: SandboxHandle):
        self.inner = inner
        self.removed = False

    def __getattr__(self, name):  # id, name, spec, ... of the real handle
        return getattr(self.inner, name)

    def output(self) -> Iterator[Chunk]:
        return self.inner.output()

    def wait(self) -> ExitInfo:
        return self.inner.wait()

    def kill(self) -> None:
        self.inner.kill()

    def remove(self) -> None:
        self.inner.remove()
        self.removed = True  # only once remove() returned: the container is gone

    def write_stdin(self, data: bytes) -> None:
        self.inner.write_stdin(data)

    def close_stdin(self) -> None:
        self.inner.close_stdin()

    def signal(self, name: str) -> None:
        self.inner.signal(name)


class GuardedSandbox(Sandbox):
    """A sandbox that remembers the containers it started and whether they are gone."""

    def __init__(self, inner: Sandbox):
        self.inner = inner
        self.handles: list[_TrackedHandle] = []

    def start(self, spec: SandboxSpec) -> SandboxHandle:
        handle = _TrackedHandle(self.inner.start(spec))
        self.handles.append(handle)
        return handle

    def remove_orphans(self, alive_worker_names: set[str]) -> list[str]:
        return self.inner.remove_orphans(alive_worker_names)

    def all_gone(self) -> bool:
        """Remove every container not yet removed; True when all are gone."""
        gone = True
        for handle in self.handles:
            if handle.removed:
                continue
            try:
                handle.remove()
            except Exception:  # noqa: BLE001 - any failure means "may still exist"
                log.exception("a sandbox could not be removed")
                gone = False
        return gone
