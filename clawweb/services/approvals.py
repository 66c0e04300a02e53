"""Approval requests: the agent asks to use a tool, a project member answers.

The worker creates the request (``create_request``) and waits on Redis for the
answer (``streams.approval_answer_key``), checking the database too, so a Redis
blip never loses a decision. ``decide`` admits one decision per request: the
row is updated only while it is still pending and unexpired, in a single
conditional UPDATE, so a second click, a replayed event or a race between two
browsers finds nothing to change. A timeout counts as a denial (``expire``).
When the task leaves the running states every open request is withdrawn
(``withdraw_open``, in the same transaction as the task's ending), and a
decision on a finished task is refused.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import redis as redis_lib
from sqlalchemy import update
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.i18n import stored
from clawweb.models import (
    PROJECT_ROLE_RANK, TERMINAL_STATUSES, AgentSettings, Approval, ProjectMember, ProjectRole,
    Role, Task, User, iso_utc, utcnow,
)
from clawweb.services import audit
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied, Unavailable
from clawweb.services.agents.settings import MAX_RULES
from clawweb.services.approval_rules import rule_for
from clawweb.services.notify import hooks as notify

log = logging.getLogger(__name__)

DECISIONS = ("allow", "deny", "allow_always")
WITHDRAWN = "withdrawn"
MAX_MESSAGE = 2000
ANSWER_TTL_SECONDS = 24 * 3600
_INPUT_CAP = 20_000


def _cap(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= _INPUT_CAP else value[:_INPUT_CAP] + "…"
    if isinstance(value, dict):
        return {k: _cap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cap(v) for v in value]
    return value


def _notify(payload: dict[str, Any]) -> None:
    try:
        redis_conn.get_redis().xadd(streams.approvals_changes_key(),
                                    {k: str(v) for k, v in payload.items()},
                                    maxlen=streams.TASK_CHANGES_MAXLEN, approximate=True)
    except redis_lib.RedisError as exc:
        raise Unavailable() from exc


def create_request(*, session: Session, task: Task, tool_use_id: str, tool_name: str,
                   tool_input: dict[str, Any], timeout_seconds: int) -> Approval:
    """Record a pending request and tell open browsers (called by the worker).

    Raises:
        Unavailable: Redis is down (the row is still stored; the worker's wait
            finds decisions in the database too).
    """
    row = session.exec(select(Approval).where(
        Approval.task_id == task.id, Approval.tool_use_id == tool_use_id)).first()
    if row is None:
        row = Approval(task_id=task.id, tool_use_id=tool_use_id, tool_name=tool_name,
                       tool_input=_cap(tool_input), requested_by=task.created_by,
                       expires_at=utcnow() + timedelta(seconds=timeout_seconds))
        session.add(row)
        session.flush()
        audit.record(session=session, actor=None, actor_name="worker", action="approval.request",
                     object_type="approval", object_id=row.id,
                     after={"task_id": task.id, "tool": tool_name})
        session.commit()
    notify.approval_requested(row.id)
    _notify({"approval_id": row.id, "task_id": task.id, "project_id": task.project_id,
             "state": "pending"})
    return row


def _project_role(session: Session, user: User, project_id: int) -> int:
    if user.disabled:
        return 0
    if user.role == Role.admin:
        return PROJECT_ROLE_RANK[ProjectRole.owner]
    member = session.exec(select(ProjectMember).where(
        ProjectMember.project_id == project_id, ProjectMember.user_id == user.id)).first()
    return PROJECT_ROLE_RANK[ProjectRole(member.role)] if member else 0


def _load_for(session: Session, user: User, approval_id: int, ip: str) -> tuple[Approval, Task]:
    row = session.get(Approval, approval_id)
    task = session.get(Task, row.task_id) if row else None
    if row is None or task is None:
        raise NotFound()
    rank = _project_role(session, user, task.project_id)
    if rank < PROJECT_ROLE_RANK[ProjectRole.editor]:
        # Foreign ids are worth a trace: someone tried an id that is not theirs.
        audit.record(session=session, actor=user, action="approval.forbidden",
                     object_type="approval", object_id=approval_id, ip=ip)
        session.commit()
        raise PermissionDenied("approvals.viewer" if rank else "errors.forbidden")
    return row, task


def _check_room(session: Session, project_id: int, rule: str) -> None:
    # Refused before the decision is written: the card promised this rule.
    agent = session.get(AgentSettings, project_id)
    rules = list(agent.allowed_tools or []) if agent else []
    if rule not in rules and len(rules) >= MAX_RULES:
        raise InvalidInput("agents.too_many_rules", max=MAX_RULES)


def _add_rule(session: Session, project_id: int, rule: str) -> None:
    agent = session.get(AgentSettings, project_id) or AgentSettings(project_id=project_id)
    rules = list(agent.allowed_tools or [])
    if rule not in rules:
        agent.allowed_tools = rules + [rule]  # a new list, so the JSON column is saved
        session.add(agent)


def decide(*, session: Session, user: User, approval_id: int, decision: str, message: str = "",
           ip: str = "") -> Approval:
    """Answer a pending request once.

    Args:
        decision: "allow", "deny" (``message`` goes back to the agent) or
            "allow_always" (also adds ``rule_for`` the call to the project's
            pre-approved rules; refused when the call has no narrow rule).

    Raises:
        InvalidInput: unknown decision, message too long, already answered
            (``approvals.not_pending``), expired (``approvals.expired``), or
            "allow_always" for a call no narrow rule can name (``approvals.no_rule``).
        PermissionDenied: not an editor or owner of the task's project.
        NotFound: no such request.
    """
    if decision not in DECISIONS:
        raise InvalidInput("approvals.bad_decision")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidInput("approvals.message_too_long")
    row, task = _load_for(session, user, approval_id, ip)
    now = utcnow()
    if row.decision == WITHDRAWN:
        raise InvalidInput("approvals.withdrawn")
    if task.status in TERMINAL_STATUSES or task.cancel_requested_by is not None:
        # Ended, or being stopped: nothing would act on the answer.
        raise InvalidInput("approvals.task_ended")
    if row.decision:
        raise InvalidInput("approvals.not_pending")
    if row.expires_at <= now:
        raise InvalidInput("approvals.expired")
    rule = rule_for(row.tool_name, row.tool_input or {}) if decision == "allow_always" else ""
    if rule is None:
        # A click never stores a blanket rule: without a narrow one, the
        # request stays pending and "allow once" is the only way to allow it.
        raise InvalidInput("approvals.no_rule")
    if rule:
        _check_room(session, task.project_id, rule)
    result = session.execute(
        update(Approval)
        .where(Approval.id == approval_id, Approval.decision == "", Approval.expires_at > now)
        .values(decision=decision, message=message, decided_by=user.id, decided_at=now))
    if result.rowcount != 1:
        session.rollback()
        raise InvalidInput("approvals.not_pending")
    if rule:
        _add_rule(session, task.project_id, rule)
    audit.record(session=session, actor=user, action="approval.decide", object_type="approval",
                 object_id=approval_id, after={"decision": decision, "rule": rule,
                                                "task_id": task.id}, ip=ip)
    session.commit()
    session.refresh(row)
    _answer(row, rule, task)
    notify.approval_decided(row.id)
    return row


def _answer(row: Approval, rule: str, task: Task) -> None:
    # The decision is already committed; the worker also polls the database,
    # so a Redis failure here delays the answer by a poll interval, no more.
    try:
        r = redis_conn.get_redis()
        key = streams.approval_answer_key(row.id)
        payload = json.dumps({"decision": row.decision, "message": row.message, "rule": rule})
        pipe = r.pipeline()
        pipe.rpush(key, payload)
        pipe.expire(key, ANSWER_TTL_SECONDS)
        pipe.execute()
        _notify({"approval_id": row.id, "task_id": task.id, "project_id": task.project_id,
                 "state": row.decision})
    except (redis_lib.RedisError, Unavailable):
        log.warning("approval %s decided but Redis is unavailable; worker will poll", row.id)


def expire(*, session: Session, approval_id: int) -> Approval:
    """Mark a still-pending request expired (the worker, at its timeout).

    Returns the row as it now stands: "expired", or the decision that won the race.
    """
    session.execute(update(Approval).where(Approval.id == approval_id, Approval.decision == "")
                    .values(decision="expired", decided_at=utcnow()))
    audit.record(session=session, actor=None, actor_name="worker", action="approval.expire",
                 object_type="approval", object_id=approval_id)
    session.commit()
    row = session.get(Approval, approval_id)
    session.refresh(row)
    if row.decision == "expired":
        notify.approval_expired(approval_id)
    return row


def withdraw_open(*, session: Session, task_id: int, reason: str,
                  commit: bool = True) -> list[int]:
    """Close every open request of a task that left the running states.

    Args:
        reason: A message key (``approvals.withdrawn.*``), stored as a stored
            message so each reader sees it in their own language.
        commit: False to leave the commit to the caller (the worker withdraws
            in the transaction that records the task's ending, so a page that
            sees the ending never finds a live request).

    Returns:
        The ids withdrawn; they are announced once committed (``announce_withdrawn``,
        called here when ``commit`` is True).
    """
    ids = list(session.exec(select(Approval.id).where(
        Approval.task_id == task_id, Approval.decision == "")).all())
    if not ids:
        return []
    session.execute(update(Approval).where(Approval.id.in_(ids), Approval.decision == "")
                    .values(decision=WITHDRAWN, message=stored.encode(reason),
                            decided_at=utcnow()))
    for approval_id in ids:
        audit.record(session=session, actor=None, actor_name="worker",
                     action="approval.withdraw", object_type="approval", object_id=approval_id,
                     after={"task_id": task_id, "reason": reason})
    if commit:
        session.commit()
        announce_withdrawn(session=session, task_id=task_id, ids=ids)
    return ids


def announce_withdrawn(*, session: Session, task_id: int, ids: list[int]) -> None:
    """Tell open pages and devices that these requests are gone (best effort)."""
    task = session.get(Task, task_id)
    for approval_id in ids:
        try:
            _notify({"approval_id": approval_id, "task_id": task_id,
                     "project_id": task.project_id if task else 0, "state": WITHDRAWN})
        except Unavailable:
            log.warning("approval %s withdrawn; not announced (Redis unavailable)", approval_id)
        notify.approval_decided(approval_id)


def decision_of(*, session: Session, approval_id: int) -> Approval | None:
    """The row, fresh from the database (the worker's fallback to Redis)."""
    row = session.get(Approval, approval_id)
    if row is not None:
        session.refresh(row)
    return row


def pending_for(*, session: Session, user: User, task_id: int | None = None) -> list[Approval]:
    """Pending, unexpired requests of running tasks (not being cancelled) this user may answer."""
    q = (select(Approval, Task).join(Task, Task.id == Approval.task_id)
         .where(Approval.decision == "", Approval.expires_at > utcnow(),
                # a task that ended or is being stopped asks nothing
                Task.cancel_requested_by.is_(None), Task.status.not_in(list(TERMINAL_STATUSES)))
         .order_by(Approval.id))
    if task_id is not None:
        q = q.where(Approval.task_id == task_id)
    out = []
    for row, task in session.exec(q):
        if _project_role(session, user, task.project_id) >= PROJECT_ROLE_RANK[ProjectRole.editor]:
            out.append(row)
    return out


def as_public(row: Approval) -> dict[str, Any]:
    """What a browser may see of a request; ``rule`` is what "Always allow" would add ("" for none)."""
    return {"id": row.id, "task_id": row.task_id, "tool_use_id": row.tool_use_id,
            "tool": row.tool_name, "input": row.tool_input, "decision": row.decision,
            "rule": rule_for(row.tool_name, row.tool_input or {}) or "",
            "message": row.message, "expires_at": iso_utc(row.expires_at),
            "decided_by": row.decided_by, "decided_at": iso_utc(row.decided_at)}
