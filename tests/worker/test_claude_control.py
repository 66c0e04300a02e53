"""Follow-ups, interrupt, cancel, budget, max turns and API failures, against the real CLI."""

from __future__ import annotations

import threading
import time

import pytest

from clawweb import redis_conn, streams
from clawweb.i18n import stored
from tests.fixtures.fake_anthropic import error, hang, malformed, text, tool_use
from tests.support.said import said
from tests.worker.claude_support import claude_env, docker_sandbox, task_containers  # noqa: F401


def _when_request(h, count: int, action, timeout: float = 60) -> None:
    def loop():
        deadline = time.time() + timeout
        while time.time() < deadline and len(h.api.main_requests) < count:
            time.sleep(0.1)
        time.sleep(0.5)
        action()
    threading.Thread(target=loop, daemon=True).start()


def test_follow_up_resumes_the_session(claude_env):
    h = claude_env
    h.api.push(text("The secret word is pineapple."))
    first = h.task("Remember a word")
    assert h.run(first).exit_code == 0
    first = h.reload(first)
    h.api.push(text("It was pineapple."))
    follow = h.task("What was the word?", parent_id=first.id)
    result = h.run(follow)
    assert result.exit_code == 0, result.failure_reason
    body = h.api.main_requests[-1].text()
    assert "Remember a word" in body and "The secret word is pineapple." in body
    assert "What was the word?" in body
    assert h.reload(follow).agent_session_id == first.agent_session_id


def test_interrupt_keeps_session_then_follow_up(claude_env):
    h = claude_env
    h.api.push(hang())
    task = h.task("Work forever")
    _when_request(h, 1, lambda: redis_conn.get_redis().set(streams.task_interrupt_key(task.id), 1))
    result = h.run(task)
    assert result.exit_code == 130 and result.interrupted
    assert "Interrupted" in said(result.failure_reason, "agents.interrupted")[0]
    assert task_containers(h, task.id) == []
    task = h.reload(task)
    assert task.agent_session_id
    h.api.push(text("Resumed fine."))
    result = h.run(h.task("carry on", parent_id=task.id))
    assert result.exit_code == 0, result.failure_reason
    assert "Work forever" in h.api.main_requests[-1].text()


def test_cancel_mid_turn_kills_the_container(claude_env):
    h = claude_env
    h.api.push(hang())
    task = h.task("Work forever")
    _when_request(h, 1, h.stop.set)
    result = h.run(task)
    assert result.exit_code == 137 and task_containers(h, task.id) == []


def test_budget_reached_stops_with_reason(claude_env):
    h = claude_env
    h.settings(budget_usd=0.01, allowed_tools=["Bash"])
    h.api.push(tool_use("Bash", {"command": "true", "description": "x"}, output_tokens=200_000),
               tool_use("Bash", {"command": "true", "description": "x"}), text("never"))
    result = h.run(h.task("spend"))
    assert result.exit_code == 1
    assert "budget" in said(result.failure_reason, "agents.budget_reached")[0]
    assert result.usage["cost_usd"] >= 0.01
    assert h.of("agent.stopped")


def test_max_turns_stops_with_reason(claude_env):
    h = claude_env
    h.settings(max_turns=1, allowed_tools=["Bash"])
    h.api.push(*[tool_use("Bash", {"command": "true", "description": "x"}) for _ in range(3)])
    result = h.run(h.task("loop"))
    assert result.exit_code == 1
    assert "1 turns" in said(result.failure_reason, "agents.max_turns_reached")[0]


@pytest.mark.parametrize("reply,needle", [
    (error(500), "500"), (error(529), "529"), (malformed(), ""), (hang(), ""),
])
def test_api_failures_fail_readably(claude_env, monkeypatch, reply, needle):
    h = claude_env
    monkeypatch.setenv("CLAWWEB_CLAUDE_API_TIMEOUT_MS", "3000")
    from clawweb import settings as settings_mod
    settings_mod.get_settings.cache_clear()
    # Twice: after a broken stream the CLI retries once without streaming.
    h.api.push(reply, reply)
    task = h.task("fail please")
    result = h.run(task)
    assert result.exit_code != 0 and result.failure_reason
    key = stored.decode(result.failure_reason)["key"]
    assert key in ("agents.api_error", "agents.cli_failed")
    assert needle in said(result.failure_reason, key)[0]
    assert task_containers(h, task.id) == []
