"""The agent interface: turn a task into a process in the sandbox and its output into events.

Adapters (``shell.py``, ``claude.py``) are registered in ``ADAPTERS`` in
``worker/agents/__init__.py`` by the task's ``kind``. The job (worker/jobs.py)
prepares the workspace and an ``AgentContext``; the adapter runs to completion
and returns an ``AgentResult``; the job records it and commits the working copy.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawweb.models import Project, Task
from worker.sandbox.base import Limits, Sandbox


@dataclass
class AgentContext:
    task: Task
    project: Project
    sandbox: Sandbox
    workdir: Path                      # host path of the working copy (mounted at /workspace)
    limits: Limits
    worker_name: str
    # Append one event to the task's stream (batched and persisted by the job).
    emit: Callable[[str, dict[str, Any]], None]
    # Output bytes from the sandbox (stdout/stderr), capped and batched by the job.
    emit_output: Callable[[str, bytes], None]
    # True once a cancel was asked for or the task's timeout passed.
    should_stop: Callable[[], bool]
    # Called right before the command is handed to the sandbox: from then on
    # an infrastructure failure is not retried automatically, and the task's
    # timeout counts from this moment (preparation before it does not).
    mark_started: Callable[[], None]
    labels: dict[str, str] = field(default_factory=dict)
    # The task's attached files, working-copy-relative ("attachments/a.png").
    attachments: list[str] = field(default_factory=list)


@dataclass
class AgentResult:
    exit_code: int | None
    # "" when the exit code decides (0 succeeded, else failed); otherwise a
    # failure reason in words, e.g. "out of memory (memory limit 1024 MB)".
    failure_reason: str = ""
    oom_killed: bool = False
    # Agent runs report usage; shell leaves these empty.
    usage: dict[str, Any] = field(default_factory=dict)
    # The agent's own account of what it did (Claude's final result text), for
    # the commit message; shell leaves it empty.
    summary: str = ""
    # The user stopped the agent's turn (not a failure: a follow-up continues it).
    interrupted: bool = False


class Agent(abc.ABC):
    name: str = ""
    # The container paths of its spec's extra mounts, known before the working
    # copy exists: the job has the container made meanwhile (sandbox/early.py).
    # None: not known, the container starts when the agent asks for it.
    mount_targets: tuple[str, ...] | None = None

    @abc.abstractmethod
    def run(self, ctx: AgentContext) -> AgentResult:
        """Run to completion. Must return promptly once ``ctx.should_stop()`` is true."""
