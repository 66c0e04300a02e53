"""The ``claude`` agent: Claude Code in the task's sandbox, driven through claude-agent-sdk.

One run: resolve the credential (none -> fail at once, saying where to add
one), start this task's egress proxy on a unix socket, start the CLI in the
container behind the in-container bridge (``SandboxTransport``), send the
prompt, and turn every SDK message into ``agent.*`` events
(see ``claude_events``). Tool permission requests go to people through
``claude_approvals``.

Spend is metered and the budget enforced outside the container, by the
task's egress proxy (:mod:`worker.egress.spend`), which refuses model calls
once the budget is spent (``agent.budget_stopped``); the CLI's
``--max-budget-usd`` is the second line, ``--max-turns`` the CLI's own. The
task records the proxy's metered cost, never the CLI's own report.

The CLI's config dir is the ``claude/`` directory on the task's own disk
(:mod:`worker.workspace`), fresh for every run and gone with it. Only the
session transcript survives, kept by the worker as a file it writes itself
(:mod:`worker.agents.claude_session`), so a follow-up on any worker resumes the
same session without inheriting anything else the container wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import threading
from pathlib import Path
from typing import Any

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage
from claude_agent_sdk._errors import ClaudeSDKError
from claude_agent_sdk.types import _configure_can_use_tool

from clawweb import redis_conn, streams
from clawweb.db import session_scope
from clawweb.i18n import stored
from clawweb.models import AgentSettings, Task
from clawweb.services import approvals
from clawweb.services.agents import choices, credentials, settings as agent_settings
from clawweb.services.crypto import SecretUnreadable
from clawweb.services.errors import InvalidInput
from clawweb.settings import get_settings
from worker import workspace
from worker.agents import claude_session, claude_usage
from worker.agents.base import Agent, AgentContext, AgentResult
from worker.agents.claude_approvals import make_can_use_tool
from worker.attachments import prompt_with
from worker.agents.claude_hooks import Mode, make_hooks
from worker.agents.claude_events import Tally, events_for
from worker.agents.claude_transport import MAX_BUFFER_SIZE, SandboxTransport
from worker.egress import EgressProxy, ModelCredential
from worker.sandbox.base import SandboxSpec

log = logging.getLogger(__name__)

CONFIG_DIR = "/home/runner/.claude"
EGRESS_DIR = "/run/clawweb/egress"
BRIDGE = "/usr/local/lib/clawweb/bridge.py"
# What the container sees where a key would be: the proxy replaces it.
PLACEHOLDER_KEY = "sk-ant-placeholder-injected-by-clawweb-egress"
STOP_POLL_SECONDS = 0.5


def session_dir(task_id: int) -> Path:
    """Where the worker keeps a task's session transcript for its follow-ups."""
    return claude_session.saved_dir(task_id)


class _Emitter:
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


class ClaudeAgent(Agent):
    name = "claude"

    def run(self, ctx: AgentContext) -> AgentResult:
        with session_scope() as session:
            try:
                cred = credentials.resolve_for_task(session=session, task=ctx.task)
            except SecretUnreadable:
                return AgentResult(exit_code=None,
                                   failure_reason=stored.encode("credentials.unreadable"))
            conf = agent_settings.for_project(session=session, project_id=ctx.project.id)
            try:
                # Checked again here: the owner may have narrowed the settings since.
                model, mode = choices.for_run(conf, ctx.task)
            except InvalidInput as exc:
                return AgentResult(exit_code=None, failure_reason=stored.encode(exc.key))
            after_plan = choices.mode_after_plan(conf)
            session.expunge_all()
            parent = session.get(Task, ctx.task.parent_id) if ctx.task.parent_id else None
            resume = parent.agent_session_id if parent else ""
        if cred is None:
            return AgentResult(exit_code=None, failure_reason=stored.encode("credentials.missing"))
        emit = _Emitter(ctx)
        sdir = workspace.claude_dir(ctx.workdir)
        claude_session.prepare_config_dir(sdir)
        if parent and resume and not claude_session.restore(parent.id, resume, sdir):
            emit("system", stored.note("workspace.session_missing"))
            resume = ""  # resuming a session the CLI cannot find would end the run
        egress_dir = get_settings().data_dir.resolve() / "egress" / f"task-{ctx.task.id}"
        run = _Run(ctx, conf, emit, sdir, egress_dir, resume)
        run.model, run.after_plan = model, after_plan
        run.mode = Mode(current=mode, project=conf.permission_mode or "default")
        result = self._metered_run(run, cred, conf)
        # Only the transcript, through the hardened reader: nothing else the
        # container wrote is kept, and no link in it is followed.
        sid = result.usage.get("agent_session_id") or resume
        if (why := claude_session.save(ctx.task.id, sid, sdir)) is not None:
            emit("system", why)
        return result

    def _metered_run(self, run: "_Run", cred, conf: AgentSettings) -> AgentResult:
        """The run behind this task's egress proxy; its usage carries the proxy's cost."""
        proxy = self._proxy(run.egress_dir, cred, conf, run.emit)
        result: AgentResult | None = None
        try:
            result = asyncio.run(run.main())
        finally:
            proxy.stop()
            shutil.rmtree(run.egress_dir, ignore_errors=True)
            # Read after stop(): a reply still streaming when the container went is
            # metered up to where it was cut. Recorded even when the run raised.
            usage = claude_usage.metered(result.usage if result else run.tally.as_usage(),
                                         proxy.spent_usd)
            claude_usage.record(run.ctx.task.id, usage)
        result.usage = usage
        # The live totals end on the recorded number, so the page agrees with the row.
        run.emit("agent.usage", {k: usage[k] for k in ("input_tokens", "output_tokens",
                                                       "cost_usd", "turns")})
        return result

    @staticmethod
    def _proxy(egress_dir: Path, cred, conf: AgentSettings, emit: _Emitter) -> EgressProxy:
        """This task's egress proxy, started; it also holds the task's spend (``spent_usd``).

        The budget is enforced here, where every model reply passes, and again
        by the CLI (``--max-budget-usd``), which runs inside the container.
        """
        from worker.egress import EgressLimits

        egress_dir.mkdir(parents=True, exist_ok=True)
        egress_dir.chmod(0o755)
        s = get_settings()
        port = s.claude_bridge_port
        return EgressProxy(
            socket_path=egress_dir / "egress.sock", model_url=s.anthropic_base_url,
            credential=ModelCredential(cred.kind, cred.secret),
            allow_hosts=list(conf.egress_allow_hosts or []),
            # {"host", "reason"} (+ "more" for a rate-limited summary).
            on_refused=lambda event: emit("egress.refused", event),
            budget_usd=conf.budget_usd or None,
            on_budget=lambda spent, budget: emit("agent.budget_stopped", {
                "spent_usd": round(spent, 6), "budget_usd": budget}),
            limits=EgressLimits.from_settings(s),
            own_hosts=(f"127.0.0.1:{port}", f"localhost:{port}"),
        ).start()


class _Run:
    """One asyncio run of the SDK client against the sandboxed CLI."""

    def __init__(self, ctx: AgentContext, conf: AgentSettings, emit: _Emitter, sdir: Path,
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
