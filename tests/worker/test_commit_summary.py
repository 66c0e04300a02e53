"""A run's own account of what it did reaches the task's auto-commit: ``run_task``
hands the adapter's ``AgentResult.summary`` (Claude's final result text) to
``workspace.finish``, whose message carries it next to the prompt."""

from __future__ import annotations

import subprocess

import pytest

from clawweb.services.projects import service as projects
from worker import jobs
from worker.agents import Agent, AgentResult
from tests.worker.test_jobs import reload, sandbox, submit, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SUMMARY = "I added a greeting to README.md and nothing else."


class SummarisingAgent(Agent):
    """Stands in for the Claude adapter: changes a file, reports a summary."""

    name = "summarising"

    def run(self, ctx) -> AgentResult:
        ctx.mark_started()
        (ctx.workdir / "README.md").write_text("hello\n")
        return AgentResult(exit_code=0, summary=SUMMARY)


def test_the_agents_summary_is_in_the_auto_commit_message(session, world, monkeypatch):
    alice, project = world
    monkeypatch.setitem(jobs.ADAPTERS, "shell", SummarisingAgent)
    task = submit(session, alice, project, command="Add a greeting to the readme")
    assert jobs.run_task(task.id) == "succeeded"
    done = reload(session, task)
    message = subprocess.run(
        ["git", "--git-dir", str(projects.project_repo_path(project)), "log", "-1",
         "--format=%B", done.commit_sha], capture_output=True, text=True, check=True).stdout
    assert message.startswith("Add a greeting to the readme\n")
    assert SUMMARY in message and f"Clawweb-Task: {task.id}" in message
