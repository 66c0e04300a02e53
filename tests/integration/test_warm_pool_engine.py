"""The warm pool in real workers (`CLAWWEB_WARM_POOL=1`): redis-server, dockerd, git.

A task runs in a container started before it, the next task gets another one,
and neither a clean stop nor a killed worker leaves a container or a mounted
slot behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clawweb.models import TaskStatus
from tests.integration.test_task_engine import (  # noqa: F401  (fixtures)
    all_events, finished, fleet, submit, task_now, text, wait_for, world,
)


@pytest.fixture(autouse=True)
def warm_pool(monkeypatch):
    monkeypatch.setenv("CLAWWEB_WARM_POOL", "1")  # the workers' environment


def _slot_mounts(data_dir: Path) -> list[str]:
    pool = str(data_dir.resolve() / "pool")
    return [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if line.split()[4].startswith(pool)]


def test_tasks_run_in_prestarted_containers_used_once(session, fleet, world, settings):
    alice, project = world
    fleet.start(1)
    first = finished(session, submit(session, alice, project, "pwd; echo one > f").id)
    assert first.status == TaskStatus.succeeded, first.failure_reason
    assert text(all_events(session, first.id), "stdout") == "/workspace\n"
    # Refilled for this project's limits: a container waits, with its slot mounted.
    wait_for(lambda: fleet.containers("pool") and _slot_mounts(settings.data_dir), 60,
             "a warm container")
    [warm] = fleet.containers("pool")
    second = finished(session, submit(session, alice, project,
                                       "test -e f || echo NO-F; hostname").id)
    assert second.status == TaskStatus.succeeded, second.failure_reason
    # A fresh working copy (no f from task one) in a container like any other.
    assert text(all_events(session, second.id), "stdout") == "NO-F\nsandbox\n"
    assert warm not in fleet.containers("pool")  # taken and destroyed
    fleet.stop()
    assert fleet.containers() == [] and _slot_mounts(settings.data_dir) == []


def test_a_killed_workers_pool_is_cleaned_by_the_next(session, fleet, world, settings):
    alice, project = world
    (victim,) = fleet.start(1)
    task = finished(session, submit(session, alice, project, "true").id)
    assert task.status == TaskStatus.succeeded, task.failure_reason
    wait_for(lambda: fleet.containers("pool"), 60, "a warm container")
    fleet.kill9(victim)
    assert _slot_mounts(settings.data_dir)  # a dead worker's slot is still mounted
    fleet.start(1)
    wait_for(lambda: not any(victim in m for m in _slot_mounts(settings.data_dir)), 60,
             "the dead worker's slot to go")
    wait_for(lambda: all(victim not in c for c in fleet.containers()), 60,
             "the dead worker's warm container to go")
