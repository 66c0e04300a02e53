"""Approvals end to end: the real CLI asks, a person (a thread here) answers through the service."""

from __future__ import annotations

from sqlmodel import select

from clawweb.models import AgentSettings, Approval
from tests.fixtures.fake_anthropic import text, tool_use
from tests.worker.claude_support import answer_approvals, claude_env, docker_sandbox  # noqa: F401

# No shell redirection: Claude Code never matches an exact rule to a command
# with a redirect, so "always allow" could not cover it.
CMD = {"command": "touch /workspace/out.txt", "description": "write"}


def _approvals(h):
    h.session.expire_all()
    return h.session.exec(select(Approval).order_by(Approval.id)).all()


def test_allowed_once(claude_env):
    h = claude_env
    h.api.push(tool_use("Bash", CMD), text("ok"))
    answer_approvals(h, [("allow", "")])
    result = h.run(h.task("write it"))
    assert result.exit_code == 0, result.failure_reason
    assert (h.workdir() / "out.txt").exists()
    (ask,) = h.of("agent.approval")
    assert ask["tool"] == "Bash" and ask["input"]["command"] == CMD["command"]
    assert [a["decision"] for a in h.of("agent.approval_answer")] == ["allow"]
    statuses = [d["status"] for d in h.of("status")]
    assert statuses == ["awaiting_approval", "running"]
    (row,) = _approvals(h)
    assert row.decision == "allow" and row.decided_by == h.user.id


def test_denied_with_message_reaches_the_model(claude_env):
    h = claude_env
    h.api.push(tool_use("Bash", CMD), text("understood"))
    answer_approvals(h, [("deny", "Please use the Makefile target instead")])
    result = h.run(h.task("write it"))
    assert result.exit_code == 0, result.failure_reason
    assert not (h.workdir() / "out.txt").exists()
    follow = h.api.main_requests[1].text()
    assert "Please use the Makefile target instead" in follow


def test_timeout_counts_as_deny_and_agent_is_told(claude_env):
    h = claude_env
    h.settings(approval_timeout_seconds=2)
    h.api.push(tool_use("Bash", CMD), text("ok, skipped"))
    result = h.run(h.task("write it"))
    assert result.exit_code == 0, result.failure_reason
    assert not (h.workdir() / "out.txt").exists()
    (row,) = _approvals(h)
    assert row.decision == "expired"
    assert "timed out" in h.api.main_requests[1].text()


def test_always_allow_adds_rule_and_skips_next_prompt(claude_env):
    h = claude_env
    h.api.push(tool_use("Bash", CMD), tool_use("Bash", CMD), text("twice"))
    answer_approvals(h, [("allow_always", "")])
    result = h.run(h.task("write it twice"))
    assert result.exit_code == 0, result.failure_reason
    assert len(h.of("agent.approval")) == 1  # the second identical call was not asked
    assert len(_approvals(h)) == 1
    h.session.expire_all()
    rules = h.session.get(AgentSettings, h.project.id).allowed_tools
    assert rules == [f"Bash({CMD['command']})"]
    # A later task of the project starts with the rule: no prompt at all.
    h.events.clear()
    h.api.push(tool_use("Bash", CMD), text("again"))
    result = h.run(h.task("once more"))
    assert result.exit_code == 0 and h.of("agent.approval") == []
