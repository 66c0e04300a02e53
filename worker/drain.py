"""Drain: an admin asks a worker to finish its running tasks and then stop.

The request is a Redis flag (``streams.worker_drain_key(name)``, set by
``clawweb.services.ops.workers.drain``). This thread polls it every heartbeat
and, once it is set, sends the process one SIGTERM: RQ's warm shutdown, which
lets every running task finish (an idle worker exits at once) and takes no new job
in any of the process's work loops (worker/loops.py).
"""

from __future__ import annotations

import logging
import os
import signal

from clawweb import streams
from worker.heartbeat import PeriodicThread

log = logging.getLogger(__name__)


class DrainWatch(PeriodicThread):
    def __init__(self, redis, worker_name: str, interval: float, kill=os.kill):
        super().__init__(f"drain-{worker_name}", interval)
        self.redis, self.worker_name, self.kill = redis, worker_name, kill

    def step(self) -> None:
        if self.redis.exists(streams.worker_drain_key(self.worker_name)):
            log.warning("worker %s: drain requested; finishing the running tasks, then "
                        "stopping", self.worker_name)
            self.stop()  # one signal only: a second SIGTERM would stop the task too
            self.kill(os.getpid(), signal.SIGTERM)
