"""The sandbox interface: run one command for one task, isolated, streaming.

Backends (``docker.py``, ``fake.py``) are chosen from ``BACKENDS`` in
``worker/sandbox/__init__.py``. The worker only talks to this interface.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class SandboxError(Exception):
    """The backend could not start or manage a sandbox (an infrastructure failure)."""


@dataclass
class Limits:
    memory_mb: int = 1024
    cpus: float = 1.0
    pids: int = 256
    tmpfs_mb: int = 256
    nofile: int = 4096


@dataclass
class SandboxSpec:
    task_id: int
    argv: list[str]                      # e.g. ["bash", "-lc", command]
    workdir: Path                        # host path of the task's working copy
    limits: Limits = field(default_factory=Limits)
    env: dict[str, str] = field(default_factory=dict)
    # Extra host paths mounted into the container, {host_path: container_path}.
    # Used for the egress bridge socket and agent session files; the working
    # copy is always mounted at /workspace.
    extra_mounts: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    stdin: bool = False                  # keep stdin open (agent protocols)


@dataclass
class Chunk:
    stream: str   # "stdout" | "stderr"
    data: bytes


@dataclass
class ExitInfo:
    exit_code: int
    oom_killed: bool = False


class SandboxHandle(abc.ABC):
    """A running sandbox. ``output()`` yields chunks until both streams close."""

    @abc.abstractmethod
    def output(self) -> Iterator[Chunk]: ...

    @abc.abstractmethod
    def wait(self) -> ExitInfo: ...

    @abc.abstractmethod
    def kill(self) -> None:
        """Stop it now (cancel, timeout). Safe to call more than once."""

    @abc.abstractmethod
    def remove(self) -> None:
        """Remove the container and anything it left. Safe to call more than once."""

    def write_stdin(self, data: bytes) -> None:  # pragma: no cover - agents only
        raise NotImplementedError

    def close_stdin(self) -> None:  # pragma: no cover - agents only
        raise NotImplementedError

    def signal(self, name: str) -> None:  # pragma: no cover - shell input only
        """Send signal ``name`` (e.g. "SIGINT") to the command's process group, in the box."""
        raise NotImplementedError


class Sandbox(abc.ABC):
    @abc.abstractmethod
    def start(self, spec: SandboxSpec) -> SandboxHandle: ...

    @abc.abstractmethod
    def remove_orphans(self, alive_worker_names: set[str]) -> list[str]:
        """Remove sandboxes whose worker is gone; returns what was removed."""
