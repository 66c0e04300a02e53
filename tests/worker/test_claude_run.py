"""The real Claude Code CLI in the real runner container, through the egress bridge."""

from __future__ import annotations

import pytest

from tests.fixtures.fake_anthropic import text, tool_use
from tests.worker.claude_support import API_KEY, claude_env, docker_sandbox  # noqa: F401


def test_text_only_prompt_through_the_bridge(claude_env):
    h = claude_env
    h.api.push(text("Hello from the fake model."))
    task = h.task("Say hello")
    result = h.run(task)
    assert result.exit_code == 0, (result.failure_reason, h.output[-5:])
    assert "Hello from the fake model." in "".join(d["text"] for d in h.of("agent.text"))
    # The real key reached the API, injected by the proxy; the container only had a placeholder.
    main = h.api.main_requests
    assert main and all(r.headers.get("x-api-key") == API_KEY for r in main)
    assert "Say hello" in main[0].text()
    (res,) = h.of("agent.result")
    assert res["subtype"] == "success" and res["turns"] >= 1
    task = h.reload(task)
    assert task.agent_session_id and task.input_tokens > 0 and task.cost_usd > 0
