"""Overhead of clawweb over the bare Claude Code CLI, to the first assistant text.

    python -m bench.claude_overhead [--runs 5]

Both sides talk to the same scripted Anthropic-compatible API on loopback
(tests/fixtures/fake_anthropic.py), in the same run:
- baseline: the same CLI binary run directly on the host
  (``claude -p … --output-format stream-json``), to its first assistant message;
- clawweb: submit a prompt task → queue → worker → hardened container → CLI
  through the egress bridge → first ``agent.text`` event read by a client the way
  the task page reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import Deployment, follow, median

KEY = "sk-ant-api03-bench-000000000000000000000000000000000000"


def cli_path() -> str:
    import claude_agent_sdk

    return str(Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude")


def baseline_once(api_url: str) -> float:
    home = tempfile.mkdtemp(prefix="claude-home-")
    env = {**os.environ, "HOME": home, "ANTHROPIC_BASE_URL": api_url, "ANTHROPIC_API_KEY": KEY,
           "DISABLE_TELEMETRY": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([cli_path(), "-p", "say hi", "--output-format", "stream-json",
                             "--verbose"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=home)
    elapsed = None
    for line in proc.stdout:
        msg = json.loads(line)
        if msg.get("type") == "assistant":
            elapsed = time.perf_counter() - t0
            break
    proc.kill()
    proc.wait()
    assert elapsed is not None, "the CLI produced no assistant message"
    return elapsed


async def ours_once(dep: Deployment) -> float:
    from clawweb.db import session_scope
    from clawweb.services.agents import tasks as agent_tasks

    t0 = time.perf_counter()

    def submit() -> int:
        with session_scope() as s:
            return agent_tasks.submit_prompt(session=s, user=dep.user(),
                                             project_id=dep.project_id, prompt="say hi",
                                             idempotency_key=uuid.uuid4().hex).id

    task_id = await asyncio.to_thread(submit)
    seen = {}

    def on_event(ev):
        if ev.type == "agent.text":
            seen["t"] = time.perf_counter()
            return False
        return None

    await follow(task_id, on_event)
    assert "t" in seen, "no assistant text event"
    return seen["t"] - t0


async def measure(dep: Deployment, api, runs: int) -> tuple[list[float], list[float]]:
    from tests.fixtures.fake_anthropic import text

    base, ours = [], []
    for i in range(runs + 1):  # the first pair warms caches and is dropped
        api.push(text(f"hi {i}"))
        b = await asyncio.to_thread(baseline_once, api.url)
        api.push(text(f"hi again {i}"))
        o = await ours_once(dep)
        if i:
            base.append(b)
            ours.append(o)
    return base, ours


def main() -> None:
    from tests.fixtures.fake_anthropic import FakeAnthropic

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    api = FakeAnthropic(accept_keys={KEY}).start()
    try:
        with Deployment(workers=1, extra_env={"CLAWWEB_ANTHROPIC_BASE_URL": api.url}) as dep:
            from clawweb.db import session_scope
            from clawweb.services.agents import credentials

            with session_scope() as s:
                credentials.set_user_credential(session=s, user=dep.user(), kind="api_key",
                                                secret=KEY)
            base, ours = asyncio.run(measure(dep, api, args.runs))
    finally:
        api.stop()
    b, o = median(base), median(ours)
    print(f"bare CLI to first assistant message (median of {args.runs}): {b * 1000:.0f} ms")
    print(f"clawweb submit to first agent.text event at a client:     {o * 1000:.0f} ms")
    print(f"added: {(o - b) * 1000:+.0f} ms (target < 500 ms)   ratio: {o / b:.2f}")


if __name__ == "__main__":
    main()
