"""A task's disk is bounded outside its container: real worker, real dockerd, real mounts.

The working copy lives on a loop-mounted ext4 image of CLAWWEB_TASK_DISK_MB; a
task that writes past it gets "No space left on device", ends with a clear
reason, and leaves the database, Redis and the host's disk as they were, with
nothing mounted or on disk afterwards.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from clawweb import redis_conn
from clawweb.i18n import stored
from clawweb.models import Task, TaskStatus
from clawweb.services import git
from clawweb.services.projects import service as projects
from tests.integration.test_task_engine import (  # noqa: F401 (fixtures)
    all_events, finished, fleet, submit, text, world,
)

LIMIT_MB = 64
# Bounded on purpose: should the limit ever break, the test writes 200 MB and
# fails, instead of filling the machine's disk.
FILL = "dd if=/dev/zero of=/workspace/fill bs=1M count=200"


def mounts_under(path: Path) -> list[str]:
    text_ = Path("/proc/self/mountinfo").read_text()
    points = [line.split()[4].replace("\\040", " ") for line in text_.splitlines()]
    return [p for p in points if p == str(path) or p.startswith(f"{path}/")]


@pytest.fixture
def small_disk(monkeypatch):
    if os.geteuid() != 0:
        pytest.fail("loop-mounted task disks need root (CI runs as root)")
    monkeypatch.setenv("CLAWWEB_TASK_DISK_MB", str(LIMIT_MB))


def _disk_used(root) -> int:
    """Bytes of disk the files under ``root`` take (``du``; links not followed)."""
    total = 0
    for path in Path(root).rglob("*"):
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue  # removed while we looked
        total += st.st_blocks * 512
    return total


def test_filling_the_working_copy_stops_at_the_limit(session, small_disk, fleet, world,
                                                     settings):
    alice, project = world
    fleet.start(1)
    du_before = _disk_used(settings.data_dir)
    task = finished(session, submit(session, alice, project, f"{FILL}; echo dd=$?").id)
    out = text(all_events(session, task.id), "stdout") + text(all_events(session, task.id),
                                                              "stderr")
    assert "No space left on device" in out, out[-2000:]
    assert "dd=1" in out
    assert task.status == TaskStatus.failed
    reason = stored.decode(task.failure_reason)
    assert reason == {"key": "workspace.disk_full", "params": {"limit_mb": LIMIT_MB}}
    assert "64 MB" in stored.render(task.failure_reason, "en")
    # The host is fine: the database takes writes, Redis answers, another task runs.
    redis = redis_conn.get_redis()
    assert redis.ping() and redis.set("disk-probe", "1") and redis.get("disk-probe") == b"1"
    after = finished(session, submit(session, alice, project, "echo still-fine > ok.txt").id)
    assert after.status == TaskStatus.succeeded, after.failure_reason
    assert git.branch_exists(projects.project_repo_path(project), after.branch)
    assert session.get(Task, task.id).status == TaskStatus.failed
    # The fill never reached the host's disk (a few MB of slack for the database).
    # Counted under the data directory, not as the filesystem's free space, which
    # the image build and other tests beside this one move by tens of MB.
    assert _disk_used(settings.data_dir) - du_before < 32 * 1024 * 1024
    assert mounts_under(settings.data_dir) == []
    assert list(settings.workspaces_dir.iterdir()) == []


def test_the_working_copy_is_mounted_nosuid_nodev(session, small_disk, fleet, world):
    alice, project = world
    fleet.start(1)
    cmd = "grep ' /workspace ' /proc/self/mountinfo; df -m /workspace | tail -1"
    task = finished(session, submit(session, alice, project, cmd).id)
    assert task.status == TaskStatus.succeeded, task.failure_reason
    out = text(all_events(session, task.id), "stdout")
    # The last: a container started before its working copy existed (sandbox/
    # slots.py) has the empty slot under it; what /workspace resolves to is on top.
    *under, line = [row for row in out.splitlines() if " /workspace " in row]
    assert len(under) <= 1, out
    options = set(line.split()[5].split(","))
    assert {"nosuid", "nodev"} <= options, line
    size_mb = int(out.splitlines()[-1].split()[1])
    assert size_mb <= LIMIT_MB, out


def test_leftovers_of_a_killed_worker_are_unmounted_and_removed(session, small_disk, fleet,
                                                                world, settings):
    alice, project = world
    fleet.start(2)
    task = submit(session, alice, project, "echo started; sleep 300")
    from tests.integration.test_task_engine import _running_with_container, task_now, wait_for
    _running_with_container(session, fleet, task.id)
    victim = task_now(session, task.id).worker_name
    assert mounts_under(settings.workspaces_dir), "the task's disk should be mounted"
    fleet.kill9(victim)
    wait_for(lambda: task_now(session, task.id).status == TaskStatus.failed, 60, "the reaper")
    wait_for(lambda: mounts_under(settings.workspaces_dir) == [], 60, "the stale mount to go")
    wait_for(lambda: list(settings.workspaces_dir.iterdir()) == [], 30, "the image to go")
    loops = subprocess.run(["losetup", "-a"], check=True, capture_output=True, text=True).stdout
    assert str(settings.workspaces_dir) not in loops
