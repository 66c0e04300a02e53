"""Isolation promises of the Docker sandbox (RELIABILITY.md, "Sandbox"), on a real dockerd.

Every probe prints a marker proving it really ran, and every assertion was
checked to fail with the matching hardening option removed. Network probes only
ever address loopback.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import threading
import time

import pytest
from docker.errors import NotFound

from tests.worker.sandbox_support import (  # noqa: F401  (fixtures)
    SANDBOX_KINDS, collect, container_gone, extra_workdir, host_processes_with, rss_mb, run,
    sandbox_of_kind, small, spec, wait_for_file, workdir,
)


@pytest.fixture(params=SANDBOX_KINDS)
def docker_sandbox(request, tmp_path):
    """Every promise here holds for a cold start and for a warm pool's container."""
    yield from sandbox_of_kind(request.param, tmp_path)
from worker.sandbox.base import ExitInfo
from worker.sandbox.docker import DockerSandbox


def test_host_files_are_invisible_and_only_workspace_is_writable(docker_sandbox, workdir,
                                                                  tmp_path):
    token = secrets.token_hex(8)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / f"host-{token}").write_text("host secret")
    (workdir / f"ws-{token}").write_text("visible")
    script = f"""
    echo PROBE_RAN
    find / -name '*-{token}' -not -path '/proc/*' 2>/dev/null | sed 's/^/FOUND:/'
    echo HOSTNAME:$(cat /etc/hostname)
    sed 's/^/MOUNT:/' /proc/self/mountinfo
    for d in / /usr /etc /var/tmp /run/lock /opt /workspace /tmp /home/runner; do
      touch "$d/probe-{token}" 2>/dev/null && echo "WRITABLE:$d"
    done
    touch /usr/probe 2>&1; touch /etc/probe 2>&1
    """
    result = run(docker_sandbox, workdir, script, limits=small())
    out = result.out
    assert "PROBE_RAN" in out, result.err
    found = {ln.removeprefix("FOUND:") for ln in out.splitlines() if ln.startswith("FOUND:")}
    assert found == {f"/workspace/ws-{token}"}  # the workspace file, nothing from the host
    assert f"HOSTNAME:{socket.gethostname()}" not in out
    assert f"HOSTNAME:{open('/etc/hostname').read().strip()}" not in out
    mounts = [_mount(line) for line in out.splitlines() if line.startswith("MOUNT:")]
    root = [m for m in mounts if m[0] == "/"]
    assert root and root[0][1].startswith("ro"), root
    # Every read-write mount backed by a disk (not tmpfs/proc/…) comes from the host:
    # only the working copy may be one of them.
    pseudo = {"proc", "tmpfs", "devpts", "mqueue", "sysfs", "cgroup", "cgroup2", "shm"}
    host_rw = {m[0] for m in mounts if m[1].startswith("rw") and m[2] not in pseudo}
    assert host_rw == {"/workspace"}
    writable = {line.removeprefix("WRITABLE:") for line in out.splitlines()
                if line.startswith("WRITABLE:")}
    assert writable == {"/workspace", "/tmp", "/home/runner"}
    assert out.count("Read-only file system") == 2  # /usr and /etc: the root, not permissions
    assert (workdir / f"probe-{token}").exists()  # the workspace write reached the host


def _mount(line: str) -> tuple[str, str, str]:
    """(mount point, mount options, filesystem type) of one /proc/self/mountinfo line."""
    left, _, right = line.removeprefix("MOUNT:").partition(" - ")
    fields = left.split()
    return fields[4], fields[5], right.split()[0]


def test_tmp_fill_stops_at_its_limit(docker_sandbox, workdir):
    script = """
    echo PROBE_RAN
    dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>&1
    echo SIZE_MB:$(( $(stat -c %s /tmp/fill) / 1048576 ))
    """
    result = run(docker_sandbox, workdir, script, limits=small(tmpfs_mb=16))
    assert "PROBE_RAN" in result.out, result.err
    assert "No space left on device" in result.out
    size = int(result.out.split("SIZE_MB:")[1].split()[0])
    assert 8 <= size <= 16


def _host_server():
    """A TCP server on the host's loopback that counts the connections it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, accepted


NET_PROBE = r"""
import socket
def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "OK"
    except OSError as exc:
        return f"FAIL:{exc.__class__.__name__}"
inside = socket.socket(); inside.bind(("127.0.0.1", 0)); inside.listen()
print("INSIDE", connect(inside.getsockname()[1]))
print("HOST", connect(HOST_PORT))
"""


def test_network_is_loopback_only_and_host_loopback_unreachable(docker_sandbox, workdir):
    server, accepted = _host_server()
    port = server.getsockname()[1]
    # The probe itself must work: from the test process it reaches the server.
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    deadline = time.monotonic() + 5
    while not accepted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(accepted) == 1  # and the server counts what it accepts
    script = f"""
    echo PROBE_RAN
    ip -o link | awk -F': ' '{{print "LINK:" $2}}'
    tail -n +3 /proc/net/dev | awk -F: '{{gsub(/ /, "", $1); print "DEV:" $1}}'
    tail -n +2 /proc/net/route | sed 's/^/ROUTE:/'
    python3 -c '{NET_PROBE.replace("HOST_PORT", str(port))}'
    """
    try:
        result = run(docker_sandbox, workdir, script, limits=small())
    finally:
        server.close()
    out = result.out
    assert "PROBE_RAN" in out, result.err
    lines = out.splitlines()
    assert {ln for ln in lines if ln.startswith("LINK:")} == {"LINK:lo"}
    assert {ln for ln in lines if ln.startswith("DEV:")} == {"DEV:lo"}
    assert not [ln for ln in lines if ln.startswith("ROUTE:")]
    assert "INSIDE OK" in out, result.err  # the probe can connect when there is something to reach
    assert "HOST FAIL:" in out
    assert len(accepted) == 1  # nothing from the container arrived


MEMORY_BOMB = r"""
import sys
chunks = []
for i in range(1, 1025):                 # bounded: 1 GiB, far past the 128 MB limit
    chunks.append(bytearray(1024 * 1024))  # zero-filled pages are really touched
    if i % 16 == 0:
        print("ALLOCATED_MB", i, flush=True)
print("SURVIVED", flush=True)
"""


NEIGHBOUR_MEMORY = """
echo READY
while [ ! -e /workspace/go ]; do sleep 0.05; done
python3 -c 'b = bytearray(64 * 1024 * 1024); print("NEIGHBOUR_ALLOCATED_MB", len(b) >> 20)'
"""


def test_memory_bomb_is_oom_killed(docker_sandbox, workdir, tmp_path):
    other = extra_workdir(tmp_path, "neighbour")
    neighbour = docker_sandbox.start(spec(other, NEIGHBOUR_MEMORY, task_id=2,
                                          limits=small(memory_mb=128)))
    try:
        chunks = neighbour.output()
        assert b"READY" in next(chunks).data  # the neighbour runs before and through the bomb
        before = rss_mb()
        result = run(docker_sandbox, workdir, f"python3 -c '{MEMORY_BOMB}'",
                     limits=small(memory_mb=128))
        grown = rss_mb() - before
        assert "ALLOCATED_MB 16" in result.out, result.err  # it really ran and allocated
        assert "SURVIVED" not in result.out
        assert result.exit.oom_killed is True
        assert result.exit.exit_code == 137
        assert container_gone(docker_sandbox, result.container_id)
        # The host side carries on: the neighbour task, alive all along, still gets
        # its own memory, and the worker process did not absorb the bomb.
        assert docker_sandbox.api.inspect_container(neighbour.id)["State"]["Running"] is True
        (other / "go").touch()
        out, err = collect(neighbour, chunks)
        assert b"NEIGHBOUR_ALLOCATED_MB 64" in out, err
        assert neighbour.wait() == ExitInfo(exit_code=0, oom_killed=False)
        assert grown < 32, f"the worker grew by {grown:.0f} MB while the bomb ran"
    finally:
        neighbour.remove()


FORK_BOMB = r"""
import os, subprocess, time
def pids(name):
    for d in ("/sys/fs/cgroup/pids/", "/sys/fs/cgroup/"):   # cgroup v1, v2
        try:
            return open(d + name).read().strip()
        except OSError:
            pass
    return "?"
procs = []
for i in range(500):                     # bounded; the limit must stop it first
    try:
        procs.append(subprocess.Popen(["sleep", "60"]))
    except OSError as exc:
        print("FORK_FAILED", exc.errno, flush=True)
        break
else:
    print("ALL_SPAWNED", flush=True)
print("COUNT", len(procs), flush=True)
print("PIDS", pids("pids.current"), pids("pids.max"), flush=True)
open("/workspace/holding", "w").close()  # the bomb now holds every pid it could get
deadline = time.time() + 60
while not os.path.exists("/workspace/release") and time.time() < deadline:
    time.sleep(0.05)
for p in procs:
    p.kill()
"""

NEIGHBOUR_FORKS = """
for i in $(seq 20); do sleep 30 & done
echo SPAWNED $(jobs -p | wc -l)
kill $(jobs -p)
"""


def test_fork_bomb_is_contained_by_pids_limit(docker_sandbox, workdir, tmp_path):
    handle = docker_sandbox.start(spec(workdir, f"python3 -c '{FORK_BOMB}'", limits=small(pids=64)))
    try:
        chunks = handle.output()
        wait_for_file(workdir / "holding")
        # While the bomb holds its whole pids budget, the host still forks...
        host = [subprocess.Popen(["sleep", "30"]) for _ in range(50)]
        for p in host:
            p.kill()
        assert [p.wait() for p in host] == [-9] * 50
        # ...and another task still starts and forks within its own limit.
        neighbour = run(docker_sandbox, extra_workdir(tmp_path, "neighbour"), NEIGHBOUR_FORKS,
                        limits=small(pids=64), task_id=2)
        assert "SPAWNED 20" in neighbour.out, neighbour.err
        assert neighbour.exit.exit_code == 0
        (workdir / "release").touch()
        out, err = collect(handle, chunks)
        assert handle.wait().exit_code == 0
    finally:
        handle.remove()
    out = out.decode()
    assert "COUNT" in out, err
    count = int(out.split("COUNT")[1].split()[0])
    assert "FORK_FAILED" in out
    assert "ALL_SPAWNED" not in out
    assert 0 < count <= 64
    current, limit = out.split("PIDS")[1].split()[:2]
    assert limit == "64" and int(current) >= 60, out  # the bomb really was at its limit
    assert container_gone(docker_sandbox, handle.id)


def test_secrets_of_the_host_do_not_reach_the_container(docker_sandbox, workdir, monkeypatch):
    canary = f"canary-{secrets.token_hex(8)}"
    monkeypatch.setenv("CLAWWEB_TEST_CANARY", canary)
    script = """
    echo PROBE_RAN
    env
    tr '\\0' '\\n' < /proc/1/environ
    test -e /var/run/docker.sock || test -e /run/docker.sock && echo DOCKER_SOCK
    ls -a ~/.ssh 2>/dev/null && echo SSH_DIR
    """
    result = run(docker_sandbox, workdir, script, limits=small(),
                 env={"TASK_VISIBLE": "given-by-spec"})
    out = result.out
    assert "PROBE_RAN" in out, result.err
    assert "TASK_VISIBLE=given-by-spec" in out  # env printing works
    assert canary not in out
    assert "CLAWWEB_TEST_CANARY" not in out
    assert "DOCKER_SOCK" not in out and "SSH_DIR" not in out


def test_background_process_does_not_survive(docker_sandbox, workdir):
    marker = f"clawweb-bg-{secrets.token_hex(6)}"
    script = f"""
    nohup bash -c 'exec -a {marker} sleep 1000' &
    echo STARTED
    read -r _
    exit 0
    """
    handle = docker_sandbox.start(spec(workdir, script, limits=small(), stdin=True))
    try:
        chunks = handle.output()
        first = next(chunks)
        assert b"STARTED" in first.data
        deadline = time.monotonic() + 10
        while not host_processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert host_processes_with(marker)  # it really runs, and ps can see it
        handle.write_stdin(b"go\n")
        handle.close_stdin()
        collect(handle, chunks)
        assert handle.wait().exit_code == 0
        assert not host_processes_with(marker)
    finally:
        handle.remove()
    assert not host_processes_with(marker)
    with pytest.raises(NotFound):
        docker_sandbox.api.inspect_container(handle.id)


def test_kill_stops_the_container(docker_sandbox, workdir):
    handle = docker_sandbox.start(spec(workdir, "echo READY; exec sleep infinity",
                                       limits=small()))
    try:
        chunks = handle.output()
        assert next(chunks).data == b"READY\n"
        handle.kill()
        handle.kill()  # safe twice
        assert collect(handle, chunks) == (b"", b"")
        assert handle.wait().exit_code == 137
        assert handle.wait().oom_killed is False
        assert docker_sandbox.api.inspect_container(handle.id)["State"]["Running"] is False
    finally:
        handle.remove()
    handle.remove()  # idempotent
    with pytest.raises(NotFound):
        docker_sandbox.api.inspect_container(handle.id)


def test_remove_orphans_removes_dead_workers_containers_only(docker_sandbox, workdir):
    instance = docker_sandbox.instance
    dead = DockerSandbox(image=docker_sandbox.image, worker_name="dead-worker",
                         instance=instance)
    live = DockerSandbox(image=docker_sandbox.image, worker_name="live-worker",
                         instance=instance)
    dead_handle = dead.start(spec(workdir, "exec sleep infinity", limits=small(), task_id=7))
    live_handle = live.start(spec(workdir, "exec sleep infinity", limits=small(), task_id=8))
    try:
        # The fixture's own worker is alive too (as a pool it keeps a warm container).
        alive = {"live-worker", docker_sandbox.worker_name}
        removed = live.remove_orphans(alive)
        assert removed == [dead_handle.name]
        with pytest.raises(NotFound):
            live.api.inspect_container(dead_handle.id)
        state = live.api.inspect_container(live_handle.id)["State"]
        assert state["Running"] is True
        assert live.remove_orphans(alive) == []
    finally:
        dead_handle.remove()
        live_handle.remove()
