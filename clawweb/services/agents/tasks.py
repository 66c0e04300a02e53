"""Claude Code tasks as people use them: ask, follow up, interrupt, read the thread.

A Claude task is an ordinary task (``tasks.submit_task`` with ``kind="claude"``,
the prompt in ``Task.command``), so the queue, workers, cancel and output work
the same as for shell tasks. A follow-up is a new task linked by ``parent_id``:
it works on its parent's branch (``Task.branch`` is copied) and the worker
resumes the parent's Claude session, so the conversation and the code go on
together on any worker.
"""

from __future__ import annotations

import redis as redis_lib
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.models import (
    ACTIVE_STATUSES, TERMINAL_STATUSES, ProjectRole, Task, TaskStatus, User,
)
from clawweb.services import access, audit
from clawweb.services.agents import choices, credentials, settings as agent_settings
from clawweb.services.tasks import service as tasks
from clawweb.services.crypto import SecretUnreadable
from clawweb.services.errors import InvalidInput, Unavailable

KIND = "claude"
# Long enough for a slow worker to notice it; a stale flag on a finished task is harmless.
INTERRUPT_SIGNAL_TTL = 86400
BUSY_STATUSES = (TaskStatus.queued, *ACTIVE_STATUSES)


def _require(session: Session, user: User, project_id: int, role: ProjectRole) -> None:
    access.require_role(session=session, user=user, project_id=project_id, at_least=role)


def _check_credential(session: Session, user: User, project_id: int) -> None:
    """Refuse at once when the task would only fail for want of a credential."""
    try:
        found = credentials.resolve(session=session, project_id=project_id, user_id=user.id)
    except SecretUnreadable as exc:
        raise InvalidInput("agent_tasks.credential_unreadable") from exc
    if found is None:
        raise InvalidInput("agent_tasks.no_credential")


def _choices(session: Session, project_id: int, model: str, permission_mode: str):
    conf = agent_settings.for_project(session=session, project_id=project_id)
    return choices.resolve(conf, model=model, permission_mode=permission_mode)


def submit_prompt(*, session: Session, user: User, project_id: int, prompt: str,
                  priority: str = "normal", idempotency_key: str, ip: str = "",
                  trigger: str = "ui", model: str = "", permission_mode: str = "",
                  attachment_ids: list[str] | None = None) -> Task:
    """Queue a new Claude Code task on the project (editor or better).

    ``model`` and ``permission_mode`` ("" = the project's) must be ones the
    project allows (``choices.resolve``); the task records what it will run with.

    Returns:
        The queued task (or the one ``idempotency_key`` already made).

    Raises:
        InvalidInput: ``agent_tasks.no_credential`` when neither the project nor
            the user has a credential; ``agent_tasks.model_not_allowed`` /
            ``mode_not_allowed``; prompt/priority/key errors from ``tasks``.
        Unavailable: Redis is down; nothing was created.
        NotFound / PermissionDenied: from the project access check.
    """
    _require(session, user, project_id, ProjectRole.editor)
    _check_credential(session, user, project_id)
    model, mode = _choices(session, project_id, model, permission_mode)
    return tasks.submit_task(session=session, user=user, project_id=project_id,
                             command=prompt, priority=priority,
                             idempotency_key=idempotency_key, kind=KIND, ip=ip,
                             trigger=trigger, model=model, permission_mode=mode,
                             attachment_ids=attachment_ids)


def _branch_busy(session: Session, task: Task) -> bool:
    if not task.branch:
        return False
    return session.exec(select(Task.id).where(
        Task.project_id == task.project_id, Task.branch == task.branch,
        Task.status.in_(BUSY_STATUSES))).first() is not None


def follow_up(*, session: Session, user: User, task_id: int, prompt: str,
              idempotency_key: str, ip: str = "", trigger: str = "ui", model: str = "",
              permission_mode: str = "", attachment_ids: list[str] | None = None) -> Task:
    """Continue a finished Claude task: same branch, same conversation (editor or better).

    ``attachment_ids`` are the caller's pending uploads in the task's project; they
    go with the follow-up exactly as with a new task (``tasks.submit_task``).

    Returns:
        The new queued task, with ``parent_id`` = ``task_id``.

    Raises:
        InvalidInput: ``agent_tasks.not_claude``, ``agent_tasks.parent_active``
            (the parent, or another task on its branch, has not finished),
            ``agent_tasks.no_session`` (nothing to resume), or as ``submit_prompt``.
    """
    parent = tasks.get_task(session=session, user=user, task_id=task_id)
    _require(session, user, parent.project_id, ProjectRole.editor)
    if parent.kind != KIND:
        raise InvalidInput("agent_tasks.not_claude")
    if parent.status not in TERMINAL_STATUSES or _branch_busy(session, parent):
        # Two runs on one branch would overwrite each other's commits.
        raise InvalidInput("agent_tasks.parent_active")
    if not parent.agent_session_id:
        raise InvalidInput("agent_tasks.no_session")
    _check_credential(session, user, parent.project_id)
    model, mode = _choices(session, parent.project_id, model, permission_mode)
    return tasks.submit_task(session=session, user=user, project_id=parent.project_id,
                             command=prompt, priority=parent.priority.value,
                             idempotency_key=idempotency_key, kind=KIND, ip=ip,
                             parent_id=parent.id, branch=parent.branch or None,
                             trigger=trigger, model=model, permission_mode=mode,
                             attachment_ids=attachment_ids)


def interrupt(*, session: Session, user: User, task_id: int, ip: str = "") -> None:
    """Stop the current turn of a running Claude task; its session stays resumable.

    The worker ends the task with "Interrupted" (exit 130); a follow-up carries on.

    Raises:
        InvalidInput: ``agent_tasks.not_claude`` or ``agent_tasks.not_running``.
        Unavailable: Redis is down; the signal was not sent.
    """
    task = tasks.get_task(session=session, user=user, task_id=task_id)
    _require(session, user, task.project_id, ProjectRole.editor)
    if task.kind != KIND:
        raise InvalidInput("agent_tasks.not_claude")
    if task.status not in ACTIVE_STATUSES:
        raise InvalidInput("agent_tasks.not_running")
    try:
        redis_conn.get_redis().set(streams.task_interrupt_key(task.id), str(user.id),
                                   ex=INTERRUPT_SIGNAL_TTL)
    except redis_lib.RedisError as exc:
        raise Unavailable("errors.redis_unavailable") from exc
    audit.record(session=session, actor=user, action="task.interrupt", object_type="task",
                 object_id=task.id, ip=ip, before={"status": task.status.value},
                 after={"interrupt_requested": True})
    session.commit()


def _newest_child(session: Session, task: Task) -> Task | None:
    return session.exec(select(Task).where(Task.parent_id == task.id)
                        .order_by(Task.id.desc())).first()


def thread(*, session: Session, user: User, task_id: int) -> list[Task]:
    """The conversation ``task_id`` belongs to, oldest first (viewer or better).

    Ancestors up to the root, the task itself, then its newest follow-up, that
    one's newest follow-up, and so on to the latest.
    """
    task = tasks.get_task(session=session, user=user, task_id=task_id)
    chain = [task]
    seen = {task.id}
    while chain[0].parent_id and chain[0].parent_id not in seen:
        parent = session.get(Task, chain[0].parent_id)
        if parent is None or parent.project_id != task.project_id:
            break
        chain.insert(0, parent)
        seen.add(parent.id)
    while (child := _newest_child(session, chain[-1])) is not None and child.id not in seen:
        chain.append(child)
        seen.add(child.id)
    return chain
