"""The worker side of approvals: the SDK's ``can_use_tool`` becomes a request a person answers.

The wait is on Redis (``BLPOP streams.approval_answer_key``) in short slices, so
a cancel is noticed and a decision that reached the database while Redis was
away is still found. No browser is involved: closing every tab loses nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import Any

import anyio
import redis as redis_lib
from claude_agent_sdk import PermissionResultAllow, PermissionResultDeny, ToolPermissionContext
from claude_agent_sdk.types import PermissionRuleValue, PermissionUpdate

from clawweb import redis_conn, streams
from clawweb.db import session_scope
from clawweb.i18n import t
from clawweb.models import AgentSettings, Task, TaskStatus, utcnow
from clawweb.services import approval_rules, approvals
from worker.agents import claude_plan
from worker.agents.claude_hooks import Mode, why_unasked

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


def set_status(task_id: int, project_id: int, status: TaskStatus,
               emit: Callable[[str, dict[str, Any]], None]) -> None:
    """running <-> awaiting_approval, never over a terminal status (a cancel won)."""
    with session_scope() as session:
        task = session.get(Task, task_id)
        if task is None or task.status not in (TaskStatus.running, TaskStatus.awaiting_approval):
            return
        task.status = status
        task.updated_at = utcnow()
        session.add(task)
    emit("status", {"status": status.value, "reason": "", "exit_code": None})
    try:
        streams.publish_task_change(redis_conn.get_redis(), task_id, project_id, status.value)
    except redis_lib.RedisError:
        log.warning("task %s: status change not announced (Redis unavailable)", task_id)


def _poll_answer(approval_id: int, timeout: float) -> dict[str, Any] | None:
    """The decision stored in the database, waking early when Redis says one was made.

    What Redis carries is only a wake-up: the answer is read from the row, which
    only ``approvals.decide`` (a user with rights) or a withdrawal writes, so a
    value planted in Redis decides nothing.
    """
    try:
        redis_conn.get_redis().blpop([streams.approval_answer_key(approval_id)],
                                     timeout=max(timeout, 0.01))
    except redis_lib.RedisError:
        time.sleep(timeout)
    with session_scope() as session:
        row = approvals.decision_of(session=session, approval_id=approval_id)
        if row is None:
            return None
        if row.decision == approvals.WITHDRAWN:
            return {"decision": approvals.WITHDRAWN, "message": "", "rule": ""}
        if row.decision in approvals.DECISIONS and row.decided_by is not None:
            return {"decision": row.decision, "message": row.message, "rule": ""}
    return None


def wait_for_answer(approval_id: int, deadline: float,
                    should_stop: Callable[[], bool]) -> dict[str, Any]:
    """Block until a decision, the deadline (-> expired), a stop (-> stopped) or a withdrawal."""
    while True:
        remaining = deadline - time.time()
        if should_stop():
            return {"decision": "stopped", "message": "", "rule": ""}
        if remaining <= 0:
            with session_scope() as session:
                row = approvals.expire(session=session, approval_id=approval_id)
                if row.decision != "expired":  # a decision (or a withdrawal) won the race
                    return {"decision": row.decision, "message": row.message, "rule": ""}
            return {"decision": "expired", "message": "", "rule": ""}
        answer = _poll_answer(approval_id, min(POLL_SECONDS, remaining))
        if answer is not None:
            return answer


def _rule_update(rule: str) -> list[PermissionUpdate]:
    tool, content = approval_rules.rule_parts(rule)
    return [PermissionUpdate(type="addRules", behavior="allow", destination="session",
                             rules=[PermissionRuleValue(tool_name=tool, rule_content=content)])]


def _to_result(answer: dict[str, Any], timeout_seconds: int, rule: str | None):
    """The SDK's answer; ``rule`` is the call's own narrow rule (None: allow once only)."""
    decision = answer.get("decision")
    if decision == "allow":
        return PermissionResultAllow()
    if decision == "allow_always":
        return PermissionResultAllow(updated_permissions=_rule_update(rule) if rule else None)
    if decision == "expired":
        return PermissionResultDeny(message=t("approvals.timed_out_text", seconds=timeout_seconds))
    if decision in ("stopped", approvals.WITHDRAWN):
        return PermissionResultDeny(message="The task was stopped.", interrupt=True)
    return PermissionResultDeny(message=answer.get("message") or t("approvals.denied_text"))


def make_can_use_tool(*, task_id: int, project_id: int, timeout_seconds: int,
                      emit: Callable[[str, dict[str, Any]], None], should_stop: Callable[[], bool],
                      mode: Mode | None = None, after_plan: str = "default",
                      plans_dir: Path | None = None):
    """The SDK callback for one task; ``mode`` and ``after_plan`` serve a plan's approval."""
    mode = mode or Mode(current="default", project="default")

    async def can_use_tool(tool_name: str, tool_input: dict[str, Any],
                           context: ToolPermissionContext):
        # "Always allow" is also handed to the CLI as a session rule, but the
        # project's stored rules are the truth: they cover a rule added by
        # another task a moment ago, and a CLI that asks before applying ours.
        plan = claude_plan.is_plan(tool_name)
        why = None if plan else await anyio.to_thread.run_sync(why_unasked, project_id,
                                                                tool_name, tool_input)
        if why is not None:
            emit("agent.tool_why", {"tool_use_id": context.tool_use_id or "", "why": why})
            return PermissionResultAllow()
        tool_use_id = context.tool_use_id or f"anon-{time.time_ns()}"
        if plan and plans_dir is not None:
            tool_input = await anyio.to_thread.run_sync(claude_plan.plan_input, tool_input,
                                                        plans_dir)
        row = await anyio.to_thread.run_sync(lambda: _create(task_id, tool_use_id, tool_name,
                                                             tool_input, timeout_seconds))
        expires = row.expires_at.replace(tzinfo=timezone.utc)
        emit("agent.approval", {"approval_id": row.id, "tool_use_id": tool_use_id,
                                "tool": tool_name, "input": row.tool_input,
                                "expires_at": expires.isoformat()})
        await anyio.to_thread.run_sync(set_status, task_id, project_id,
                                       TaskStatus.awaiting_approval, emit)
        answer = await anyio.to_thread.run_sync(wait_for_answer, row.id, expires.timestamp(),
                                                should_stop)
        emit("agent.approval_answer", {"approval_id": row.id, "decision": answer["decision"],
                                       "message": answer.get("message", "")})
        if answer["decision"] not in ("stopped", approvals.WITHDRAWN):
            await anyio.to_thread.run_sync(set_status, task_id, project_id, TaskStatus.running, emit)
        # The session rule is worked out here, from the very call the CLI asked
        # about, with the function that chose the stored rule: never taken from
        # the answer, so nothing on the way can widen what the CLI applies.
        if plan and (result := claude_plan.plan_result(answer, mode, after_plan)) is not None:
            return result
        rule = approvals.rule_for(tool_name, tool_input)
        if answer["decision"] == "allow_always" and answer.get("rule") not in ("", None, rule):
            log.warning("approval %s: answer named rule %r, the call's own is %r; using the latter",
                        row.id, answer.get("rule"), rule)
        return _to_result(answer, timeout_seconds, rule)

    return can_use_tool


def _project_allows(project_id: int, tool_name: str, tool_input: dict[str, Any]) -> bool:
    with session_scope() as session:
        row = session.get(AgentSettings, project_id)
        rules = list(row.allowed_tools or []) if row else []
    return approval_rules.project_allows(rules, tool_name, tool_input)


def _create(task_id, tool_use_id, tool_name, tool_input, timeout_seconds):
    with session_scope() as session:
        task = session.get(Task, task_id)
        return approvals.create_request(session=session, task=task, tool_use_id=tool_use_id,
                                        tool_name=tool_name, tool_input=tool_input,
                                        timeout_seconds=timeout_seconds)
