"""A plan proposed in plan mode: Claude's ``ExitPlanMode`` call, answered by a person.

The CLI asks ``can_use_tool`` before leaving plan mode, with the plan (markdown)
as the call's input. It becomes an ordinary approval request (the task page
shows it as a plan card); the answer is turned into what the CLI expects:

- approve: leave plan mode for the project's editing mode
  (:func:`clawweb.services.agents.choices.mode_after_plan`: accept edits where
  the project allows it, else ask), as a session ``setMode`` update, and
  switch the worker's :class:`~worker.agents.claude_hooks.Mode` with it so the
  ask hook covers the calls that follow;
- keep planning: a denial *without* interrupt, carrying the person's words (or
  a default), so the agent goes on planning in the same turn.

A plan is never approved by a project rule: leaving plan mode is a person's call.

The CLI (2.1) keeps the plan in a file it writes under its config dir
(``plans/<name>.md``), not in the call's input. That dir is on the task's own
disk and the container wrote it, so the worker reads it as it reads the
session transcript (:func:`worker.agents.claude_session.read_regular`: no link
followed, regular files only, size-capped) and stores the text as the
request's input (``{"plan": ...}``), shown as inert markdown.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from claude_agent_sdk import PermissionResultAllow, PermissionResultDeny
from claude_agent_sdk.types import PermissionUpdate

from clawweb.i18n import t
from worker.agents.claude_hooks import Mode, is_plan_file  # noqa: F401 (re-exported)
from worker.agents.claude_session import Refused, read_regular

PLAN_TOOL = "ExitPlanMode"
PLAN_MAX_BYTES = 256 * 1024
def _newest_md(plans_dir: Path) -> str | None:
    try:
        fd = os.open(plans_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        seen = []
        for name in os.listdir(fd):
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if name.endswith(".md") and stat.S_ISREG(st.st_mode):
                seen.append((st.st_mtime_ns, name))
    finally:
        os.close(fd)
    return max(seen)[1] if seen else None


def plan_input(tool_input: dict[str, Any], plans_dir: Path) -> dict[str, Any]:
    """The request's input: the call's own ``plan``, else the newest plan file's text."""
    if isinstance(tool_input.get("plan"), str) and tool_input["plan"].strip():
        return {"plan": tool_input["plan"]}
    name = _newest_md(plans_dir)
    if name is None:
        return {"plan": ""}
    try:
        data = read_regular(plans_dir, (name,), PLAN_MAX_BYTES)
    except Refused:
        return {"plan": ""}
    return {"plan": (data or b"").decode("utf-8", errors="replace")}


def is_plan(tool_name: str) -> bool:
    """Whether this permission request is a plan to approve."""
    return tool_name == PLAN_TOOL


def plan_result(answer: dict[str, Any], mode: Mode, after_plan: str):
    """The SDK's answer to a plan, or None when it is no plain yes/no (expired, stopped)."""
    decision = answer.get("decision")
    if decision in ("allow", "allow_always"):  # "always" means nothing for a plan
        mode.current = after_plan
        return PermissionResultAllow(updated_permissions=[
            PermissionUpdate(type="setMode", mode=after_plan, destination="session")])
    if decision == "deny":
        return PermissionResultDeny(message=answer.get("message") or t("approvals.keep_planning_text"),
                                    interrupt=False)
    return None
