"""The warm pool (worker/sandbox/pool.py) on a real dockerd: pre-started, used once, destroyed.

The isolation and escalation suites run against the pool too (their
``docker_sandbox`` fixture is parametrized); these tests hold what is particular
to it.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from tests.support.services import need_docker
from tests.worker.sandbox_support import (  # noqa: F401  (fixtures)
    IMAGE, assert_sigint_ends_the_group, collect, container_gone, extra_workdir, run, small, spec, workdir,
)
from worker.sandbox.base import SandboxError
from worker.sandbox.pool import REFILL_DELAY_SECONDS, PooledDockerSandbox, PooledHandle, header


@pytest.fixture
def pool(tmp_path):
    need_docker(IMAGE)
    sandbox = PooledDockerSandbox(size=1, slots_dir=tmp_path / "slots", image=IMAGE,
                                  worker_name=f"test-{secrets.token_hex(4)}",
                                  instance=f"test-{secrets.token_hex(6)}")
    yield sandbox
    sandbox.close()
    sandbox.remove_orphans(set())


def _mounted(path: Path) -> bool:
    return any(line.split()[4] == str(path)
               for line in Path("/proc/self/mountinfo").read_text().splitlines())


def test_warm_returns_as_soon_as_the_pool_is_full(pool):
    # A worker starting with CLAWWEB_WARM_POOL waits here; a refill that does not
    # wake it held every start-up (and each of these tests) for warm()'s whole timeout.
    started = time.monotonic()
    pool.warm(small(), timeout=60)
    assert len(pool.ready_ids()) == 1
    assert time.monotonic() - started < 20


def test_a_task_takes_a_prestarted_container_that_is_then_destroyed(pool, workdir, tmp_path):
    pool.warm(small())
    [warm_id] = pool.ready_ids()
    (workdir / "hello.txt").write_text("from the working copy\n")
    handle = pool.start(spec(workdir, "cat hello.txt; pwd; echo made > out.txt",
                             limits=small()))
    assert isinstance(handle, PooledHandle) and handle.id == warm_id
    assert _mounted(handle.slot)  # the working copy is on the slot while it runs
    stdout, _ = collect(handle)
    assert handle.wait().exit_code == 0
    handle.remove()
    assert stdout == b"from the working copy\n/workspace\n"
    assert (workdir / "out.txt").read_text() == "made\n"  # written into the real copy
    assert container_gone(pool, warm_id)
    assert not handle.slot.exists() and not _mounted(handle.slot)
    pool.warm(small())  # refilled in the background with a new container
    assert pool.ready_ids() and pool.ready_ids() != [warm_id]


def test_the_refill_waits_until_the_task_that_took_a_container_has_started(
        pool, workdir, monkeypatch):
    # dockerd starting the next container would take the CPU from this task's
    # first line (and, on a small host, from the browser drawing its page).
    pool.warm(small())
    made, real = [], pool._make

    def spy(*args, **kwargs):
        made.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr(pool, "_make", spy)
    taken = time.monotonic()
    handle = pool.start(spec(workdir, "echo hi", limits=small()))
    stdout, _ = collect(handle)
    handle.wait()
    handle.remove()
    pool.warm(small())
    assert stdout == b"hi\n"
    assert len(made) == 1  # one refill, made by the background thread
    assert made[0] - taken >= REFILL_DELAY_SECONDS * 0.9


def test_nothing_of_one_task_reaches_the_next(pool, workdir, tmp_path):
    pool.warm(small())
    first = run(pool, workdir, "echo secret > /tmp/left; echo $$ > ~/pid; exit 3",
                limits=small())
    assert first.exit.exit_code == 3
    other = extra_workdir(tmp_path, "second")
    second = run(pool, other, "ls /tmp ~ /workspace; test -e /tmp/left || echo NO-LEFTOVER",
                 limits=small())
    assert second.container_id != first.container_id
    assert "left" not in second.out and "pid" not in second.out, second.out
    assert second.out.rstrip().endswith("NO-LEFTOVER")


def test_env_and_argv_reach_the_command_exactly(pool, workdir):
    pool.warm(small())
    tricky = "two  spaces 'quoted' $HOME\nnewline"
    result = run(pool, workdir, 'printf "%s|" "$TASK_VALUE" "$0" "$1"; printf "%s" "$PWD"',
                 limits=small(), env={"TASK_VALUE": tricky})
    assert result.exit.exit_code == 0, result.err
    assert result.out == f"{tricky}|bash||/workspace"


def test_without_stdin_the_command_reads_eof_and_with_stdin_it_streams(pool, workdir):
    pool.warm(small())
    assert run(pool, workdir, "cat; echo EOF", limits=small()).stdout == b"EOF\n"
    handle = pool.start(spec(workdir, "cat; echo CLOSED", limits=small(), stdin=True))
    try:
        chunks = handle.output()
        handle.write_stdin(b'{"type": "user"}\n')
        assert next(chunks).data == b'{"type": "user"}\n'
        handle.close_stdin()
        assert collect(handle, chunks) == (b"CLOSED\n", b"")
    finally:
        handle.remove()


def test_sigint_reaches_the_whole_process_group_of_a_pooled_command(pool, workdir):
    pool.warm(small())
    assert_sigint_ends_the_group(pool, workdir)


def test_other_limits_or_extra_mounts_never_get_a_container_of_another_shape(pool, workdir,
                                                                             tmp_path):
    pool.warm(small())
    [warm_id] = pool.ready_ids()
    bigger = small(memory_mb=300)
    handle = pool.start(spec(workdir, "exit 0", limits=bigger))
    try:
        collect(handle)
        memory = pool.api.inspect_container(handle.id)["HostConfig"]["Memory"]
    finally:
        handle.remove()
    assert handle.id != warm_id and memory == 300 * 1024 * 1024
    assert container_gone(pool, warm_id)  # the old shape's container was dropped
    [plain] = pool.ready_ids() or [None]  # the plain shape's refill (bigger), if back yet
    bridge = tmp_path / "bridge"
    bridge.mkdir()
    (bridge / "here").write_text("")
    handle = pool.start(spec(workdir, "ls /run/clawweb", limits=bigger,
                             extra_mounts={str(bridge): "/run/clawweb"}))
    try:
        stdout, _ = collect(handle)
    finally:
        handle.remove()
    # Made for its own mounts, never a plain container with a mount missing.
    assert handle.id not in (warm_id, plain) and stdout == b"here\n"


def test_an_agents_shape_is_kept_warm_beside_the_plain_one(pool, workdir, tmp_path):
    targets = ("/home/runner/.claude", "/run/clawweb/egress")
    pool.warm(small())
    pool.warm(small(), targets=targets)  # a Claude task's bridge socket and session folder
    ready = pool.ready_ids()
    assert len(ready) == 2  # one of each shape
    egress, config = tmp_path / "egress", tmp_path / "config"
    for d in (egress, config):
        d.mkdir()
        d.chmod(0o777)
    (egress / "sock").write_text("bridge\n")
    handle = pool.start(spec(workdir, "cat /run/clawweb/egress/sock; echo s > ~/.claude/s",
                             limits=small(), extra_mounts={str(egress): targets[1],
                                                           str(config): targets[0]}))
    try:
        stdout, _ = collect(handle)
        assert handle.wait().exit_code == 0
    finally:
        handle.remove()
    assert isinstance(handle, PooledHandle) and handle.id in ready
    assert stdout == b"bridge\n" and (config / "s").read_text() == "s\n"
    assert container_gone(pool, handle.id)
    plain = pool.start(spec(workdir, "test -e /run/clawweb/egress || echo PLAIN", limits=small()))
    try:
        stdout, _ = collect(plain)
    finally:
        plain.remove()
    assert plain.id in ready and stdout == b"PLAIN\n"  # the other shape, with no such mount


def test_orphaned_slots_of_a_dead_worker_are_unmounted(pool, workdir):
    pool.warm(small())
    [slot] = list(pool.slots_dir.iterdir())
    assert _mounted(slot)
    pool.close()
    pool.size = 0
    dead = PooledDockerSandbox(size=0, slots_dir=pool.slots_dir.parent, image=IMAGE,
                               worker_name="someone-else", instance=pool.instance)
    dead.slots_dir.mkdir(parents=True)
    (dead.slots_dir / "x").mkdir()
    dead.remove_orphans({pool.worker_name})  # "someone-else" is not alive
    assert not dead.slots_dir.exists()
    dead.close()


def test_header_is_nul_separated_and_refuses_nul():
    assert header({"A": "1"}, ["bash", "-c", "x"]) == b"1\0A=1\x003\0bash\0-c\0x\0"
    with pytest.raises(Exception):
        header({}, ["a\0b"])


def test_a_symlinked_working_copy_is_refused(pool, workdir, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(workdir)
    with pytest.raises(SandboxError, match="not a plain directory"):
        pool.start(spec(link, "true", limits=small()))
    # The container it would have used is destroyed with its slot, never handed on.
    assert all(_mounted(s) for s in pool.slots_dir.iterdir())
    assert pool.remove_orphans({pool.worker_name}) == []
