"""Helpers for tests that run the real Docker sandbox on the real runner image."""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from docker.errors import NotFound

from tests.support.services import need_docker
from worker.sandbox.base import Chunk, ExitInfo, Limits, SandboxHandle, SandboxSpec
from worker.sandbox.docker import DockerSandbox

IMAGE = "clawweb-runner"
# Guards against a hung container hanging the suite; not a timing assertion.
HANG_GUARD_SECONDS = 60


@dataclass
class Result:
    stdout: bytes
    stderr: bytes
    exit: ExitInfo
    container_id: str = ""

    @property
    def out(self) -> str:
        return self.stdout.decode(errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode(errors="replace")


def make_workdir(tmp_path: Path) -> Path:
    # The worker's working copies belong to uid 1000 (the container's user);
    # tests may run as root, so hand the directory over the same way.
    workdir = tmp_path / "ws"
    workdir.mkdir()
    workdir.chmod(0o777)
    return workdir


@pytest.fixture
def docker_sandbox():
    """A DockerSandbox whose containers carry a label value unique to this test."""
    need_docker(IMAGE)
    sandbox = DockerSandbox(image=IMAGE, worker_name=f"test-{secrets.token_hex(4)}",
                            instance=f"test-{secrets.token_hex(6)}")
    yield sandbox
    # Only this test's containers: other test runs may share the dockerd.
    sandbox.remove_orphans(set())


SANDBOX_KINDS = ["cold", "warm-pool"]


def sandbox_of_kind(kind: str, tmp_path: Path) -> Iterator[DockerSandbox]:
    """A cold ``DockerSandbox`` or a warm pool (one container of ``small()`` limits
    kept ready, others started just in time the pool's way), for suites that
    must hold for both."""
    need_docker(IMAGE)
    ids = {"worker_name": f"test-{secrets.token_hex(4)}",
           "instance": f"test-{secrets.token_hex(6)}"}
    if kind == "cold":
        sandbox = DockerSandbox(image=IMAGE, **ids)
    else:
        from worker.sandbox.pool import PooledDockerSandbox

        sandbox = PooledDockerSandbox(size=1, slots_dir=tmp_path / "pool-slots",
                                      shape=small(), image=IMAGE, **ids)
    yield sandbox
    sandbox.remove_orphans(set())  # only this test's containers (and the pool's)


@pytest.fixture
def workdir(tmp_path) -> Path:
    return make_workdir(tmp_path)


def spec(workdir: Path, script: str, **kwargs) -> SandboxSpec:
    return SandboxSpec(task_id=kwargs.pop("task_id", 1), argv=["bash", "-c", script],
                       workdir=workdir, **kwargs)


def collect(handle: SandboxHandle, chunks: Iterator[Chunk] | None = None
            ) -> tuple[bytes, bytes]:
    """Drain output (or the rest of ``chunks``) on a thread, so that a hung
    container fails the test instead of hanging the suite."""
    parts: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    chunks = handle.output() if chunks is None else chunks

    def drain():
        for chunk in chunks:
            parts[chunk.stream].append(chunk.data)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_SECONDS)
    if thread.is_alive():
        handle.remove()
        pytest.fail(f"sandbox output did not end within {HANG_GUARD_SECONDS}s")
    return b"".join(parts["stdout"]), b"".join(parts["stderr"])


def run(sandbox: DockerSandbox, workdir: Path, script: str, **kwargs) -> Result:
    """Run ``bash -c script`` to completion and remove the container."""
    handle = sandbox.start(spec(workdir, script, **kwargs))
    try:
        stdout, stderr = collect(handle)
        return Result(stdout, stderr, handle.wait(), handle.id)
    finally:
        handle.remove()


def container_gone(sandbox: DockerSandbox, container_id: str) -> bool:
    """True when dockerd no longer knows the container (removed, not just stopped)."""
    try:
        sandbox.api.inspect_container(container_id)
    except NotFound:
        return True
    return False


def wait_for_file(path: Path, timeout: float = HANG_GUARD_SECONDS) -> None:
    """Block until a container created ``path`` in its working copy (or fail the test)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} did not appear within {timeout}s")
        time.sleep(0.05)


def rss_mb() -> float:
    """This process's resident memory (the worker side of a sandbox run)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def small(**kwargs) -> Limits:
    return Limits(**{"memory_mb": 256, "pids": 64, "tmpfs_mb": 16, **kwargs})


def extra_workdir(tmp_path: Path, name: str) -> Path:
    """Another working copy next to the ``workdir`` fixture's (for a second task)."""
    (tmp_path / name).mkdir()
    return make_workdir(tmp_path / name)


def host_processes_with(marker: str) -> list[str]:
    """Host processes whose command line carries ``marker`` (containers' included)."""
    args = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in args.splitlines() if marker in line]


def collect_later(handle):
    """Drain a handle's output on a thread now; the returned call waits for the result."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(r=collect(handle)), daemon=True)
    thread.start()

    def result():
        thread.join(HANG_GUARD_SECONDS + 5)
        return box["r"]
    return result


def assert_sigint_ends_the_group(sandbox: DockerSandbox, workdir: Path) -> None:
    """Ctrl-C's SIGINT ends bash *and* the sleep it waits for (the process group)."""
    handle = sandbox.start(spec(workdir, "echo ready; sleep 60; echo after", limits=small(),
                                stdin=True))
    try:
        chunks = handle.output()
        assert next(chunks).data == b"ready\n"
        handle.signal("SIGINT")
        assert collect(handle, chunks) == (b"", b"")
        assert handle.wait().exit_code == 130
    finally:
        handle.remove()
