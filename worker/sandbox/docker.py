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

import docker
from docker.errors import DockerException
from docker.types import Mount, Ulimit

from worker.sandbox.base import Sandbox, SandboxError, SandboxSpec
from worker.sandbox.docker_calls import DOCKER_ERRORS, force_remove, infrastructure
from worker.sandbox.docker_handle import DockerHandle

LABEL = "clawweb"
LABEL_TASK = "clawweb.task"
LABEL_WORKER = "clawweb.worker"
HOME = "/home/runner"
WORKSPACE = "/workspace"
RUNNER_UID = "1000:1000"
# Read by the container's init (tini, from --init) at its start: it then sends a
# signal it is given (Ctrl-C from the task page) to the command's whole process
# group, not only to its first process. Without it `bash -c "sleep 60; ..."`
# gets SIGINT while its sleep, which bash waits for, never does.
INIT_ENV = {"TINI_KILL_PROCESS_GROUP": "1"}


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
        with infrastructure("cannot create the sandbox container"):
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
        except (*DOCKER_ERRORS, OSError) as exc:
            if sock is not None:
                sock.close()
            with infrastructure("cannot remove a sandbox that failed to start"):
                force_remove(self.api, cid)
            raise SandboxError(f"cannot start the sandbox container: {exc}") from exc
        return DockerHandle(self.api, cid, name, sock)

    def remove_orphans(self, alive_worker_names: set[str]) -> list[str]:
        removed = []
        with infrastructure("cannot remove orphaned sandboxes"):
            ours = self.api.containers(all=True, filters={"label": f"{LABEL}={self.instance}"})
            for c in ours:
                if (c.get("Labels") or {}).get(LABEL_WORKER) in alive_worker_names:
                    continue
                force_remove(self.api, c["Id"])
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
