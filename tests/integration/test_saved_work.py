"""A task's own commits are never lost: real worker, real dockerd, real git, and for
Claude the real CLI against the scripted API. The agent commits inside the container
and leaves a clean tree; the branch still reaches the project's repository, counted
against the base. A run that publishes nothing says why."""

from __future__ import annotations

import pytest

from clawweb.models import TaskStatus
from clawweb.services import git
from clawweb.services.projects import service as projects
from tests.fixtures.fake_anthropic import text, tool_use
from tests.integration.test_claude_tasks import (  # noqa: F401 (fixtures)
    agent, api, ask, fleet, ok, show, world,
)
from tests.integration.test_task_engine import all_events, finished, submit

AGENT_COMMIT = "echo x > a.txt && git add -A && git commit -qm 'agent commit'"


def _system_keys(session, task_id) -> list[str]:
    return [e.data.get("key") for e in all_events(session, task_id) if e.type == "system"]


def _published(project, task):
    repo = projects.project_repo_path(project)
    assert git.resolve(repo, task.branch) == task.commit_sha, "the branch was not published"
    return git.recent_commits(repo, task.branch)


@pytest.mark.parametrize("kind", ["shell", "claude"])
def test_an_agent_made_commit_with_a_clean_tree_is_published(session, fleet, world, api,
                                                             kind):
    alice, project = world
    fleet.start(1)
    if kind == "shell":
        task = submit(session, alice, project, AGENT_COMMIT)
    else:
        agent(session, project, allowed_tools=["Bash"])   # pre-approved, no prompt
        api.push(tool_use("Bash", {"command": AGENT_COMMIT, "description": "commit"}),
                 text("Committed a.txt."))
        task = ask(session, alice, project, "Add a.txt and commit it")
    done = ok(finished(session, task.id))
    commits = _published(project, done)
    assert commits[0]["subject"] == "agent commit"      # the agent's, nothing on top
    assert (done.files_changed, done.insertions, done.deletions) == (1, 1, 0)
    assert show(project, f"{done.branch}:a.txt") == "x\n"
    assert "workspace.nothing_changed" not in _system_keys(session, done.id)


def test_a_shell_task_that_changes_nothing_says_so(session, fleet, world):
    alice, project = world
    fleet.start(1)
    done = ok(finished(session, submit(session, alice, project, "echo looked around").id))
    assert done.commit_sha == "" and done.files_changed == 0
    assert not git.branch_exists(projects.project_repo_path(project), done.branch)
    assert _system_keys(session, done.id) == ["workspace.nothing_changed"]


def test_commits_and_leftovers_together_count_against_the_base(session, fleet, world):
    alice, project = world
    fleet.start(1)
    cmd = f"{AGENT_COMMIT} && printf '1\\n2\\n' > b.txt"
    done = ok(finished(session, submit(session, alice, project, cmd).id))
    commits = _published(project, done)
    assert [c["subject"] for c in commits[:2]][1] == "agent commit"
    assert (done.files_changed, done.insertions) == (2, 3)
    assert done.status == TaskStatus.succeeded
