""""Ask before tools" that really asks: a PreToolUse hook in front of the CLI's own allowances.

The CLI lets some calls run without consulting ``can_use_tool`` at all (its
read-only allowance: ``ls``, ``git log``, reading files). In ``default``
("ask") mode this hook answers every call before that: "ask" (the CLI must
then call ``can_use_tool``, which raises a request for a person), or no opinion
when clawweb itself would let the call through: a project rule that covers it
exactly, an owner's prefix rule over a plain command (no operators: the CLI's
own matcher would let ``a:*`` cover ``a && b``), or the project's "let read-only commands through" for a call
:mod:`clawweb.services.read_only` counts as reading only. Then an
``agent.tool_why`` event says why it ran without asking (a stored message). The
hook never answers "allow": that could pass over the project's deny rules. In
the other modes a hook only notes the mode on the card.

The mode can change during a run (an approved plan goes on in another mode),
so the hook reads it from :class:`Mode` at every call. Plan mode in a project
whose mode is "ask" asks too: plan mode's own read allowance would otherwise
let reads through that the project's "ask" promises to ask about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from claude_agent_sdk import HookMatcher

from clawweb.db import session_scope
from clawweb.i18n import stored
from clawweb.models import AgentSettings
from clawweb.services import approval_rules
from clawweb.services.read_only import is_read_only

ASK_REASON = "clawweb asks a person before every tool call in this project"
CONFIG_PLANS = "/home/runner/.claude/plans/"


def is_plan_file(tool_name: str, tool_input: dict[str, Any]) -> bool:
    """A Write/Edit of the CLI's own plan file (config dir, not the working copy)."""
    path = str(tool_input.get("file_path") or "")
    name = path[len(CONFIG_PLANS):]
    return (tool_name in ("Write", "Edit") and path.startswith(CONFIG_PLANS)
            and name.endswith(".md") and "/" not in name and not name.startswith("."))


@dataclass
class Mode:
    """The run's permission mode as the CLI has it now, and the project's own mode."""

    current: str
    project: str

    def asks_everything(self) -> bool:
        """Whether clawweb decides every call (ask mode, or planning in an ask project)."""
        return self.current == "default" or (self.current == "plan" and self.project == "default")


def why_unasked(project_id: int, tool_name: str, tool_input: dict[str, Any]) -> dict | None:
    """Why clawweb lets this call through without a person (a stored message), or None: ask."""
    with session_scope() as session:
        row = session.get(AgentSettings, project_id)
        rules = list(row.allowed_tools or []) if row else []
        read_only = bool(row.allow_read_only) if row else False
    rule = approval_rules.allowing_rule(rules, tool_name, tool_input) \
        or approval_rules.prefix_rule_for_cli(rules, tool_name, tool_input)
    if rule is not None:
        return stored.note("approvals.why.rule", rule=rule)
    if read_only and is_read_only(tool_name, tool_input):
        return stored.note("approvals.why.read_only")
    return None


def _pre_tool_use(project_id: int, mode: Mode, emit: Callable[[str, dict[str, Any]], None]):
    async def pre_tool_use(hook_input: dict[str, Any], tool_use_id: str | None, _context):
        use_id = tool_use_id or hook_input.get("tool_use_id", "")
        if not mode.asks_everything():
            # The CLI decides in this mode; the card says which mode let the call
            # pass (a request the CLI raises anyway replaces the note, see Conversation).
            emit("agent.tool_why", {"tool_use_id": use_id,
                                    "why": stored.note("approvals.why.mode", mode=mode.current)})
            return {}
        name = str(hook_input.get("tool_name") or "")
        tool_input = hook_input.get("tool_input") or {}
        if mode.current == "plan" and is_plan_file(name, tool_input):
            # The CLI's own plan file, in its config dir: the plan itself is asked about.
            emit("agent.tool_why", {"tool_use_id": use_id,
                                    "why": stored.note("approvals.why.plan_file")})
            return {}
        why = await anyio.to_thread.run_sync(why_unasked, project_id, name, tool_input)
        if why is None:
            return {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                           "permissionDecision": "ask",
                                           "permissionDecisionReason": ASK_REASON}}
        emit("agent.tool_why", {"tool_use_id": use_id, "why": why})
        return {}
    return pre_tool_use


def make_hooks(*, project_id: int, mode: Mode,
               emit: Callable[[str, dict[str, Any]], None]) -> dict:
    """The SDK ``hooks`` option for a task: ask (or note the mode) before every call."""
    # "block": an ask hook that fails stops the call rather than letting it run
    # unasked (in a mode where the CLI decides, a failed note blocks too: rarer
    # than a note lost, and never unsafe).
    hook = _pre_tool_use(project_id, mode, emit)
    return {"PreToolUse": [HookMatcher(matcher=None, hooks=[hook], on_failure="block")]}
