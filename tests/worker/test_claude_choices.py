"""The real CLI runs with the prompt's model and mode; a plan it proposes is approved or sent back.

The scripted model calls ``ExitPlanMode`` as Claude does in plan mode; a person
(a thread here, through the service) answers the request.
"""

from __future__ import annotations

import re

from sqlmodel import select

from clawweb.models import Approval
from tests.fixtures.fake_anthropic import text, tool_use
from tests.worker.claude_support import answer_approvals, claude_env, docker_sandbox  # noqa: F401

PLAN_TEXT = "# Plan\n\n1. Write `out.txt`\n2. Stop\n"
# Claude Code 2.1 keeps the plan in a file it names in plan mode's reminder to
# the model; ExitPlanMode's own input is empty.
PLAN_PATH = re.compile(r"/home/runner/\.claude/plans/[A-Za-z0-9._-]+\.md")


def write_plan(req):
    """The model writes its plan where the CLI told it to."""
    return tool_use("Write", {"file_path": PLAN_PATH.search(req.text()).group(0),
                              "content": PLAN_TEXT})


def propose():
    return (write_plan, tool_use("ExitPlanMode", {}))
WRITE = {"file_path": "/workspace/out.txt", "content": "planned\n"}


def _asked(h) -> list[str]:
    return [a["tool"] for a in h.of("agent.approval")]


def test_the_cli_runs_with_the_tasks_model_and_mode(claude_env):
    h = claude_env
    h.settings(model="clawweb-test-default", allowed_models=["clawweb-test-chosen"],
               permission_mode="acceptEdits")
    h.api.push(tool_use("Write", WRITE), text("written"))
    answer_approvals(h, [("allow", "")])
    # The project would accept the edit unasked; the prompt chose "ask".
    result = h.run(h.task("write it", model="clawweb-test-chosen", permission_mode="default"))
    assert result.exit_code == 0, result.failure_reason
    assert {r.body.get("model") for r in h.api.main_requests} == {"clawweb-test-chosen"}
    assert _asked(h) == ["Write"]


def test_a_choice_the_owner_withdrew_is_not_used(claude_env):
    h = claude_env
    h.settings(permission_mode="default")
    result = h.run(h.task("write it", permission_mode="acceptEdits"))
    assert result.exit_code is None and "agent_tasks.mode_not_allowed" in result.failure_reason
    assert h.api.main_requests == []


def test_an_approved_plan_goes_on_in_accept_edits(claude_env):
    h = claude_env
    h.settings(permission_mode="acceptEdits")
    h.api.push(*propose(), tool_use("Write", WRITE), text("done"))
    answer_approvals(h, [("allow", "")])
    result = h.run(h.task("plan it", permission_mode="plan"))
    assert result.exit_code == 0, result.failure_reason
    (ask,) = h.of("agent.approval")
    assert ask["tool"] == "ExitPlanMode" and ask["input"]["plan"] == PLAN_TEXT
    # The edit after the plan ran unasked: the CLI left plan mode for accept edits.
    assert (h.workdir() / "out.txt").read_text() == "planned\n"


def test_an_approved_plan_in_an_ask_project_still_asks_for_each_tool(claude_env):
    h = claude_env
    h.settings(permission_mode="default")
    # A read-only command: the CLI's own allowance would run it unasked.
    ls = {"command": "ls /workspace", "description": "look"}
    h.api.push(*propose(), tool_use("Bash", ls), text("done"))
    answer_approvals(h, [("allow", ""), ("allow", "")])
    result = h.run(h.task("plan it", permission_mode="plan"))
    assert result.exit_code == 0, result.failure_reason
    assert _asked(h) == ["ExitPlanMode", "Bash"]


def test_keep_planning_sends_the_agent_back_with_the_message(claude_env):
    h = claude_env
    h.settings(permission_mode="acceptEdits")
    h.api.push(*propose(), tool_use("Write", WRITE), text("replanning"))
    # Still planning, the CLI asks before the edit the model tries next: refused too.
    answer_approvals(h, [("deny", "Cover the tests too"), ("deny", "")])
    result = h.run(h.task("plan it", permission_mode="plan"))
    assert result.exit_code == 0 and not result.interrupted, result.failure_reason
    assert "Cover the tests too" in h.api.main_requests[2].text()
    assert not (h.workdir() / "out.txt").exists()
    assert _asked(h) == ["ExitPlanMode", "Write"]
    h.session.expire_all()
    row = h.session.exec(select(Approval).order_by(Approval.id)).first()
    assert (row.tool_name, row.decision) == ("ExitPlanMode", "deny")
