"""Sandbox backends, chosen by name from ``BACKENDS`` (see ``base.py`` for the interface)."""

from __future__ import annotations

from typing import Any

from worker.sandbox.base import (  # noqa: F401  (re-exported for callers)
    Chunk, ExitInfo, Limits, Sandbox, SandboxError, SandboxHandle, SandboxSpec,
)
from worker.sandbox.docker import DockerSandbox
from worker.sandbox.fake import FakeRun, FakeSandbox  # noqa: F401

BACKENDS: dict[str, type[Sandbox]] = {"docker": DockerSandbox, "fake": FakeSandbox}


def get_sandbox(name: str = "docker", **kwargs: Any) -> Sandbox:
    """Build the backend called ``name``; ``kwargs`` go to its constructor.

    Raises:
        KeyError: no backend has that name.
    """
    try:
        backend = BACKENDS[name]
    except KeyError:
        raise KeyError(f"unknown sandbox backend {name!r}; have {sorted(BACKENDS)}") from None
    return backend(**kwargs)
