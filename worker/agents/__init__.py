"""Agent adapters by task kind (see ``base.py``): ``ADAPTERS[task.kind]()``."""

from __future__ import annotations

from worker.agents.base import Agent, AgentContext, AgentResult  # noqa: F401
from worker.agents.claude import ClaudeAgent
from worker.agents.shell import ShellAgent

ADAPTERS: dict[str, type[Agent]] = {"shell": ShellAgent, "claude": ClaudeAgent}
