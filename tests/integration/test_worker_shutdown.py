"""Stopping a worker for real: SIGTERM twice to a `python -m worker` running a task in a
real container (dockerd + clawweb-runner), against a real redis-server and SQLite file.
SIGTERM once (the task finishes, exit 0) is test_task_engine's
test_sigterm_once_finishes_the_running_task_then_exits.
"""

from __future__ import annotations

import signal
import subprocess
import time

from clawweb import redis_conn, streams
from clawweb.models import TaskStatus
from tests.integration.fleet import (  # noqa: F401  (fixtures)
    finished, fleet, started_in_container, submit, terminal_events, world,
)
from tests.support.said import said
from worker import workspace



def labelled(task_id: int, worker: str) -> list[str]:
    """Container ids dockerd has for this task of this worker, by label."""
    out = subprocess.run(["docker", "ps", "-a", "-q", "--filter", f"label=clawweb.task={task_id}",
                          "--filter", f"label=clawweb.worker={worker}"],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def test_sigterm_twice_stops_the_task_removes_its_container_and_exits(session, world, fleet):
    alice, project = world
    name = fleet.start("w")
    proc = fleet.procs[name]
    task = submit(session, alice, project, "echo started; sleep 300")
    started_in_container(session, task.id, [name])
    assert labelled(task.id, name), "the task's container is not there to be stopped"

    proc.send_signal(signal.SIGTERM)
    # RQ ignores a second signal within 1 s of the first (a worker pool's duplicate).
    time.sleep(1.5)
    assert proc.poll() is None, "one SIGTERM must let the task finish"
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(30)

    done = finished(session, task.id, timeout=5)
    assert done.status == TaskStatus.failed
    assert said(done.failure_reason, "tasks.ended.worker_stopped")[0] == \
        "the worker was stopped while the task was running"
    assert terminal_events(session, task.id) == ["failed"]
    assert labelled(task.id, name) == []
    assert not workspace.workdir_for(task.id).exists(), "working copy left behind"
    assert not redis_conn.get_redis().exists(streams.task_lock_key(task.id))
    assert code == 0, f"worker exited with {code}"
