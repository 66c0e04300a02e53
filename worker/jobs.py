"""RQ jobs. ``run_task(task_id)`` is enqueued by path ("worker.jobs.run_task").

The database decides: a run starts only by moving its task queued -> running
(compare-and-set) while holding the task's Redis lock, and ends only by moving
running -> terminal on the same attempt. A reaper that already decided (the
worker was presumed dead) therefore always wins over a late finish.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlmodel import Session

from clawweb import db, redis_conn, streams
from clawweb.observe import logs
from clawweb.i18n import stored
from clawweb.models import Project, Task, TaskStatus, utcnow
from clawweb.services.tasks import output as task_output, queue as task_queue
from clawweb.services.remotes import sync as remote_sync
from clawweb.services.errors import Unavailable
from clawweb.services.notify import hooks as notify
from clawweb.settings import get_settings
from worker import attachments, worker_name, workspace
from worker.agents import ADAPTERS, AgentContext, AgentResult
from worker.control import StopFlag, TaskLock
from worker.ending import Ending, decide_ending, record_ending
from worker.output import OutputPipe
from worker.sandbox import FakeSandbox, Limits, Sandbox
from worker.sandbox.early import EarlyStart
from worker.sandbox.pool import shared_pool
from worker.sandbox.slots import SlotSandbox
from worker.sandbox_guard import GuardedSandbox

log = logging.getLogger(__name__)


def make_sandbox(name: str) -> Sandbox:
    """The sandbox backend ``CLAWWEB_SANDBOX_BACKEND`` names, for the worker ``name``.

    Docker labels each container with its worker's name, so a restarted worker
    finds and removes what it left behind; the fake runs nothing at all. With
    ``CLAWWEB_WARM_POOL`` > 0, Docker containers come from this process's warm
    pool (one per process: it outlives the task that asked for it).
    """
    settings = get_settings()
    if settings.sandbox_backend == "fake":
        return FakeSandbox()
    if settings.warm_pool > 0:
        return shared_pool(name, settings.warm_pool, settings.data_dir.resolve() / "pool")
    # Slot containers, so that a task's own can start before its working copy exists.
    return SlotSandbox(worker_name=name, slots_dir=settings.data_dir.resolve() / "pool")


def run_task(task_id: int) -> str:
    """Run one task to a terminal state. Safe to call twice: the second is a no-op.

    Returns:
        The final status, or why nothing ran ("not-queued", "locked", "missing").
    """
    settings = get_settings()
    redis = redis_conn.get_redis()
    name = worker_name()
    logs.bind(task_id=task_id)
    lock = TaskLock(redis, task_id, owner=name, ttl=settings.worker_dead_after_seconds)
    with Session(db.get_engine(), expire_on_commit=False) as session:
        if not lock.acquire(wait=settings.worker_dead_after_seconds + 2):
            # Another attempt still holds it; give the slot back for the sweep.
            task_queue.unclaim(session=session, task_id=task_id)
            return "locked"
        try:
            outcome = _run_locked(session, redis, task_id, name)
        finally:
            lock.release()
            logs.unbind(["task_id", "project_id", "user_id"])
        task = session.get(Task, task_id)
        if task is not None:
            _dispatch_next(session, task.project_id)
        return outcome


def _dispatch_next(session: Session, project_id: int) -> None:
    try:
        task_queue.dispatch_ready(session=session, project_id=project_id)
    except Unavailable:
        log.warning("project %s: next task left to the sweep (Redis down)", project_id)


def _run_locked(session: Session, redis, task_id: int, name: str) -> str:
    task = session.get(Task, task_id)
    if task is None:
        return "missing"
    attempt = task.attempt + 1
    if not task_queue.transition(
            session=session, task_id=task_id, from_statuses=[TaskStatus.queued],
            to=TaskStatus.running, attempt=task.attempt, dispatched_only=True,
            values={"attempt": attempt, "worker_name": name, "started_at": utcnow(),
                    "command_started": False}):
        return "not-queued"
    session.refresh(task)
    logs.bind(task_id=task.id, project_id=task.project_id, user_id=task.created_by)
    project = session.get(Project, task.project_id)
    pipe = OutputPipe(task_id=task_id, redis=redis,
                      start_seq=task_output.last_seq(session, task_id, redis),
                      cap_bytes=get_settings().output_cap_bytes)
    pipe.emit("status", {"status": "running", "reason": "", "exit_code": None,
                         "worker": name, "attempt": attempt})
    task_queue.announce(task, TaskStatus.running, redis=redis)
    stop = StopFlag(redis, task_id, task.timeout_seconds)
    try:
        ending = _execute(session, task, project, pipe, stop, name)
    except BaseException:
        # Cold shutdown (second SIGTERM) or a bug: record it, then let it go on.
        _finish(session, task, pipe, _interrupted(session, task), redis)
        raise
    return _finish(session, task, pipe, ending, redis)


def _interrupted(session: Session, task: Task) -> Ending:
    session.refresh(task)
    if not task.command_started:
        return Ending(TaskStatus.failed, stored.encode("tasks.ended.worker_stopped_early"))
    return Ending(TaskStatus.failed, stored.encode("tasks.ended.worker_stopped"))


def _execute(session: Session, task: Task, project: Project, pipe: OutputPipe,
             stop: StopFlag, name: str) -> Ending:
    prepared: workspace.Prepared | None = None
    early = EarlyStart(make_sandbox(name))
    sandbox = GuardedSandbox(early)
    result: AgentResult | None = None
    error = ""
    try:
        try:
            agent = ADAPTERS[task.kind]()
            limits = Limits(memory_mb=project.memory_mb, cpus=project.cpus,
                            pids=project.pids_limit)
            labels = {"clawweb.attempt": str(task.attempt)}
            if agent.mount_targets is not None:
                # dockerd starts the container while git makes the working copy.
                early.prepare(task_id=task.id, limits=limits, targets=agent.mount_targets,
                              labels=labels)
            parent = session.get(Task, task.parent_id) if task.parent_id else None
            _sync_first(session, task, pipe)
            prepared = workspace.prepare(task, project, parent)
            # Before any container: the working copy is still what git checked out.
            attached = attachments.place(session, task, prepared.workdir)
            ctx = AgentContext(
                task=task, project=project, sandbox=sandbox, workdir=prepared.workdir,
                limits=limits, worker_name=name, emit=pipe.emit,
                emit_output=pipe.emit_output, should_stop=stop,
                mark_started=lambda: _mark_started(session, task, stop),
                labels=labels, attachments=attached)
            result = agent.run(ctx)
        except Exception as exc:
            log.exception("task %s failed in the worker", task.id)
            error = _describe(exc)
        values: dict = {}
        if prepared is not None:
            summary = result.summary if result is not None else ""
            values, reason, decisive = _after_run(task, project, prepared, sandbox, pipe,
                                                  summary)
            error = reason if decisive else (error or reason)
        return decide_ending(session, task, stop, result, error, values)
    finally:
        early.discard()  # a container made for a run that never asked for it
        # Also on a cold shutdown: the disk is unmounted and deleted, never left behind.
        if prepared is not None:
            _release(task, prepared)


def _sync_first(session: Session, task: Task, pipe: OutputPipe) -> None:
    # A project may ask for its remote's default branch to be fetched before
    # each task; a failed fetch is said and the task runs on what is here.
    synced = remote_sync.before_task(session=session, project_id=task.project_id)
    if synced is not None:
        pipe.emit("system", stored.note(synced["key"]))


def _mark_started(session: Session, task: Task, stop: StopFlag) -> None:
    # Durable before the sandbox starts: from here on, never retried.
    session.execute(update(Task).where(Task.id == task.id, Task.attempt == task.attempt)
                    .values(command_started=True))
    session.commit()
    task.command_started = True
    stop.start_clock()  # the task's timeout is the command's time, not the preparation's


def _describe(exc: Exception) -> str:
    """A failure reason to store: a message key and params when the error has them."""
    key = getattr(exc, "key", None)
    if key:
        return stored.encode(key, **getattr(exc, "params", {}))
    return f"{type(exc).__name__}: {exc}"[:500]


def _detail(exc: Exception) -> dict | str:
    key = getattr(exc, "key", None)
    return stored.note(key, **getattr(exc, "params", {})) if key else \
        f"{type(exc).__name__}: {exc}"[:300]


def _after_run(task: Task, project: Project, prepared: workspace.Prepared,
               sandbox: GuardedSandbox, pipe: OutputPipe,
               summary: str = "") -> tuple[dict, str, bool]:
    """Save the task's work once its containers are gone.

    Returns:
        (values for the task row, reason to fail or "", whether that reason
        explains the run better than an error the agent raised).
    """
    if not sandbox.all_gone():
        # A live container could still rewrite .git under host git: save nothing.
        pipe.emit("system", stored.note("workspace.sandbox_not_removed"))
        return {}, stored.encode("workspace.sandbox_not_removed"), True
    full = workspace.disk_full(prepared)
    values, save_error = _save_work(task, project, prepared, pipe, summary)
    if full:
        limit = get_settings().task_disk_mb
        pipe.emit("system", stored.note("workspace.disk_full", limit_mb=limit))
        return values, stored.encode("workspace.disk_full", limit_mb=limit), True
    return values, save_error, False


def _save_work(task: Task, project: Project, prepared: workspace.Prepared,
               pipe: OutputPipe, summary: str = "") -> tuple[dict, str]:
    try:
        out = workspace.finish(task, project, prepared.workdir, prepared.base_sha,
                               summary=summary)
    except Exception as exc:
        log.exception("task %s: saving the working copy failed", task.id)
        pipe.emit("system", stored.note("workspace.save_failed", detail=_detail(exc)))
        return {}, stored.encode("workspace.save_failed", detail=_detail(exc))
    if out.unpublished:
        pipe.emit("system", stored.note(out.unpublished))
    return ({"commit_sha": out.commit_sha, "files_changed": out.files_changed,
             "insertions": out.insertions, "deletions": out.deletions}, "")


def _release(task: Task, prepared: workspace.Prepared) -> None:
    try:
        workspace.release(prepared)
    except Exception:  # noqa: BLE001 - the orphan cleanup tries again
        log.exception("task %s: its disk could not be removed", task.id)


def _finish(session: Session, task: Task, pipe: OutputPipe, ending: Ending, redis) -> str:
    """Close the output, then record the ending if this attempt still owns the task."""
    pipe.close()
    values = {**ending.values, "exit_code": ending.exit_code,
              "failure_reason": ending.reason, "finished_at": utcnow(),
              "output_bytes": pipe.total_bytes, "output_dropped_bytes": pipe.dropped_bytes}
    if not record_ending(session, task, pipe, ending, values):
        log.warning("task %s: attempt %s ended after the task was decided elsewhere",
                    task.id, task.attempt)
        return "superseded"
    task_queue.announce(task, ending.status, redis=redis)
    notify.task_ended(task.id)
    try:
        attachments.discard_blobs(session, task.id)
    except Exception:  # noqa: BLE001 - a leftover file is no reason to fail the ending
        log.exception("task %s: its attachments' copies could not be removed", task.id)
    try:
        redis.delete(streams.task_cancel_key(task.id))
    except Exception:
        pass  # it expires
    return ending.status.value
