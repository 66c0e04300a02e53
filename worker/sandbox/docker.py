"""Docker backend: one hardened container per task, output streamed from an attach socket.

The container baseline is the one in RELIABILITY.md (non-root, no capabilities,
no-new-privileges, default seccomp, read-only root, size-limited tmpfs, no
network, memory == memory+swap, CPU/pids/nofile limits, ``--init``, labelled).
Loosen an option only with a written reason next to it.
"""

from __future__ import annotations

import os
import secrets
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import docker
import requests
from docker.errors import APIError, DockerException, NotFound
from docker.types import Mount, Ulimit

from worker.sandbox.base import (
    Chunk, ExitInfo, Sandbox, SandboxError, SandboxHandle, SandboxSpec,
)

LABEL = "clawweb"
LABEL_TASK = "clawweb.task"
LABEL_WORKER = "clawweb.worker"
HOME = "/home/runner"
WORKSPACE = "/workspace"
RUNNER_UID = "1000:1000"
# One recv() never returns more than this, so a 100 MB line without a newline
# still reaches the caller as bounded chunks, while big reads keep the
# per-chunk Python overhead low for floods of short lines.
READ_SIZE = 256 * 1024
_STREAMS = {0: "stdout", 1: "stdout", 2: "stderr"}
_HEADER = struct.Struct(">BxxxL")
SIGKILL_EXIT = 128 + 9
# Read by the container's init (tini, from --init) at its start: it then sends a
# signal it is given (Ctrl-C from the task page) to the command's whole process
# group, not only to its first process. Without it `bash -c "sleep 60; ..."`
# gets SIGINT while its sleep, which bash waits for, never does.
INIT_ENV = {"TINI_KILL_PROCESS_GROUP": "1"}
# What a dead or refusing dockerd raises through docker-py.
_DOCKER_ERRORS = (DockerException, requests.RequestException)


@contextmanager
def _infrastructure(what: str):
    """Turn Docker client failures into SandboxError, the engine's "retry me" signal."""
    try:
        yield
    except _DOCKER_ERRORS as exc:
        raise SandboxError(f"{what}: {exc}") from exc


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class DockerSandbox(Sandbox):
    """Starts task containers on the local dockerd (``DOCKER_HOST`` is honoured).

    Args:
        image: runner image; defaults to ``settings.runner_image``.
        worker_name: written to the ``clawweb.worker`` label so ``remove_orphans``
            of another worker can tell whose container it is.
        instance: value of the ``clawweb`` label. Installations (or test runs)
            sharing one dockerd use different values so that ``remove_orphans``
            never touches the other's containers.
        client: a ``docker.APIClient`` (tests); created lazily otherwise.
    """

    def __init__(self, *, image: str | None = None, worker_name: str | None = None,
                 instance: str = "1", client: docker.APIClient | None = None):
        if image is None:
            from clawweb.settings import get_settings
            image = get_settings().runner_image
        self.image = image
        self.worker_name = worker_name or default_worker_name()
        self.instance = instance
        self._client = client

    @property
    def api(self) -> docker.APIClient:
        if self._client is None:
            try:
                self._client = docker.from_env(timeout=60).api
            except DockerException as exc:
                raise SandboxError(f"cannot reach dockerd: {exc}") from exc
        return self._client

    def start(self, spec: SandboxSpec) -> DockerHandle:
        name = f"clawweb-task-{spec.task_id}-{secrets.token_hex(4)}"
        with _infrastructure("cannot create the sandbox container"):
            cid = self.api.create_container(
                self.image, spec.argv, name=name, user=RUNNER_UID,
                working_dir=WORKSPACE, environment={**spec.env, **INIT_ENV},
                labels=self._labels(spec), hostname="sandbox",
                # stdin_open implies StdinOnce (docker-py sets it when not
                # detached): closing our side of stdin closes the container's.
                stdin_open=spec.stdin, tty=False, network_disabled=True,
                # The client's proxy settings are host configuration, not the task's.
                use_config_proxy=False, host_config=self._host_config(spec),
            )["Id"]
        sock = None
        try:
            # Attach before start: whatever the command prints first is not lost.
            sock = self._attach(cid, spec.stdin)
            self.api.start(cid)
        except (*_DOCKER_ERRORS, OSError) as exc:
            if sock is not None:
                sock.close()
            with _infrastructure("cannot remove a sandbox that failed to start"):
                _force_remove(self.api, cid)
            raise SandboxError(f"cannot start the sandbox container: {exc}") from exc
        return DockerHandle(self.api, cid, name, sock)

    def remove_orphans(self, alive_worker_names: set[str]) -> list[str]:
        removed = []
        with _infrastructure("cannot remove orphaned sandboxes"):
            ours = self.api.containers(all=True, filters={"label": f"{LABEL}={self.instance}"})
            for c in ours:
                if (c.get("Labels") or {}).get(LABEL_WORKER) in alive_worker_names:
                    continue
                _force_remove(self.api, c["Id"])
                removed.append(c["Names"][0].lstrip("/") if c.get("Names") else c["Id"])
        return removed

    def _labels(self, spec: SandboxSpec) -> dict[str, str]:
        labels = {LABEL_WORKER: self.worker_name, **spec.labels}
        labels.update({LABEL: self.instance, LABEL_TASK: str(spec.task_id)})
        return labels

    def _host_config(self, spec: SandboxSpec) -> dict:
        lim = spec.limits
        # Mounts, not Binds: a missing host path is an error instead of an
        # empty root-owned directory that dockerd quietly creates on the host.
        mounts = [Mount(WORKSPACE, str(spec.workdir), type="bind")]
        mounts += [Mount(target, str(source), type="bind")
                   for source, target in spec.extra_mounts.items()]
        # Tools need a writable /tmp and $HOME on a read-only root; both are
        # tmpfs (counted against the memory limit), exec allowed because build
        # tools run what they unpack there, nosuid/nodev because nothing should.
        tmpfs_opts = f"rw,exec,nosuid,nodev,size={lim.tmpfs_mb}m"
        return self.api.create_host_config(
            mounts=mounts,
            tmpfs={"/tmp": f"{tmpfs_opts},mode=1777",
                   HOME: f"{tmpfs_opts},uid=1000,gid=1000,mode=0700"},
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],  # default seccomp stays on
            network_mode="none",
            mem_limit=f"{lim.memory_mb}m",
            memswap_limit=f"{lim.memory_mb}m",  # no swap: a bomb hits the limit
            nano_cpus=int(lim.cpus * 1e9),
            pids_limit=lim.pids,
            ulimits=[Ulimit(name="nofile", soft=lim.nofile, hard=lim.nofile)],
            shm_size="64m",
            init=True,  # reaps zombies; its exit takes every process down
            oom_score_adj=500,  # under host memory pressure, the task dies first
            # Output goes through the attach socket; dockerd keeps no log copy.
            log_config={"type": "none", "config": {}},
        )

    def _attach(self, cid: str, stdin: bool) -> socket.socket:
        params = {"stdout": 1, "stderr": 1, "stream": 1, "stdin": int(stdin)}
        sock = self.api.attach_socket(cid, params=params)
        sock = getattr(sock, "_sock", sock)  # SocketIO -> socket, for shutdown()
        sock.settimeout(None)  # a quiet task must not look like a dead daemon
        return sock


class DockerHandle(SandboxHandle):
    """A started container; ``output()`` demultiplexes the attach stream."""

    def __init__(self, api: docker.APIClient, cid: str, name: str, sock: socket.socket):
        self.api = api
        self.id = cid
        self.name = name
        self._sock = sock
        self._exit: ExitInfo | None = None
        self._killed = False
        self._lock = threading.Lock()

    def output(self) -> Iterator[Chunk]:
        try:
            yield from demux(self._recv)
        finally:
            self._close_socket()

    def _recv(self, n: int) -> bytes:
        try:
            return self._sock.recv(n)
        except OSError:  # closed under us by kill()/remove(): end of output
            return b""

    def wait(self) -> ExitInfo:
        if self._exit is None:
            with _infrastructure(f"cannot wait for sandbox {self.name}"):
                code = self.api.wait(self.id, timeout=None)["StatusCode"]
                state = self.api.inspect_container(self.id)["State"]
            self._exit = ExitInfo(exit_code=code, oom_killed=self._oom(code, state))
        return self._exit

    def _oom(self, code: int, state: dict) -> bool:
        if state.get("OOMKilled"):
            return True
        # With --init the kernel may kill the child rather than PID 1; docker
        # then still sees the cgroup's OOM event, but fall back to the event log
        # in case a daemon version only flags a killed PID 1.
        if code != SIGKILL_EXIT or self._killed:
            return False
        return self._had_oom_event(state)

    def _had_oom_event(self, state: dict) -> bool:
        try:
            since = _parse_time(state.get("StartedAt"))
            # The API counts whole seconds: a second more catches an OOM in
            # this very second (at the price of waiting for it, rarely).
            until = datetime.now(timezone.utc) + timedelta(seconds=1)
            events = self.api.events(
                since=since, until=until, decode=True,
                filters={"container": self.id, "event": "oom"})
            return any(True for _ in events)
        except (*_DOCKER_ERRORS, ValueError):
            return False

    def kill(self) -> None:
        self._killed = True
        with _infrastructure(f"cannot kill sandbox {self.name}"):
            try:
                self.api.kill(self.id)
            except NotFound:
                pass
            except APIError as exc:
                if exc.status_code != 409:  # 409: not running any more, nothing to do
                    raise

    def remove(self) -> None:
        self._close_socket()
        with _infrastructure(f"cannot remove sandbox {self.name}"):
            _force_remove(self.api, self.id)

    def write_stdin(self, data: bytes) -> None:
        self._sock.sendall(data)

    def signal(self, name: str) -> None:
        # Through dockerd to the container's init, which passes it to the
        # command's process group (INIT_ENV): nothing on the host is signalled.
        with _infrastructure(f"cannot signal sandbox {self.name}"):
            try:
                self.api.kill(self.id, signal=name)
            except NotFound:
                pass
            except APIError as exc:
                if exc.status_code != 409:  # 409: not running any more
                    raise

    def close_stdin(self) -> None:
        # Half-close: with stdin_once the daemon closes the container's stdin
        # and keeps streaming its output back.
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _close_socket(self) -> None:
        with self._lock:
            if self._sock.fileno() == -1:
                return
            try:
                self._sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv()
            except OSError:
                pass
            self._sock.close()


def demux(recv) -> Iterator[Chunk]:
    """Split Docker's multiplexed attach stream into stdout/stderr chunks.

    Each frame is an 8-byte header (stream id, 3 zero bytes, big-endian length)
    then the payload. Payloads are passed on as soon as they arrive, even mid
    frame, so latency stays low and no chunk exceeds ``READ_SIZE``; consecutive
    pieces of the same stream within one read are joined to cut per-chunk cost.
    """
    header = b""
    stream, remaining = "stdout", 0
    while data := recv(READ_SIZE):
        view, pos, end = memoryview(data), 0, len(data)
        pieces: list[tuple[str, list[bytes]]] = []
        while pos < end:
            if remaining == 0:
                take = min(8 - len(header), end - pos)
                header += data[pos:pos + take]
                pos += take
                if len(header) == 8:
                    sid, remaining = _HEADER.unpack(header)
                    stream, header = _STREAMS.get(sid, "stdout"), b""
                continue
            take = min(remaining, end - pos)
            piece = bytes(view[pos:pos + take])
            pos += take
            remaining -= take
            if pieces and pieces[-1][0] == stream:
                pieces[-1][1].append(piece)
            else:
                pieces.append((stream, [piece]))
        for name, parts in pieces:
            yield Chunk(name, parts[0] if len(parts) == 1 else b"".join(parts))


def _force_remove(api: docker.APIClient, cid: str) -> None:
    try:
        api.remove_container(cid, force=True, v=True)
    except NotFound:
        pass
    except APIError as exc:
        if exc.status_code != 409:  # 409: a removal is already in progress
            raise


def _parse_time(value: str | None) -> datetime:
    if not value:
        raise ValueError("no start time")
    # Docker gives nanoseconds; datetime takes microseconds.
    head, _, frac = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")
