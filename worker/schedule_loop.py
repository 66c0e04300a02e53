"""The schedule loop of a worker: a thread calling ``clawweb.services.schedules.loop.step``.

Every worker runs one (started by ``worker/__main__.py`` once the worker is
registered); they fire each due time once between them through a
compare-and-set in the database, so adding workers adds no duplicate runs.
A failed step (database or Redis away) backs off like the reaper.
"""

from __future__ import annotations

from clawweb.services.schedules import loop
from worker.heartbeat import PeriodicThread


class ScheduleLoop(PeriodicThread):
    def __init__(self, worker_name: str, interval: float):
        super().__init__(f"schedules-{worker_name}", interval)

    def step(self) -> None:
        loop.step()


def start(settings, worker_name: str) -> ScheduleLoop:
    """Start this worker's schedule loop (every ``schedule_loop_seconds``)."""
    thread = ScheduleLoop(worker_name, max(0.2, settings.schedule_loop_seconds))
    thread.start()
    return thread
