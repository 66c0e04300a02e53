"""The ``claude`` agent: Claude Code in the task's sandbox, driven through claude-agent-sdk.

One run: resolve the credential (none -> fail at once, saying where to add
one), start this task's egress proxy on a unix socket, start the CLI in the
container behind the in-container bridge (``SandboxTransport``), send the
prompt, and turn every SDK message into ``agent.*`` events
(see ``claude_events``; the run itself is :class:`~worker.agents.claude_run.Run`). Tool permission requests go to people through
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
import logging
import shutil
from pathlib import Path

from clawweb.db import session_scope
from clawweb.i18n import stored
from clawweb.models import AgentSettings, Task
from clawweb.services.agents import choices, credentials, settings as agent_settings
from clawweb.services.crypto import SecretUnreadable
from clawweb.services.errors import InvalidInput
from clawweb.settings import get_settings
from worker import workspace
from worker.agents import claude_session, claude_usage
from worker.agents.base import Agent, AgentContext, AgentResult
from worker.agents.claude_hooks import Mode
from worker.agents.claude_run import CONFIG_DIR, EGRESS_DIR, Emitter, Run
from worker.egress import EgressProxy, ModelCredential

log = logging.getLogger(__name__)

def session_dir(task_id: int) -> Path:
    """Where the worker keeps a task's session transcript for its follow-ups."""
    return claude_session.saved_dir(task_id)


class ClaudeAgent(Agent):
    name = "claude"
    mount_targets = (EGRESS_DIR, CONFIG_DIR)  # Run.start's extra mounts

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
        emit = Emitter(ctx)
        sdir = workspace.claude_dir(ctx.workdir)
        claude_session.prepare_config_dir(sdir)
        if parent and resume and not claude_session.restore(parent.id, resume, sdir):
            emit("system", stored.note("workspace.session_missing"))
            resume = ""  # resuming a session the CLI cannot find would end the run
        egress_dir = get_settings().data_dir.resolve() / "egress" / f"task-{ctx.task.id}"
        run = Run(ctx, conf, emit, sdir, egress_dir, resume)
        run.model, run.after_plan = model, after_plan
        run.mode = Mode(current=mode, project=conf.permission_mode or "default")
        result = self._metered_run(run, cred, conf)
        # Only the transcript, through the hardened reader: nothing else the
        # container wrote is kept, and no link in it is followed.
        sid = result.usage.get("agent_session_id") or resume
        if (why := claude_session.save(ctx.task.id, sid, sdir)) is not None:
            emit("system", why)
        return result

    def _metered_run(self, run: Run, cred, conf: AgentSettings) -> AgentResult:
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
    def _proxy(egress_dir: Path, cred, conf: AgentSettings, emit: Emitter) -> EgressProxy:
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
