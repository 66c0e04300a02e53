"""The shell agent: ``bash -lc <command>`` in the sandbox, output as it comes.

Its stdin stays open while it runs: lines and Ctrl-C sent from the task page
reach it through :class:`~worker.agents.shell_input.StdinFeeder`.
"""

from __future__ import annotations

import threading

from clawweb.i18n import stored
from worker.agents.base import Agent, AgentContext, AgentResult
from worker.agents.shell_input import StdinFeeder, ending
from worker.attachments import attachment_env
from worker.sandbox.base import SandboxHandle, SandboxSpec

# How often the stop flag (cancel, timeout) is checked while the command runs.
POLL_SECONDS = 0.1
# After kill(), how long to wait for the last output before moving on.
DRAIN_SECONDS = 5.0
# Tasks a person started from the task page's side of things keep stdin open for
# them; a schedule's or a webhook's run has nobody to type, so a command that reads
# stdin gets end of file at once instead of waiting out its timeout.
ATTENDED_TRIGGERS = frozenset({"ui", "api"})


class ShellAgent(Agent):
    name = "shell"
    mount_targets = ()

    def run(self, ctx: AgentContext) -> AgentResult:
        if ctx.should_stop():
            return AgentResult(exit_code=None)
        spec = SandboxSpec(task_id=ctx.task.id, argv=["bash", "-lc", ctx.task.command],
                           workdir=ctx.workdir, limits=ctx.limits, labels=dict(ctx.labels),
                           stdin=True, env=attachment_env(ctx.attachments))
        ctx.mark_started()
        handle = ctx.sandbox.start(spec)
        try:
            return self._supervise(ctx, handle)
        finally:
            handle.remove()

    def _supervise(self, ctx: AgentContext, handle: SandboxHandle) -> AgentResult:
        # The reader gets its own thread so a silent command (sleep infinity)
        # cannot keep us from noticing a cancel or the timeout.
        reader = threading.Thread(target=_pump, args=(handle, ctx), daemon=True,
                                  name=f"shell-output-{ctx.task.id}")
        reader.start()
        feeder = StdinFeeder(ctx, handle)
        if ctx.task.trigger not in ATTENDED_TRIGGERS:
            feeder.close_stdin()
        feeder.start()
        try:
            info = self._watch(ctx, handle, reader)
        finally:
            feeder.stop()  # input closes with the run
        reason = ""
        if info.oom_killed:
            reason = stored.encode("tasks.ended.out_of_memory", limit_mb=ctx.limits.memory_mb)
        interrupted = ending(feeder, info.exit_code)
        return AgentResult(exit_code=info.exit_code, failure_reason=reason or interrupted,
                           oom_killed=info.oom_killed, interrupted=bool(interrupted) and not reason)

    def _watch(self, ctx: AgentContext, handle: SandboxHandle, reader: threading.Thread):
        while reader.is_alive():
            if ctx.should_stop():
                handle.kill()
                break
            reader.join(POLL_SECONDS)
        info = handle.wait()
        reader.join(DRAIN_SECONDS)
        return info


def _pump(handle: SandboxHandle, ctx: AgentContext) -> None:
    for chunk in handle.output():
        ctx.emit_output(chunk.stream, chunk.data)
