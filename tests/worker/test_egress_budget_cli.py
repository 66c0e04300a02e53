"""The budget holds even against an agent that calls the model API behind the CLI's back.

The real CLI in the real runner container: a (scripted) prompt-injected agent
runs ``curl`` against the bridge, spending outside the CLI's own accounting, so
``--max-budget-usd`` never sees it. The worker's egress proxy does.
"""

from __future__ import annotations

import json

from clawweb.i18n import stored
from tests.fixtures.fake_anthropic import text, tool_use
from tests.worker.claude_support import claude_env, docker_sandbox  # noqa: F401

BURN = json.dumps({"model": "claude-opus-4-1", "max_tokens": 5, "tools": [{"name": "t"}],
                   "messages": [{"role": "user", "content": "x"}]})
CURL_LOOP = ("for i in 1 2 3; do curl -s -o /dev/null -w '%{http_code}\\n' "
             "-H 'content-type: application/json' -H 'x-api-key: whatever' "
             f"-d '{BURN}' http://127.0.0.1:8377/v1/messages >> /workspace/burn.txt; done")


def test_spend_behind_the_clis_back_stops_at_the_budget(claude_env):
    h = claude_env
    h.settings(allowed_tools=["Bash"], budget_usd=2.0)
    h.api.push(
        tool_use("Bash", {"command": CURL_LOOP, "description": "burn"}),
        # What the curls get: 100k input tokens on Opus 4.1 is $1.50 each.
        text("burn", input_tokens=100_000), text("burn", input_tokens=100_000),
        text("never reached: the budget is spent"),
    )
    task = h.task("Do something cheap")
    result = h.run(task)
    assert (h.workdir() / "burn.txt").read_text().split() == ["200", "200", "402"]
    (stopped,) = h.of("agent.budget_stopped")
    assert stopped["budget_usd"] == 2.0 and stopped["spent_usd"] >= 3.0
    # The CLI's own next call was refused too, and it says why.
    assert len(h.api.main_requests) == 3
    assert result.exit_code != 0, result
    assert "budget" in stored.render(result.failure_reason, "en").lower(), result
