"""Approvals end to end: the real CLI asks, a person (a thread here) answers through the service."""

from __future__ import annotations

import json
import threading
import time

import anyio
import pytest
from claude_agent_sdk import PermissionResultAllow, ToolPermissionContext
from sqlmodel import Session, select

from clawweb import db, streams
from clawweb.models import AgentSettings, Approval, TaskStatus, User
from clawweb.services import approvals
from tests.fixtures.fake_anthropic import text, tool_use
from tests.services.agent_fixtures import make_project, make_task, make_user
from tests.worker.claude_support import answer_approvals, claude_env, docker_sandbox  # noqa: F401
from worker.agents import claude_approvals

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


def _write(path: str, content: str) -> dict:
    return {"file_path": path, "content": content}


def test_always_allow_on_a_file_covers_that_file_only_in_the_cli(claude_env):
    """The stored rule, handed to the real CLI, is as narrow there as in our matcher."""
    h = claude_env
    h.api.push(tool_use("Write", _write("/workspace/a.txt", "v1")),
               tool_use("Read", {"file_path": "/workspace/a.txt"}),
               tool_use("Write", _write("/workspace/a.txt", "v2")),  # covered: not asked
               tool_use("Write", _write("/workspace/sub/a.txt", "s")),  # same name, other dir
               tool_use("Write", _write("/workspace/b.txt", "b")),
               text("done"))
    # In "ask" mode the Read is asked too (no read-only allowance unless the project sets it).
    answer_approvals(h, [("allow_always", ""), ("allow", ""), ("allow", ""), ("allow", "")])
    result = h.run(h.task("write files"))
    assert result.exit_code == 0, result.failure_reason
    asked = [(a["tool"], a["input"]["file_path"]) for a in h.of("agent.approval")]
    assert asked == [("Write", "/workspace/a.txt"), ("Read", "/workspace/a.txt"),
                     ("Write", "/workspace/sub/a.txt"), ("Write", "/workspace/b.txt")]
    assert (h.workdir() / "a.txt").read_text() == "v2"  # the covered call really ran
    h.session.expire_all()
    rules = h.session.get(AgentSettings, h.project.id).allowed_tools
    assert rules == ["Edit(//workspace/a.txt)"]


@pytest.mark.filterwarnings("ignore::UserWarning")  # the SDK notes that "Bash" shadows the callback
def test_owner_blanket_rule_still_covers_a_chained_command(claude_env):
    """A blanket rule the owner typed in the settings keeps working as set."""
    h = claude_env
    h.settings(allowed_tools=["Bash"])
    cmd = {"command": "touch /workspace/x && touch /workspace/y", "description": "two"}
    h.api.push(tool_use("Bash", cmd), text("ok"))
    result = h.run(h.task("touch"))
    assert result.exit_code == 0, result.failure_reason
    assert h.of("agent.approval") == []
    assert (h.workdir() / "x").exists() and (h.workdir() / "y").exists()


# The adapter on its own (no CLI): what it hands back for the CLI to apply.

@pytest.fixture
def adapter(engine, fake_redis):
    with Session(engine, expire_on_commit=False) as s:
        owner = make_user(s, "owner")
        project = make_project(s, owner)
        task = make_task(s, project, owner, status=TaskStatus.running)
    events: list[tuple[str, dict]] = []
    can_use_tool = claude_approvals.make_can_use_tool(
        task_id=task.id, project_id=project.id, timeout_seconds=30,
        emit=lambda t, d: events.append((t, d)), should_stop=lambda: False)
    return dict(owner=owner, project=project, can_use_tool=can_use_tool, events=events,
                redis=fake_redis)


def _answer_next(answer):
    """A thread that answers the next pending request through ``answer(session, row)``."""
    def loop():
        deadline = time.time() + 20
        while time.time() < deadline:
            with Session(db.get_engine()) as s:
                pending = s.exec(select(Approval).where(Approval.decision == "")).all()
                if pending:
                    answer(s, pending[0])
                    return
            time.sleep(0.05)
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def _decide(decision):
    def answer(s, row):
        user = s.get(User, row.requested_by)
        approvals.decide(session=s, user=user, approval_id=row.id, decision=decision)
    return answer


def _ask(adapter, tool, tool_input, answer):
    thread = _answer_next(answer)
    result = anyio.run(adapter["can_use_tool"], tool, tool_input,
                       ToolPermissionContext(tool_use_id=f"toolu_{time.time_ns()}"))
    thread.join(5)
    return result


@pytest.mark.parametrize("tool,tool_input,content", [
    ("Write", _write("/workspace/src/a.py", "x"), ("Edit", "//workspace/src/a.py")),
    ("Bash", {"command": "npm test"}, ("Bash", "npm test")),
    ("WebFetch", {"url": "https://pypi.org/simple/", "prompt": "p"},
     ("WebFetch", "domain:pypi.org")),
])
def test_adapter_hands_the_cli_the_rule_it_stored(adapter, engine, tool, tool_input, content):
    result = _ask(adapter, tool, tool_input, _decide("allow_always"))
    assert isinstance(result, PermissionResultAllow)
    (update,) = result.updated_permissions
    assert update.to_dict() == {"type": "addRules", "behavior": "allow", "destination": "session",
                                "rules": [{"toolName": content[0], "ruleContent": content[1]}]}
    with Session(engine) as s:
        stored = s.get(AgentSettings, adapter["project"].id).allowed_tools
    assert stored == [f"{content[0]}({content[1]})"]
    # Our own matcher now allows this very call, as the CLI will.
    assert claude_approvals._project_allows(adapter["project"].id, tool, tool_input)


def test_adapter_matcher_agrees_with_the_narrow_rule(adapter):
    pid = adapter["project"].id
    _ask(adapter, "Edit", {"file_path": "/workspace/a.py"}, _decide("allow_always"))
    assert claude_approvals._project_allows(pid, "Write", _write("/workspace/a.py", ""))
    assert not claude_approvals._project_allows(pid, "Edit", {"file_path": "/workspace/sub/a.py"})
    assert not claude_approvals._project_allows(pid, "Bash", {"command": "cat /workspace/a.py"})


def test_adapter_never_hands_the_cli_a_rule_wider_than_the_call(adapter):
    """Even an answer that names a blanket rule (a bug or a forged Redis entry) adds none."""
    def forged(s, row):
        _decide("allow")(s, row)  # the person allowed it once
        key = streams.approval_answer_key(row.id)
        adapter["redis"].rpush(key, json.dumps({"decision": "allow_always", "message": "",
                                                "rule": "Bash"}))
    result = _ask(adapter, "Bash", {"command": "make && make install"}, forged)
    assert isinstance(result, PermissionResultAllow)  # allowed this once, as answered
    assert not result.updated_permissions


def test_interrupt_while_a_request_waits_withdraws_it_and_ends_the_turn(claude_env):
    """The waiting request is closed (withdrawn, with why) and the turn ends well before expiry."""
    from clawweb import redis_conn
    from clawweb.i18n import stored

    h = claude_env
    h.api.push(tool_use("Bash", CMD), text("never reached"))
    task = h.task("write it")

    def interrupt_when_asked():
        deadline = time.time() + 60
        while time.time() < deadline and not _approvals(h):
            time.sleep(0.1)
        redis_conn.get_redis().set(streams.task_interrupt_key(task.id), 1)

    threading.Thread(target=interrupt_when_asked, daemon=True).start()
    started = time.monotonic()
    result = h.run(task)
    assert result.interrupted and result.exit_code == 130
    assert time.monotonic() - started < 18  # not the 20 s approval timeout
    assert not (h.workdir() / "out.txt").exists()
    (row,) = _approvals(h)
    assert row.decision == "withdrawn"
    assert stored.decode(row.message)["key"] == "approvals.withdrawn.interrupted"
    assert [a["decision"] for a in h.of("agent.approval_answer")] == ["withdrawn"]


READ_ONLY_CMD = {"command": "ls -la && git log --oneline | head -3", "description": "look"}


def test_ask_mode_asks_even_for_what_the_cli_counts_as_read_only(claude_env):
    """No rules, "ask before tools": the CLI's own read-only allowance does not skip the person."""
    h = claude_env
    h.settings(permission_mode="default", allowed_tools=[])
    h.api.push(tool_use("Bash", READ_ONLY_CMD), text("looked"))
    answer_approvals(h, [("allow", "")])
    result = h.run(h.task("look around"))
    assert result.exit_code == 0, result.failure_reason
    (ask,) = h.of("agent.approval")
    assert ask["input"]["command"] == READ_ONLY_CMD["command"]
    assert h.of("agent.tool_why") == []


def test_read_only_allowance_lets_it_through_and_says_why(claude_env):
    h = claude_env
    h.settings(permission_mode="default", allowed_tools=[], allow_read_only=True)
    h.api.push(tool_use("Bash", READ_ONLY_CMD, tool_id="toolu_ro"), text("looked"))
    result = h.run(h.task("look around"))
    assert result.exit_code == 0, result.failure_reason
    assert h.of("agent.approval") == []
    (why,) = h.of("agent.tool_why")
    assert why["tool_use_id"] == "toolu_ro"
    assert why["why"] == {"key": "approvals.why.read_only", "params": {}}


def test_an_owner_prefix_rule_is_left_to_the_cli_which_still_asks_for_more(claude_env):
    """An owner typed ``Bash(echo hi:*)``: in ask mode a plain command under the prefix
    runs unasked, saying which rule let it; a compound one is asked (the CLI itself
    lets ``echo hi && touch planted`` pass such a rule: seen with this CLI)."""
    h = claude_env
    h.settings(permission_mode="default", allowed_tools=["Bash(echo hi:*)"])
    h.api.push(tool_use("Bash", {"command": "echo hi there", "description": "greet"},
                        tool_id="toolu_pre"),
               tool_use("Bash", {"command": "echo hi && touch planted", "description": "more"},
                        tool_id="toolu_more"),
               text("done"))
    answer_approvals(h, [("deny", "")])
    result = h.run(h.task("greet"))
    assert result.exit_code == 0, result.failure_reason
    (ask,) = h.of("agent.approval")
    assert ask["input"]["command"] == "echo hi && touch planted"
    why = [w for w in h.of("agent.tool_why") if w["tool_use_id"] == "toolu_pre"]
    assert [w["why"] for w in why] == [{"key": "approvals.why.rule",
                                        "params": {"rule": "Bash(echo hi:*)"}}]
    assert not (h.workdir() / "planted").exists()
