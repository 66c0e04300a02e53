"""The real Claude Code CLI in the real runner container, through the egress bridge."""

from __future__ import annotations

import pytest

from tests.fixtures.fake_anthropic import text, tool_use
from tests.support.said import said
from tests.worker.claude_support import API_KEY, claude_env, docker_sandbox  # noqa: F401


def test_text_only_prompt_through_the_bridge(claude_env):
    h = claude_env
    h.api.push(text("Hello from the fake model."))
    task = h.task("Say hello")
    result = h.run(task)
    assert result.exit_code == 0, (result.failure_reason, h.output[-5:])
    assert "Hello from the fake model." in "".join(d["text"] for d in h.of("agent.text"))
    assert result.summary == "Hello from the fake model."  # for the commit message
    # The real key reached the API, injected by the proxy; the container only had a placeholder.
    main = h.api.main_requests
    assert main and all(r.headers.get("x-api-key") == API_KEY for r in main)
    assert "Say hello" in main[0].text()
    (res,) = h.of("agent.result")
    assert res["subtype"] == "success" and res["turns"] >= 1
    task = h.reload(task)
    assert task.agent_session_id and task.input_tokens > 0 and task.cost_usd > 0


def test_writes_and_edits_files_with_cards_and_usage(claude_env):
    h = claude_env
    h.settings(permission_mode="acceptEdits")
    h.api.push(
        tool_use("Write", {"file_path": "/workspace/notes.md", "content": "alpha\nbeta\n"},
                 say="Writing the file."),
        tool_use("Read", {"file_path": "/workspace/notes.md"}),
        tool_use("Edit", {"file_path": "/workspace/notes.md", "old_string": "beta",
                          "new_string": "gamma"}),
        tool_use("TodoWrite", {"todos": [{"content": "write notes", "status": "completed",
                                          "activeForm": "Writing notes"}]}),
        text("Done: notes written and edited.", output_tokens=50),
    )
    task = h.task("Write notes")
    result = h.run(task)
    assert result.exit_code == 0, result.failure_reason
    assert (h.workdir() / "notes.md").read_text() == "alpha\ngamma\n"
    uses = h.of("agent.tool_use")
    assert [u["name"] for u in uses] == ["Write", "Read", "Edit", "TodoWrite"]
    results = {r["id"]: r for r in h.of("agent.tool_result")}
    # (This CLI version answers TodoWrite with an error; the checklist card
    # comes from the tool call itself.)
    assert all(u["id"] in results and not results[u["id"]]["is_error"] for u in uses[:3])
    assert h.of("agent.todo")[0]["todos"][0]["content"] == "write notes"
    # Not asked, and each card can say why: the project's mode.
    whys = {w["tool_use_id"]: w["why"] for w in h.of("agent.tool_why")}
    assert whys[uses[0]["id"]] == {"key": "approvals.why.mode",
                                   "params": {"mode": "acceptEdits"}}
    assert any("Writing the file." in d["text"] for d in h.of("agent.text"))
    assert h.of("agent.text_delta"), "text should stream as deltas too"
    task = h.reload(task)
    assert task.turns == 5 and task.output_tokens >= 130 and task.cost_usd > 0
    assert result.usage["agent_session_id"] == task.agent_session_id
    # The edit reached the model as a tool result in the next request.
    assert "alpha" in h.api.main_requests[2].text()


def test_refused_host_is_shown_and_key_never_in_container(claude_env):
    h = claude_env
    h.settings(allowed_tools=["Bash"])
    # example.com resolves (in the test's resolver) to a counting server on this port:
    # a broken allow-list check shows as a resolver call, never as a real lookup.
    target = f"https://example.com:{h.counter.port}/"
    h.api.push(
        tool_use("Bash", {"command": f"curl -sS -m 5 {target} ; echo curl=$?",
                          "description": "fetch"}),
        tool_use("Bash", {"command": "env > /workspace/env.txt; cat /proc/1/environ "
                          "| tr '\\0' '\\n' >> /workspace/env.txt; grep -rl sk-ant "
                          "/home /tmp /workspace 2>/dev/null >> /workspace/env.txt; true",
                          "description": "env"}),
        text("Done."),
    )
    task = h.task("Probe")
    result = h.run(task)
    assert result.exit_code == 0, result.failure_reason
    assert h.resolver.calls == [] and h.counter.connections == 0
    assert {"host": "example.com", "reason": "not_listed"} in h.of("egress.refused")
    assert "curl=56" in h.api.main_requests[1].text()  # curl ran and its CONNECT was refused
    env_dump = (h.workdir() / "env.txt").read_text()
    assert "ANTHROPIC_API_KEY=sk-ant-placeholder" in env_dump  # the probe did run
    assert API_KEY not in env_dump and "REALSECRET" not in env_dump
    everything = repr(h.events) + repr(h.output)
    assert "REALSECRET" not in everything
    from worker.agents.claude import session_dir
    for path in session_dir(task.id).rglob("*"):
        if path.is_file():
            assert b"REALSECRET" not in path.read_bytes(), path
    assert all(r.headers.get("x-api-key") == API_KEY for r in h.api.main_requests)


def test_the_task_records_the_proxys_metered_cost_not_the_clis(claude_env, monkeypatch):
    """The CLI reports its cost from inside the container; the proxy meters every reply.

    Here the agent spends behind the CLI's back (a curl to the bridge, priced by the
    proxy, unseen by the CLI), so the two totals differ, and the task row must show
    the proxy's.
    """
    import json

    from worker.agents.claude import ClaudeAgent

    h = claude_env
    proxies = []
    real_proxy = ClaudeAgent._proxy

    def keep(*args):
        proxies.append(real_proxy(*args))
        return proxies[-1]

    monkeypatch.setattr(ClaudeAgent, "_proxy", staticmethod(keep))
    burn = json.dumps({"model": "claude-opus-4-1", "max_tokens": 5, "tools": [{"name": "t"}],
                       "messages": [{"role": "user", "content": "x"}]})
    curl = ("curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' "
            f"-d '{burn}' http://127.0.0.1:8377/v1/messages > /workspace/code.txt")
    h.settings(allowed_tools=["Bash"])
    h.api.push(tool_use("Bash", {"command": curl, "description": "spend"}),
               text("what the curl gets", input_tokens=100_000),   # $1.50 on Opus 4.1
               text("Done."))
    task = h.task("Do something cheap")
    result = h.run(task)
    assert result.exit_code == 0, result.failure_reason
    assert (h.workdir() / "code.txt").read_text() == "200"      # the spend really happened
    (cli,) = h.of("agent.result")
    (proxy,) = proxies
    assert cli["cost_usd"] < 0.5 and proxy.spent_usd > cli["cost_usd"] + 1.4
    task = h.reload(task)
    assert task.cost_usd == pytest.approx(proxy.spent_usd, abs=1e-6)
    assert result.usage["cost_usd"] == task.cost_usd
    # The live totals end on the same number, so the page agrees with the row.
    assert h.of("agent.usage")[-1]["cost_usd"] == task.cost_usd


def test_no_credential_fails_at_once(claude_env):
    h = claude_env
    from clawweb.services.agents import credentials
    credentials.delete_user_credential(session=h.session, user=h.user)
    result = h.run(h.task("anything"))
    assert result.exit_code is None
    assert "Account" in said(result.failure_reason, "credentials.missing")[0]
    assert h.api.requests == []


def test_follow_up_resumes_from_the_kept_transcript_alone(claude_env, tmp_path, settings):
    """Only the transcript survives a run; the real CLI resumes from it, and nothing the
    first run planted in ~/.claude (links to host files, a FIFO) reaches the follow-up."""
    from tests.worker.sandbox_support import make_workdir
    from worker.agents import claude_session

    h = claude_env
    secret = settings.data_dir.resolve() / "secret.key"   # the server's real key
    key_text = secret.read_text().strip()
    assert len(key_text) > 20
    h.settings(allowed_tools=["Bash"])
    h.api.push(tool_use("Bash", {"command": f"ln -s {secret} ~/.claude/x; "
                                            "ln -s /proc/self/environ ~/.claude/env; "
                                            "mkfifo ~/.claude/fifo; ls -a ~/.claude",
                                 "description": "plant"}),
               text("The secret word is pineapple."))
    first = h.task("Remember a word")
    result = h.run(first)
    assert result.exit_code == 0, result.failure_reason
    assert "fifo" in h.api.main_requests[1].text()      # the plant really ran
    first = h.reload(first)
    sid = first.agent_session_id
    assert sorted(p.name for p in claude_session.saved_dir(first.id).iterdir()) == [
        f"{sid}.jsonl"]

    h.api.push(tool_use("Bash", {"command": "ls -a ~/.claude; cat ~/.claude/x; "
                                            "find ~/.claude -type l -o -type p",
                                 "description": "look"}),
               text("It was pineapple."))
    second = h.task("What was the word?", parent_id=first.id)
    (tmp_path / "second").mkdir()
    result = h.run(second, workdir=make_workdir(tmp_path / "second"))
    assert result.exit_code == 0, (result.failure_reason, h.output[-5:])
    body = h.api.main_requests[-1].text()
    assert "Remember a word" in body and "The secret word is pineapple." in body
    assert all(key_text not in r.text() for r in h.api.requests)   # never reached the model
    look = _last_tool_result(h.api.main_requests[-1].body)[0]["content"]  # the follow-up's ls
    names = look.splitlines()
    assert ".claude.json" in names and not {"x", "env", "fifo"} & set(names), look
    assert "No such file" in look                        # cat ~/.claude/x found nothing
    assert h.reload(second).agent_session_id == sid
    assert not h.of("system"), h.of("system")            # nothing to say: it resumed


def _last_tool_result(body: dict):
    for msg in reversed(body["messages"]):
        content = msg.get("content")
        if isinstance(content, list) and any(c.get("type") == "tool_result" for c in content):
            return content
    raise AssertionError("no tool result in the request")
