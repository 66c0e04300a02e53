"""One run of Claude Code in a task's sandbox: the SDK client, the CLI behind the bridge.

:class:`Run` builds the SDK options (tools, hooks, the approvals callback, the
prompt's model and mode), starts the CLI in the container behind the
in-container bridge, turns every SDK message into ``agent.*`` events, watches
for cancel and interrupt, and says how the run ended. The credential, the
egress proxy and the session transcript are :mod:`worker.agents.claude`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import Any

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage
from claude_agent_sdk._errors import ClaudeSDKError
from claude_agent_sdk.types import _configure_can_use_tool

from clawweb import redis_conn, streams
from clawweb.db import session_scope
from clawweb.i18n import stored
from clawweb.models import AgentSettings
from clawweb.services import approvals
from clawweb.settings import get_settings
from worker.agents.base import AgentContext, AgentResult
from worker.agents.claude_approvals import make_can_use_tool
from worker.agents.claude_events import Tally, events_for
from worker.agents.claude_hooks import Mode, make_hooks
from worker.agents.claude_transport import MAX_BUFFER_SIZE, SandboxTransport
from worker.attachments import prompt_with
from worker.sandbox.base import SandboxSpec

CONFIG_DIR = "/home/runner/.claude"
EGRESS_DIR = "/run/clawweb/egress"
BRIDGE = "/usr/local/lib/clawweb/bridge.py"
# What the container sees where a key would be: the proxy replaces it.
PLACEHOLDER_KEY = "sk-ant-placeholder-injected-by-clawweb-egress"
STOP_POLL_SECONDS = 0.5


class Emitter:
    """ctx.emit from several threads (SDK loop, proxy, stderr reader), one at a time."""

    def __init__(self, ctx: AgentContext):
        self._ctx, self._lock = ctx, threading.Lock()
        self.stderr_tail = b""

    def __call__(self, type_: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._ctx.emit(type_, data)

    def stderr(self, data: bytes) -> None:
        self.stderr_tail = (self.stderr_tail + data)[-2000:]
        with self._lock:
            self._ctx.emit_output("stderr", data)


class Run:
    """One asyncio run of the SDK client against the sandboxed CLI."""

    def __init__(self, ctx: AgentContext, conf: AgentSettings, emit: Emitter, sdir: Path,
                 egress_dir: Path, resume: str):
        self.ctx, self.conf, self.emit = ctx, conf, emit
        self.sdir, self.egress_dir, self.resume = sdir, egress_dir, resume
        self.tally = Tally()
        self.result: ResultMessage | None = None
        self.stopped = False
        self.interrupted = False
        self.transport: SandboxTransport | None = None
        # The prompt's choices (services.agents.choices), set by ClaudeAgent.run.
        self.model = conf.model
        self.mode = Mode(conf.permission_mode or "default", conf.permission_mode or "default")
        self.after_plan = "default"

    def options(self) -> ClaudeAgentOptions:
        conf = self.conf
        system_prompt: dict[str, Any] = {"type": "preset", "preset": "claude_code"}
        if conf.system_prompt:
            system_prompt["append"] = conf.system_prompt
        return ClaudeAgentOptions(
            system_prompt=system_prompt, model=self.model or None,
            permission_mode=self.mode.current,
            allowed_tools=list(conf.allowed_tools or []),
            disallowed_tools=list(conf.denied_tools or []),
            max_turns=conf.max_turns or None, max_budget_usd=conf.budget_usd or None,
            resume=self.resume or None, cwd="/workspace",
            # The repository's .claude/settings.json and CLAUDE.md when the owner
            # lets them in; its allow rules still cannot skip a person in "ask"
            # mode (the PreToolUse hook asks first, see claude_hooks).
            setting_sources=["project"] if conf.use_repo_settings else [],
            include_partial_messages=True, max_buffer_size=MAX_BUFFER_SIZE,
            can_use_tool=make_can_use_tool(
                task_id=self.ctx.task.id, project_id=self.ctx.project.id,
                timeout_seconds=conf.approval_timeout_seconds, emit=self.emit,
                should_stop=self.ctx.should_stop, mode=self.mode, after_plan=self.after_plan,
                plans_dir=self.sdir / "plans"),
            hooks=make_hooks(project_id=self.ctx.project.id, mode=self.mode, emit=self.emit),
        )

    def env(self) -> dict[str, str]:
        s = get_settings()
        bridge = f"http://127.0.0.1:{s.claude_bridge_port}"
        return {
            "ANTHROPIC_BASE_URL": bridge, "ANTHROPIC_API_KEY": PLACEHOLDER_KEY,
            # Tools (pip, npm, curl) reach allow-listed hosts through the same bridge.
            "HTTPS_PROXY": bridge, "HTTP_PROXY": bridge, "https_proxy": bridge,
            "http_proxy": bridge, "NO_PROXY": "", "CLAUDE_CONFIG_DIR": CONFIG_DIR,
            "DISABLE_TELEMETRY": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_MAX_RETRIES": str(s.claude_api_max_retries),
            "API_TIMEOUT_MS": str(s.claude_api_timeout_ms),
            "CLAUDE_CODE_ENTRYPOINT": "sdk-py", "CLAUDE_AGENT_SDK_VERSION": _sdk_version(),
            "CLAUDE_CODE_SDK_READS_SESSION_STATE": "1",
        }

    def wrap(self, argv: list[str]) -> list[str]:
        port = get_settings().claude_bridge_port
        return ["python3", BRIDGE, "--listen", f"127.0.0.1:{port}",
                "--socket", f"{EGRESS_DIR}/egress.sock", "--", *argv]

    def start(self, argv: list[str]):
        spec = SandboxSpec(task_id=self.ctx.task.id, argv=argv, workdir=self.ctx.workdir,
                           limits=self.ctx.limits, env=self.env(), stdin=True,
                           labels=dict(self.ctx.labels),
                           extra_mounts={str(self.egress_dir): EGRESS_DIR,
                                         str(self.sdir): CONFIG_DIR})
        self.ctx.mark_started()
        return self.ctx.sandbox.start(spec)

    async def main(self) -> AgentResult:
        options = self.options()
        # The client configures its own copy; the transport builds the command
        # line, so it needs the configured one (permission prompts over stdio).
        self.transport = SandboxTransport(options=_configure_can_use_tool(options),
                                          start=self.start, wrap=self.wrap,
                                          on_stderr=self.emit.stderr)
        client = ClaudeSDKClient(options, transport=self.transport)
        watcher = asyncio.create_task(self._watch(client))
        error: BaseException | None = None
        try:
            await client.connect()
            await client.query(prompt_with(self.ctx.task.command, self.ctx.attachments))
            async for msg in client.receive_response():
                for type_, data in events_for(msg, self.tally):
                    self.emit(type_, data)
                if isinstance(msg, ResultMessage):
                    self.result = msg
        except (ClaudeSDKError, OSError, RuntimeError) as exc:
            error = exc
        finally:
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await client.disconnect()
            # Whatever state the client was left in, the container goes.
            with contextlib.suppress(BaseException):
                await self.transport.close()
        return self._outcome(error)

    async def _watch(self, client: ClaudeSDKClient) -> None:
        """Cancel/timeout -> kill the container; an interrupt request -> interrupt the turn."""
        key = streams.task_interrupt_key(self.ctx.task.id)
        while True:
            await asyncio.sleep(STOP_POLL_SECONDS)
            if self.ctx.should_stop():
                self.stopped = True
                self.transport.kill()
                return
            if not self.interrupted and await asyncio.to_thread(_take_flag, key):
                self.interrupted = True
                # A request waiting for a person ends with the turn: withdrawn in
                # the database, which also ends the worker's wait for it.
                with contextlib.suppress(Exception):
                    for approval_id in await asyncio.to_thread(_withdraw_open, self.ctx.task.id):
                        self.emit("agent.approval_answer", {
                            "approval_id": approval_id, "decision": approvals.WITHDRAWN,
                            "message": ""})
                with contextlib.suppress(Exception):
                    await client.interrupt()

    def _outcome(self, error: BaseException | None) -> AgentResult:
        usage = self.tally.as_usage()  # the cost in it is the CLI's; ``run`` replaces it
        reason, code = self._reason(error)
        if reason and not self.stopped:
            self.emit("agent.stopped", {"reason": reason})
        summary = (self.result.result or "") if self.result is not None else ""
        return AgentResult(exit_code=code, failure_reason=reason, usage=usage,
                           summary=summary if isinstance(summary, str) else "",
                           interrupted=self.interrupted and not self.stopped)

    def _reason(self, error: BaseException | None) -> tuple[str, int | None]:
        res = self.result
        if self.stopped:
            return "", 137
        if self.interrupted:
            return stored.encode("agents.interrupted"), 130
        if res is None:
            detail = str(error) if error else "no result"
            tail = self.emit.stderr_tail.decode(errors="replace").strip().splitlines()[-1:]
            return stored.encode("agents.cli_failed", detail=" ".join([detail, *tail])[:500]), None
        if res.subtype == "error_max_turns":
            return stored.encode("agents.max_turns_reached", turns=self.conf.max_turns), 1
        if res.subtype == "error_max_budget_usd":
            return stored.encode("agents.budget_reached", budget=f"{self.conf.budget_usd:.2f}"), 1
        if res.is_error:
            detail = (res.result or ", ".join(res.errors or []) or res.subtype)[:500]
            return stored.encode("agents.api_error", detail=detail), 1
        return "", 0


def _withdraw_open(task_id: int) -> list[int]:
    with session_scope() as session:
        return approvals.withdraw_open(session=session, task_id=task_id,
                                       reason="approvals.withdrawn.interrupted")


def _take_flag(key: str) -> bool:
    try:
        return bool(redis_conn.get_redis().delete(key))
    except Exception:  # noqa: BLE001 - a Redis blip must not end the run
        return False


def _sdk_version() -> str:
    from claude_agent_sdk._version import __version__
    return __version__
