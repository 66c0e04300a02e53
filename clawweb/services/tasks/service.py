"""Tasks: submit, cancel, re-run, read, and why a task is still waiting.

The row is committed first and dispatched to RQ after (see ``task_queue``); a
replayed idempotency key returns the task it made the first time.
"""

from __future__ import annotations

import logging

import redis as redis_lib
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clawweb import redis_conn, streams
from clawweb.i18n import stored
from clawweb.models import (
    ACTIVE_STATUSES, TERMINAL_STATUSES, Priority, Project, ProjectMember, ProjectRole, Role,
    Task, TaskStatus, User, utcnow,
)
from clawweb.services import access, audit
from clawweb.services.tasks import attachment_blobs, attachments, queue as task_queue, reads
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied, Unavailable
from clawweb.services.notify import hooks as notify

log = logging.getLogger(__name__)

KINDS = ("shell", "claude")
MAX_COMMAND_BYTES = 100 * 1024
MAX_TIMEOUT_SECONDS = 86400
CANCEL_SIGNAL_TTL = 7 * 86400


def _require(session: Session, user: User, project_id: int, role: ProjectRole):
    return access.require_role(session=session, user=user, project_id=project_id,
                               at_least=role)


def _ping_redis():
    redis = redis_conn.get_redis()
    try:
        redis.ping()
    except redis_lib.RedisError as exc:
        raise Unavailable("errors.redis_unavailable") from exc
    return redis


def _validate(command: str, priority: str, timeout_seconds: int, kind: str,
              idempotency_key: str) -> None:
    if not command or not command.strip():
        raise InvalidInput("tasks.error.command_empty")
    if len(command.encode("utf-8", "surrogatepass")) > MAX_COMMAND_BYTES:
        raise InvalidInput("tasks.error.command_too_long", limit_kb=MAX_COMMAND_BYTES // 1024)
    if priority not in Priority.__members__:
        raise InvalidInput("tasks.error.priority")
    if not isinstance(timeout_seconds, int) or not 1 <= timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidInput("tasks.error.timeout", max=MAX_TIMEOUT_SECONDS)
    if kind not in KINDS:
        raise InvalidInput("tasks.error.kind")
    if not idempotency_key or len(idempotency_key) > 64:
        raise InvalidInput("tasks.error.idempotency_key")


def _replayed(session: Session, user: User, key: str) -> Task | None:
    task = session.exec(select(Task).where(Task.idempotency_key == key)).first()
    if task is not None and task.created_by != user.id:
        raise InvalidInput("tasks.error.idempotency_key")
    return task


def _title(command: str) -> str:
    first = command.strip().splitlines()[0] if command.strip() else ""
    return first[:80] + ("…" if len(first) > 80 else "")


def submit_task(*, session: Session, user: User, project_id: int, command: str,
                priority: str = "normal", timeout_seconds: int | None = None,
                idempotency_key: str, kind: str = "shell", trigger: str = "ui",
                parent_id: int | None = None, ip: str = "", branch: str | None = None,
                model: str = "", permission_mode: str = "",
                attachment_ids: list[str] | None = None) -> Task:
    """Create a queued task (editor or better) and hand it to a worker when a slot is free.

    ``branch`` None gives the task its own ``clawweb/task-<id>``; a follow-up
    passes its parent's branch to continue it. ``model`` and ``permission_mode``
    are a Claude prompt's choices, already checked by ``services.agents.choices``.
    ``attachment_ids`` are the caller's pending uploads, handed to the task in
    the same commit (``services.tasks.attachments``).

    Returns:
        The new task, or the one this ``idempotency_key`` already made.

    Raises:
        InvalidInput: bad command, priority, timeout, kind or key.
        Unavailable: Redis is down; nothing was created.
        NotFound / PermissionDenied: from the project access check.
    """
    _require(session, user, project_id, ProjectRole.editor)
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound()
    if timeout_seconds is None:
        timeout_seconds = project.task_timeout_seconds
    _validate(command, priority, timeout_seconds, kind, idempotency_key)
    if (existing := _replayed(session, user, idempotency_key)) is not None:
        return existing
    redis = _ping_redis()
    task = Task(project_id=project_id, created_by=user.id, kind=kind, command=command,
                title=_title(command), priority=Priority(priority), trigger=trigger,
                parent_id=parent_id, idempotency_key=idempotency_key,
                timeout_seconds=timeout_seconds, branch="", model=model,
                permission_mode=permission_mode)
    session.add(task)
    try:
        session.flush()
        task.branch = branch or f"clawweb/task-{task.id}"
        attachments.attach(session, user, project_id, task.id, attachment_ids or [])
        _audit_submit(session, user, task, ip)
        queued = task_queue.stage_queued(session, task)
        session.commit()
    except IntegrityError:
        # Two replays raced past the lookup; the first one's row is the answer.
        session.rollback()
        if (existing := _replayed(session, user, idempotency_key)) is not None:
            return existing
        raise
    except InvalidInput:
        session.rollback()
        raise
    task_queue.announce_staged(task, TaskStatus.queued, queued, redis=redis)
    _dispatch_quietly(session, project_id)
    session.refresh(task)
    return task


def _audit_submit(session: Session, user: User, task: Task, ip: str) -> None:
    choices = ({"model": task.model, "permission_mode": task.permission_mode}
               if task.kind == "claude" else {})
    audit.record(session=session, actor=user, action="task.submit", object_type="task",
                 object_id=task.id, ip=ip,
                 after={"project_id": task.project_id, "kind": task.kind,
                        "priority": task.priority.value, "timeout_seconds": task.timeout_seconds,
                        "trigger": task.trigger, "parent_id": task.parent_id,
                        "branch": task.branch, **choices})


def _dispatch_quietly(session: Session, project_id: int) -> None:
    """Dispatch now if possible; if Redis dropped after the commit, the sweep will."""
    try:
        task_queue.dispatch_ready(session=session, project_id=project_id)
    except Unavailable:
        log.warning("project %s: dispatch deferred to the sweep (Redis down)", project_id)


def get_task(*, session: Session, user: User, task_id: int) -> Task:
    """One task the user may see (viewer or better), read from the database now.

    One statement: the membership is part of the query (``reads``), and
    ``populate_existing`` overwrites a copy this session already holds, so a
    caller sees what a worker wrote since (what a separate refresh did).
    """
    task = session.exec(reads.one(user, task_id)
                        .execution_options(populate_existing=True)).first()
    if task is None:
        raise NotFound()
    return task


def visible_project_ids(session: Session, user: User) -> list[int] | None:
    """Projects the user can see; None means all (admins); none at all when disabled."""
    if user.disabled:
        return []
    if user.role == Role.admin:
        return None
    return list(session.exec(select(ProjectMember.project_id)
                             .where(ProjectMember.user_id == user.id)).all())


def list_tasks(*, session: Session, user: User, project_id: int | None = None,
               status: str | list[str] | None = None, limit: int = 50,
               before_id: int | None = None) -> list[Task]:
    """Newest first. ``project_id`` None = every project the user can see;
    ``before_id`` pages on (tasks older than that id). One statement (``reads``).

    Raises:
        PermissionDenied: the user is disabled (also for the list of every project).
        NotFound: ``project_id`` names a project the user cannot see.
    """
    q = reads.listing(user, project_id=project_id, status=status, limit=limit,
                      before_id=before_id)
    session.expire_all()
    found = list(session.exec(q).all())
    if not found:
        reads.check_empty(session, user, project_id)
    return found


def cancel_task(*, session: Session, user: User, task_id: int, ip: str = "") -> Task:
    """Cancel (editor or better). Queued: at once. Running: the worker stops it within ~2 s."""
    task = get_task(session=session, user=user, task_id=task_id)
    _require(session, user, task.project_id, ProjectRole.editor)
    if task.status in TERMINAL_STATUSES:
        return task
    reason = stored.encode("tasks.ended.cancelled_by", user=user.username)
    if task_queue.transition(
            session=session, task_id=task.id, from_statuses=[TaskStatus.queued],
            to=TaskStatus.cancelled, commit=False,
            values={"cancelled_by": user.id, "finished_at": utcnow(), "failure_reason": reason}):
        audit.record(session=session, actor=user, action="task.cancel", object_type="task",
                     object_id=task.id, ip=ip, before={"status": "queued"},
                     after={"status": "cancelled"})
        staged = task_queue.stage_status(session, task, TaskStatus.cancelled, reason)
        session.commit()
        # No worker ever sees a task cancelled in the queue: its files go here.
        attachment_blobs.remove(attachment_blobs.of_task(session, task.id))
        _announce_cancel(session, task, staged)
        notify.task_ended(task.id)
        return get_task(session=session, user=user, task_id=task_id)
    session.rollback()
    _request_stop(session, user, task, ip)
    return get_task(session=session, user=user, task_id=task_id)


def _announce_cancel(session: Session, task: Task, staged: list) -> None:
    try:
        task_queue.announce_staged(task, TaskStatus.cancelled, staged)
    except redis_lib.RedisError:
        log.warning("task %s cancelled; announcement failed (Redis down)", task.id)
    _dispatch_quietly(session, task.project_id)


def _request_stop(session: Session, user: User, task: Task, ip: str) -> None:
    session.refresh(task)
    if task.status not in ACTIVE_STATUSES and task.status != TaskStatus.queued:
        return
    task.cancel_requested_by = user.id
    audit.record(session=session, actor=user, action="task.cancel", object_type="task",
                 object_id=task.id, ip=ip, before={"status": task.status.value},
                 after={"cancel_requested": True})
    session.add(task)
    session.commit()
    try:
        redis_conn.get_redis().set(streams.task_cancel_key(task.id), str(user.id),
                                   ex=CANCEL_SIGNAL_TTL)
    except redis_lib.RedisError:
        # The worker also polls cancel_requested_by in the database.
        log.warning("task %s: cancel signal not sent to Redis; the DB flag stands", task.id)


def rerun_task(*, session: Session, user: User, task_id: int, idempotency_key: str,
               ip: str = "", trigger: str = "ui") -> Task:
    """A new task with the same command and settings (editor or better).

    A Claude task keeps its prompt's permission mode (refused if the project no
    longer allows it) and its model while the project still offers it.
    """
    old = get_task(session=session, user=user, task_id=task_id)
    model = mode = ""
    if old.kind == "claude":
        model, mode = claude_choices_now(session, project_id=old.project_id, model=old.model,
                                         permission_mode=old.permission_mode)
    return submit_task(session=session, user=user, project_id=old.project_id,
                       command=old.command, priority=old.priority.value,
                       timeout_seconds=old.timeout_seconds, idempotency_key=idempotency_key,
                       kind=old.kind, trigger=trigger, ip=ip, model=model,
                       permission_mode=mode)


def claude_choices_now(session: Session, *, project_id: int, model: str,
                       permission_mode: str) -> tuple[str, str]:
    """The (model, mode) a new run of earlier Claude choices gets from the project's offer now.

    Used by "run again" and by each run of a schedule. A model the project no
    longer offers gives way to the project's default (after a run ``Task.model``
    is the one that answered, which the offer may name differently); a mode it
    no longer allows is refused.

    Raises:
        InvalidInput: ``agent_tasks.mode_not_allowed``.
    """
    from clawweb.services.agents import choices, settings as agent_settings

    conf = agent_settings.for_project(session=session, project_id=project_id)
    model = model if model in choices.allowed_models(conf) else ""
    return choices.resolve(conf, model=model, permission_mode=permission_mode or "")
