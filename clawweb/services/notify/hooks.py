"""What the task and approval code calls when something worth a notification happens.

Each hook opens its own database session after the caller's change is
committed, stores the notifications and their deliveries, commits, and then
enqueues the deliveries. A hook never raises: a notification problem must not
fail a task or a decision (it is logged; deliveries left queued are swept).
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

import redis as redis_lib
from sqlmodel import Session, select

from clawweb.db import session_scope
from clawweb.i18n import messages, stored
from clawweb.models import (Approval, Notification, Project, ProjectMember, ProjectRole, Role,
                            Task, TaskStatus, User, utcnow)
from clawweb.services.agents.tool_summary import summary_of
from clawweb.services.notify import centre, delivery, events, text
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

EXPIRING_JOB = "worker.notify_jobs.check_expiring"
CLOSE_JOB = "worker.notify_jobs.close"


def _best_effort(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception:  # noqa: BLE001 - never fail the caller's task or decision
            log.exception("notification hook %s failed", fn.__name__)
    return wrapper


def _emit(session: Session, event: str, task: Task, project: Project | None,
          users: list[User], params: dict, approval_id: int | None = None):
    notes = [n for n in (centre.add(session=session, user_id=u.id, event=event, task_id=task.id,
                                    project_id=task.project_id, approval_id=approval_id,
                                    params=params) for u in users) if n is not None]
    session.flush()
    stand_in = Notification(user_id=0, event=event, task_id=task.id, project_id=task.project_id,
                            approval_id=approval_id, params=params,
                            link=events.deep_link(event, task_id=task.id, approval_id=approval_id),
                            dedupe_key=events.dedupe_key(event, task_id=task.id,
                                                         approval_id=approval_id))
    rows = delivery.plan(session=session, notes=notes, project_id=task.project_id,
                         team_note=stand_in)
    session.commit()
    return [n.user_id for n in notes], rows


def _after(user_ids, rows) -> None:
    centre.announce(user_ids)
    delivery.enqueue(rows)


@functools.lru_cache(maxsize=1)
def _budget_prefix() -> str:
    # Rows written before the Claude adapter stored a key hold the English text.
    return messages()["agents.budget_reached"][0].split("{")[0]


def _budget_reached(task: Task) -> bool:
    reason = task.failure_reason or ""
    found = stored.decode(reason)
    if found is not None:
        return found["key"] == "agents.budget_reached"
    return bool(reason) and reason.startswith(_budget_prefix())


def _task_params(task: Task, project: Project | None) -> dict:
    return {"task_id": task.id, "project": text.summary(project.name if project else ""),
            "summary": text.summary(task.title or task.command)}


def _can_view(session: Session, user: User, project_id: int) -> bool:
    if user.disabled:
        return False
    if user.role == Role.admin:
        return True
    return session.exec(select(ProjectMember.id).where(
        ProjectMember.project_id == project_id, ProjectMember.user_id == user.id)).first() \
        is not None


@_best_effort
def task_ended(task_id: int) -> None:
    """A task reached a terminal status (the worker won the transition)."""
    with session_scope() as session:
        task = session.get(Task, task_id)
        if task is None or task.status not in (TaskStatus.succeeded, TaskStatus.failed,
                                               TaskStatus.timed_out, TaskStatus.cancelled):
            return  # interrupted included: not news, and no failure (events._ENDING)
        event = events.for_ending(task.status, budget_reached=_budget_reached(task))
        creator = session.get(User, task.created_by) if task.created_by else None
        users = [creator] if creator and _can_view(session, creator, task.project_id) else []
        if event == events.TASK_CANCELLED and task.cancelled_by in (None, task.created_by):
            users = []  # cancelling your own task is not news to you
        project = session.get(Project, task.project_id)
        user_ids, rows = _emit(session, event, task, project, users, _task_params(task, project))
    _after(user_ids, rows)


def approvers(session: Session, task: Task) -> list[User]:
    """Who may answer the task's approval requests: its project's editors and owners,
    and its creator when an admin."""
    member_ids = set(session.exec(select(ProjectMember.user_id).where(
        ProjectMember.project_id == task.project_id,
        ProjectMember.role.in_([ProjectRole.owner, ProjectRole.editor]))).all())
    ids = member_ids | ({task.created_by} if task.created_by else set())
    users = [session.get(User, i) for i in sorted(ids)]
    return [u for u in users if u is not None and not u.disabled
            and (u.id in member_ids or u.role == Role.admin)]


def _approval_params(approval: Approval, task: Task, project: Project | None) -> dict:
    return {**_task_params(task, project), "approval_id": approval.id,
            "tool": text.summary(approval.tool_name, 40),
            "summary": text.summary(summary_of(approval.tool_name, approval.tool_input or {})),
            "minutes": max(1, get_settings().notify_expiring_seconds // 60)}


def _approval_event(approval_id: int, event: str, *, only_pending: bool) -> None:
    with session_scope() as session:
        approval = session.get(Approval, approval_id)
        task = session.get(Task, approval.task_id) if approval else None
        if task is None or (only_pending and (approval.decision
                                              or approval.expires_at <= utcnow())):
            return
        project = session.get(Project, task.project_id)
        user_ids, rows = _emit(session, event, task, project, approvers(session, task),
                               _approval_params(approval, task, project), approval.id)
        expires_at = approval.expires_at
    _after(user_ids, rows)
    if event == events.APPROVAL_REQUESTED:
        _schedule_expiring(approval_id, expires_at)


def _schedule_expiring(approval_id: int, expires_at) -> None:
    when = expires_at - timedelta(seconds=get_settings().notify_expiring_seconds)
    if when <= utcnow() + timedelta(seconds=30):
        return  # a short-lived request: "about to expire" would come with it
    try:
        delivery.rq_queue().enqueue_at(when, EXPIRING_JOB, approval_id,
                                       job_id=f"notify-expiring-{approval_id}",
                                       result_ttl=600, failure_ttl=86400)
    except redis_lib.RedisError:
        log.warning("approval %s: no 'about to expire' notice (Redis unavailable)", approval_id)


@_best_effort
def approval_requested(approval_id: int) -> None:
    """The agent asked; everyone who may answer hears about it."""
    _approval_event(approval_id, events.APPROVAL_REQUESTED, only_pending=True)


@_best_effort
def approval_expiring(approval_id: int) -> None:
    """The scheduled check, ``notify_expiring_seconds`` before the request expires."""
    _approval_event(approval_id, events.APPROVAL_EXPIRING, only_pending=True)


def _resolve(approval_id: int) -> None:
    with session_scope() as session:
        user_ids = centre.resolve_approval(session=session, approval_id=approval_id)
    centre.announce(user_ids)
    try:
        delivery.rq_queue().enqueue(CLOSE_JOB, approval_id, job_id=f"notify-close-{approval_id}",
                                    result_ttl=600, failure_ttl=86400)
    except redis_lib.RedisError:
        log.warning("approval %s: notifications not closed (Redis unavailable)", approval_id)


@_best_effort
def approval_decided(approval_id: int) -> None:
    """A decision was made (anywhere): close the request's notification on every device."""
    _resolve(approval_id)


@_best_effort
def approval_expired(approval_id: int) -> None:
    """Nobody answered in time: close the request, tell who could have answered."""
    _resolve(approval_id)
    _approval_event(approval_id, events.APPROVAL_EXPIRED, only_pending=False)
