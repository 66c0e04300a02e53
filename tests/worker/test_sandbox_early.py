"""A task's own container made while its working copy is (worker/sandbox/early.py), real dockerd.

The container is a slot container, made by the same code as the warm pool's,
whose isolation the ``[warm-pool]`` runs of the isolation and escalation suites
hold; these tests hold what is particular to making it for one task, early.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from tests.support.services import need_docker
from tests.worker.sandbox_support import (  # noqa: F401  (fixtures)
    IMAGE, collect, container_gone, make_workdir, small, spec,
)
from worker.sandbox.base import SandboxError
from worker.sandbox.docker import LABEL, LABEL_TASK
from worker.sandbox.early import EarlyStart
from worker.sandbox.slots import PooledHandle, SlotSandbox

EGRESS, CONFIG = "/run/clawweb/egress", "/home/runner/.claude"


@pytest.fixture
def inner(tmp_path):
    need_docker(IMAGE)
    sandbox = SlotSandbox(slots_dir=tmp_path / "slots", image=IMAGE,
                          worker_name=f"test-{secrets.token_hex(4)}",
                          instance=f"test-{secrets.token_hex(6)}")
    yield sandbox
    sandbox.remove_orphans(set())


def _ours(inner: SlotSandbox) -> list[dict]:
    return inner.api.containers(all=True, filters={"label": f"{LABEL}={inner.instance}"})


def _slots(inner: SlotSandbox) -> list[Path]:
    return sorted(inner.slots_dir.iterdir()) if inner.slots_dir.exists() else []


def _mounted(path: Path) -> bool:
    return any(line.split()[4] == str(path)
               for line in Path("/proc/self/mountinfo").read_text().splitlines())


def test_the_container_runs_before_the_working_copy_exists_and_is_the_tasks(inner, tmp_path,
                                                                            monkeypatch):
    made, real = [], inner._make

    def spy(*args, **kwargs):
        warm = real(*args, **kwargs)
        made.append((time.monotonic(), warm.cid))
        return warm

    monkeypatch.setattr(inner, "_make", spy)
    early = EarlyStart(inner)
    early.prepare(task_id=7, limits=small(), targets=(), labels={"clawweb.attempt": "2"})
    deadline = time.monotonic() + 60
    while not made and time.monotonic() < deadline:  # the job making its working copy
        time.sleep(0.02)
    workdir = make_workdir(tmp_path)  # only now
    (workdir / "in.txt").write_text("from the working copy\n")
    asked = time.monotonic()
    handle = early.start(spec(workdir, "cat in.txt; pwd; echo made > out.txt", task_id=7,
                              limits=small()))
    try:
        [(made_at, cid)] = made
        assert made_at < asked and isinstance(handle, PooledHandle) and handle.id == cid
        assert inner.api.inspect_container(cid)["State"]["Running"]
        labels = inner.api.inspect_container(cid)["Config"]["Labels"]
        assert labels[LABEL_TASK] == "7" and labels["clawweb.attempt"] == "2"
        stdout, _ = collect(handle)
        assert handle.wait().exit_code == 0
    finally:
        handle.remove()
    assert stdout == b"from the working copy\n/workspace\n"
    assert (workdir / "out.txt").read_text() == "made\n"
    assert container_gone(inner, cid) and _slots(inner) == []


def test_an_agents_mounts_reach_its_early_container_at_their_paths(inner, tmp_path):
    early = EarlyStart(inner)
    early.prepare(task_id=8, limits=small(), targets=(EGRESS, CONFIG), labels={})
    workdir = make_workdir(tmp_path)
    egress, config = tmp_path / "egress", tmp_path / "config"
    for d in (egress, config):
        d.mkdir()
        d.chmod(0o777)
    (egress / "sock-stand-in").write_text("bridge\n")
    handle = early.start(spec(workdir, f"cat {EGRESS}/sock-stand-in; echo kept > {CONFIG}/s",
                              task_id=8, limits=small(),
                              extra_mounts={str(egress): EGRESS, str(config): CONFIG}))
    try:
        assert isinstance(handle, PooledHandle)
        stdout, _ = collect(handle)
        assert handle.wait().exit_code == 0
    finally:
        handle.remove()
    assert stdout == b"bridge\n" and (config / "s").read_text() == "kept\n"
    assert _ours(inner) == [] and _slots(inner) == []
    assert not any(_mounted(p) for p in (egress, config, workdir))


def test_a_spec_of_another_shape_starts_cold_and_the_early_one_goes(inner, tmp_path):
    early = EarlyStart(inner)
    early.prepare(task_id=9, limits=small(), targets=(), labels={})
    workdir = make_workdir(tmp_path)
    bigger = small(memory_mb=300)
    handle = early.start(spec(workdir, "exit 0", task_id=9, limits=bigger))
    try:
        collect(handle)
        assert not isinstance(handle, PooledHandle)
        memory = inner.api.inspect_container(handle.id)["HostConfig"]["Memory"]
        assert memory == 300 * 1024 * 1024
        assert [c["Id"] for c in _ours(inner)] == [handle.id]  # the early one is gone
    finally:
        handle.remove()
    assert _slots(inner) == []


def test_a_run_that_never_starts_leaves_no_container_or_slot(inner):
    early = EarlyStart(inner)
    early.prepare(task_id=10, limits=small(), targets=(EGRESS,), labels={})
    early.discard()  # the job's finally, for a task that failed before its command
    assert _ours(inner) == [] and _slots(inner) == []
    early.discard()  # and again: nothing to do


def test_a_symlinked_mount_source_is_refused_before_anything_is_bound(inner, tmp_path):
    early = EarlyStart(inner)
    early.prepare(task_id=11, limits=small(), targets=(CONFIG,), labels={})
    workdir = make_workdir(tmp_path)
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "config-link"
    link.symlink_to(target)
    with pytest.raises(SandboxError, match="not a plain directory"):
        early.start(spec(workdir, "true", task_id=11, limits=small(),
                         extra_mounts={str(link): CONFIG}))
    assert not _mounted(workdir) and not _mounted(target)
    assert _ours(inner) == [] and _slots(inner) == []


def test_with_a_warm_pool_the_job_takes_a_ready_container_at_its_start(tmp_path):
    from worker.sandbox.pool import PooledDockerSandbox

    need_docker(IMAGE)
    pool = PooledDockerSandbox(size=1, slots_dir=tmp_path / "slots", image=IMAGE,
                               worker_name=f"test-{secrets.token_hex(4)}",
                               instance=f"test-{secrets.token_hex(6)}")
    try:
        pool.warm(small(), targets=(CONFIG,))
        [ready] = pool.ready_ids()
        early = EarlyStart(pool)
        early.prepare(task_id=12, limits=small(), targets=(CONFIG,), labels={})
        early._thread.join(30)
        assert ready not in pool.ready_ids()  # taken before the working copy exists
        workdir = make_workdir(tmp_path)
        config = tmp_path / "config"
        config.mkdir()
        handle = early.start(spec(workdir, "true", task_id=12, limits=small(),
                                  extra_mounts={str(config): CONFIG}))
        try:
            collect(handle)
        finally:
            handle.remove()
        assert handle.id == ready
    finally:
        pool.close()
        pool.remove_orphans(set())


def test_a_slot_that_stays_mounted_is_never_deleted_through(inner, tmp_path, monkeypatch):
    from worker.sandbox import slots

    early = EarlyStart(inner)
    early.prepare(task_id=13, limits=small(), targets=(), labels={})
    workdir = make_workdir(tmp_path)
    (workdir / "work.txt").write_text("not saved yet\n")
    handle = early.start(spec(workdir, "true", task_id=13, limits=small()))
    collect(handle)
    real = slots._umount_all
    monkeypatch.setattr(slots, "_umount_all", lambda path: None)  # an unmount that failed
    with pytest.raises(SandboxError, match="still mounted"):
        handle.remove()
    assert (workdir / "work.txt").read_text() == "not saved yet\n"  # the copy is intact
    monkeypatch.setattr(slots, "_umount_all", real)
    handle.remove()
    assert _slots(inner) == [] and not _mounted(workdir)


def test_a_dead_workers_slot_that_stays_mounted_is_left_in_place(inner, tmp_path, monkeypatch):
    import subprocess

    from worker.sandbox import slots

    dead_slot = inner.slots_dir.parent / "a-dead-worker" / "slot-1"
    dead_slot.mkdir(parents=True)
    workdir = make_workdir(tmp_path)
    (workdir / "work.txt").write_text("not saved yet\n")
    subprocess.run(["mount", "--bind", str(workdir), str(dead_slot)], check=True)
    try:
        real = slots._umount_all
        monkeypatch.setattr(slots, "_umount_all", lambda path: None)  # an unmount that failed
        inner.remove_orphans({inner.worker_name})
        assert (workdir / "work.txt").read_text() == "not saved yet\n"  # nothing deleted through
        monkeypatch.setattr(slots, "_umount_all", real)
        inner.remove_orphans({inner.worker_name})
        assert not dead_slot.parent.exists() and not _mounted(dead_slot)
        assert (workdir / "work.txt").read_text() == "not saved yet\n"
    finally:
        if _mounted(dead_slot):
            subprocess.run(["umount", str(dead_slot)], check=False)
