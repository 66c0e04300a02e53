"""A task's disk: a real loop-mounted ext4 image (root), its lock, its cleanup."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.worker.sandbox_support import docker_sandbox  # noqa: F401 (fixture)
from worker import taskfs
from worker.taskfs import TaskFsError

SUBDIRS = ("workspace", "claude")


@pytest.fixture
def base(tmp_path) -> Path:
    if os.geteuid() != 0:
        pytest.fail("task disks are loop-mounted, which needs root (CI runs as root)")
    return tmp_path / "workspaces"


@pytest.fixture
def made(base):
    made: list[taskfs.TaskFs] = []
    yield made
    for fs in made:
        fs.destroy()


def test_a_disk_is_mounted_nosuid_nodev_with_its_size_and_subdirs(base, made):
    fs = taskfs.create(base, 7, 64, SUBDIRS)
    made.append(fs)
    assert taskfs.is_mounted(fs.root)
    line = next(row for row in Path("/proc/self/mountinfo").read_text().splitlines()
                if row.split()[4] == str(fs.root))
    assert {"nosuid", "nodev"} <= set(line.split()[5].split(","))
    st = os.statvfs(fs.root)
    assert 40 * 2**20 < st.f_blocks * st.f_frsize <= 64 * 2**20
    assert all((fs.root / d).is_dir() for d in SUBDIRS)
    assert not fs.is_full()
    # Sparse: the image costs what is written, not its size.
    assert os.stat(fs.image).st_blocks * 512 < 16 * 2**20


def test_writing_past_the_limit_fails_and_the_disk_says_full(base, made):
    fs = taskfs.create(base, 8, 32, SUBDIRS)
    made.append(fs)
    proc = subprocess.run(["dd", "if=/dev/zero", f"of={fs.root / 'claude' / 'fill'}",
                           "bs=1M", "count=100"], capture_output=True, text=True)
    assert proc.returncode != 0 and "No space left on device" in proc.stderr
    assert fs.is_full()


def test_destroy_unmounts_and_deletes_everything(base):
    fs = taskfs.create(base, 9, 32, SUBDIRS)
    (fs.root / "workspace" / "f").write_text("x")
    fs.destroy()
    fs.destroy()  # twice is fine
    assert taskfs.mounts_under(base) == [] and list(base.iterdir()) == []


def test_a_busy_disk_is_detached_lazily(base):
    fs = taskfs.create(base, 10, 32, SUBDIRS)
    holder = open(fs.root / "workspace" / "open-file", "w")  # keeps the fs busy
    try:
        fs.destroy()
        assert taskfs.mounts_under(base) == [] and list(base.iterdir()) == []
    finally:
        holder.close()


def test_unbounded_is_a_plain_directory(base, made):
    fs = taskfs.create(base, 11, 0, SUBDIRS)
    made.append(fs)
    assert not taskfs.is_mounted(fs.root) and (fs.root / "workspace").is_dir()
    assert fs.image.stat().st_size == 0 and not fs.is_full()


def test_leftovers_of_an_earlier_attempt_are_replaced(base, made):
    first = taskfs.create(base, 12, 32, SUBDIRS)
    (first.root / "workspace" / "old").write_text("old")
    os.close(first._lock_fd)   # the attempt's process died, its mount stayed
    first._lock_fd = None
    second = taskfs.create(base, 12, 32, SUBDIRS)
    made.append(second)
    assert taskfs.mounts_under(base) == [str(second.root)]   # not stacked
    assert list((second.root / "workspace").iterdir()) == []


def test_orphan_cleanup_never_touches_a_disk_a_live_process_holds(base, made):
    live = taskfs.create(base, 13, 32, SUBDIRS)
    made.append(live)
    (live.root / "workspace" / "work").write_text("in progress")
    dead = taskfs.create(base, 14, 32, SUBDIRS)
    os.close(dead._lock_fd)   # its worker was killed: the lock went with it
    dead._lock_fd = None
    # Neither task is "kept" (e.g. the database says it is not running here).
    removed = taskfs.remove_orphans(base, keep=set())
    assert removed == [dead.root]
    assert (live.root / "workspace" / "work").read_text() == "in progress"
    assert taskfs.mounts_under(base) == [str(live.root)]
    assert sorted(p.name for p in base.iterdir()) == ["task-13", "task-13.img"]


def test_a_second_create_waits_for_the_holder(base, made, monkeypatch):
    made.append(taskfs.create(base, 15, 0, SUBDIRS))
    monkeypatch.setattr(taskfs, "LOCK_WAIT_SECONDS", 0.3)
    with pytest.raises(TaskFsError) as err:
        taskfs.create(base, 15, 0, SUBDIRS)
    assert err.value.key == "workspace.disk_busy"
    assert (made[0].root / "workspace").is_dir()


def test_without_root_a_limit_is_refused(base, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(TaskFsError) as err:
        taskfs.create(base, 16, 64, SUBDIRS)
    assert err.value.key == "workspace.disk_needs_root"
    fs = taskfs.create(base, 16, 0, SUBDIRS)   # explicitly unbounded still works
    fs.destroy()


def test_a_failing_mkfs_leaves_nothing(base, monkeypatch):
    monkeypatch.setattr(taskfs, "MKFS", ["false"])
    with pytest.raises(TaskFsError) as err:
        taskfs.create(base, 17, 32, SUBDIRS)
    assert err.value.key == "workspace.disk_failed"
    assert list(base.iterdir()) == [] and taskfs.mounts_under(base) == []


def test_mount_points_with_spaces_are_read_back(tmp_path, made):
    if os.geteuid() != 0:
        pytest.fail("needs root")
    base = tmp_path / "with space"
    fs = taskfs.create(base, 18, 32, SUBDIRS)
    made.append(fs)
    assert taskfs.is_mounted(fs.root)


def test_a_container_filling_either_subdir_stops_at_the_limit(base, made, docker_sandbox,
                                                              tmp_path):
    """Both the working copy and the Claude config dir, as the container sees them."""
    from tests.worker.sandbox_support import run
    from worker.agents.claude_run import CONFIG_DIR

    fs = taskfs.create(base, 19, 48, SUBDIRS)
    made.append(fs)
    for name in SUBDIRS:
        os.chmod(fs.root / name, 0o777)
    script = ("dd if=/dev/zero of=/home/runner/.claude/fill bs=1M count=100; echo c=$?; "
              "rm /home/runner/.claude/fill; "
              "dd if=/dev/zero of=/workspace/fill bs=1M count=100; echo w=$?; "
              "df -m /workspace /home/runner/.claude | tail -2")
    host_before = os.statvfs(tmp_path).f_bavail
    res = run(docker_sandbox, fs.root / "workspace", script,
              extra_mounts={str(fs.root / "claude"): CONFIG_DIR})
    assert res.err.count("No space left on device") == 2, res.err
    assert "c=1" in res.out and "w=1" in res.out, res.out
    assert fs.is_full()
    used = (host_before - os.statvfs(tmp_path).f_bavail) * os.statvfs(tmp_path).f_frsize
    assert used < 60 * 2**20, "the host disk paid for more than the task's limit"
