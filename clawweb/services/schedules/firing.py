"""The schedule loop's step: fire what is due exactly once, start runs, follow them.

Every worker (and optionally the web app) runs :func:`tick` every few
seconds; they do not coordinate except through the database:

- **Fire.** A due schedule is fired by whoever moves its ``next_run_at`` from
  the value it read to the next due time (``UPDATE ... WHERE id=? AND
  next_run_at=?``); the run rows are inserted in the same transaction, so a
  loser inserts nothing and a winner that dies inserts nothing either (the
  next loop fires it). Due times older than ``schedule_grace_seconds`` were
  missed (downtime) and follow the missed-run policy: ``skip`` (none run),
  ``once`` (the newest runs), ``each`` (each runs, the newest ``missed_cap``).
- **Start.** A pending run becomes a task (as the schedule's owner, through
  the task services, with the run's id as idempotency key) once its back-off
  is over and the overlap policy allows: ``skip`` (a run still active makes
  this one skipped), ``queue`` (it waits for it), ``cancel`` (it is cancelled).
- **Settle.** A run follows its task; a failed or timed-out one is retried
  (``max_retries`` times, the delay doubling) and then its owner is notified.
  Nothing a failed run did is merged: its work stays on its task's branch.

Each change of a run's status is itself a compare-and-set, so two loops
settling the same run retry it once and notify once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from clawweb import routes
from clawweb.models import (ACTIVE_STATUSES, Schedule, ScheduleRun, Task, TaskStatus, User,
                            utcnow)
from clawweb.services import automation_notify
from clawweb.services.tasks import service as tasks
from clawweb.services.errors import ServiceError, Unavailable
from clawweb.services.schedules import store, timing
from clawweb.settings import get_settings

log = logging.getLogger(__name__)

ACTIVE_RUN = ("starting", "queued", "running")
STARTING_STUCK_SECONDS = 60
BATCH = 200


def tick(*, session: Session, now: datetime | None = None) -> dict[str, int]:
    """One pass: settle what ran, fire what is due, start what may start.

    Args:
        now: the clock (aware UTC); tests pass their own.

    Returns:
        Counts of what this pass did.
    """
    now = now or utcnow()
    settled = settle(session=session, now=now)
    fired = fire_due(session=session, now=now)
    started = start_ready(session=session, now=now)
    return {"settled": settled, "fired": fired, "started": started}


# -- fire ----------------------------------------------------------------------------

def _row(schedule_id: int, due_at: datetime, trigger: str, status: str = "pending",
         reason: str = "", **params) -> ScheduleRun:
    return ScheduleRun(schedule_id=schedule_id, due_at=due_at, trigger=trigger, status=status,
                       reason=reason, params=params,
                       finished_at=utcnow() if status == "skipped" else None)


def plan_runs(schedule: Schedule, first_due: datetime,
              now: datetime) -> tuple[list[ScheduleRun], datetime]:
    """The run rows for every due time from ``first_due`` to ``now``, and the next due time."""
    grace = timedelta(seconds=get_settings().schedule_grace_seconds)
    keep = schedule.missed_cap + 200
    due = timing.due_between(timing.Timing(schedule.cron, schedule.timezone,
                                           schedule.interval_seconds), first_due, now, keep)
    on_time = [t for t in due.times if now - t <= grace]
    missed = [t for t in due.times if now - t > grace]
    n_missed = due.total - len(on_time)
    policy, sid = schedule.missed_policy, schedule.id
    fired = []
    if policy == "each":
        fired = missed[-schedule.missed_cap:]
    elif policy == "once" and not on_time and missed:
        fired = missed[-1:]
    out = [_row(sid, t, "missed") for t in fired]
    unrun = n_missed - len(fired)
    if unrun > 0:  # one row tells how many were not run, at the first of them
        out.insert(0, _row(sid, timing.as_utc(first_due), "missed", "skipped",
                           "schedules.missed_skipped", count=unrun, policy=policy))
    out += [_row(sid, t, "schedule") for t in on_time]
    return out, due.next_at


def _fire_one(session: Session, schedule_id: int, old: datetime, now: datetime) -> int:
    schedule = session.get(Schedule, schedule_id)
    session.refresh(schedule)
    rows, next_at = plan_runs(schedule, old, now)
    won = session.execute(update(Schedule).where(
        Schedule.id == schedule_id, Schedule.next_run_at == old, Schedule.paused.is_(False))
        .values(next_run_at=next_at, last_fired_at=now)).rowcount == 1
    if not won:
        session.rollback()  # another loop fired it, or it was paused or changed meanwhile
        log.debug("schedule %s: due %s taken by another loop", schedule_id, old)
        return 0
    session.add_all(rows)
    session.commit()
    log.debug("schedule %s: fired due %s (%d run rows)", schedule_id, old, len(rows))
    return sum(1 for r in rows if r.status == "pending")


def fire_due(*, session: Session, now: datetime) -> int:
    """Fire every schedule whose next run time has come; how many runs it made."""
    session.expire_all()
    due = session.exec(select(Schedule.id, Schedule.next_run_at).where(
        Schedule.paused.is_(False), Schedule.next_run_at.is_not(None),
        Schedule.next_run_at <= now).order_by(Schedule.next_run_at).limit(BATCH)).all()
    return sum(_fire_one(session, sid, old, now) for sid, old in due)


# -- start ---------------------------------------------------------------------------

def _set(session: Session, run: ScheduleRun, from_: tuple[str, ...], to: str,
         **values: Any) -> bool:
    """Compare-and-set a run's status (committed); True when this call made the change."""
    if to in ("succeeded", "failed", "skipped", "cancelled"):
        values.setdefault("finished_at", utcnow())
    won = session.execute(update(ScheduleRun).where(
        ScheduleRun.id == run.id, ScheduleRun.status.in_(from_))
        .values(status=to, updated_at=utcnow(), **values)).rowcount == 1
    session.commit()
    if won:
        session.refresh(run)
    return won


def _active_runs(session: Session, run: ScheduleRun) -> list[ScheduleRun]:
    return list(session.exec(select(ScheduleRun).where(
        ScheduleRun.schedule_id == run.schedule_id, ScheduleRun.id != run.id,
        ScheduleRun.status.in_(ACTIVE_RUN))))


def _earlier_waiting(session: Session, run: ScheduleRun) -> bool:
    return session.exec(select(ScheduleRun.id).where(
        ScheduleRun.schedule_id == run.schedule_id, ScheduleRun.status == "waiting",
        ScheduleRun.id < run.id)).first() is not None


def _overlap(session: Session, schedule: Schedule, run: ScheduleRun, owner: User | None) -> bool:
    """Whether ``run`` may start now under the overlap policy (after acting on it)."""
    active = _active_runs(session, run)
    if schedule.overlap_policy == "queue" and _earlier_waiting(session, run):
        _set(session, run, ("pending",), "waiting")
        return False
    if not active:
        return True
    if schedule.overlap_policy == "skip":
        _set(session, run, ("pending", "waiting"), "skipped", reason="schedules.overlap_skipped",
             params={"running": active[0].id})
        return False
    if schedule.overlap_policy == "queue":
        _set(session, run, ("pending",), "waiting")
        return False
    for other in active:  # cancel: the previous run gives way
        if other.task_id and owner is not None:
            try:
                tasks.cancel_task(session=session, user=owner, task_id=other.task_id)
            except ServiceError as exc:
                log.warning("schedule %s: could not cancel task %s (%s)", schedule.id,
                            other.task_id, exc.key)
    return True


def _submit(session: Session, schedule: Schedule, run: ScheduleRun, owner: User) -> Task:
    model = mode = ""
    if schedule.kind == "claude":
        # As agent_tasks.submit_prompt does, plus the schedule's own timeout; the choices
        # as "run again" re-checks them: a withdrawn model gives way to the project's default.
        store.check_credential(session, owner, schedule.project_id)
        model, mode = tasks.claude_choices_now(session, project_id=schedule.project_id,
                                               model=schedule.model,
                                               permission_mode=schedule.permission_mode)
    return tasks.submit_task(session=session, user=owner, project_id=schedule.project_id,
                             command=schedule.command, priority=schedule.priority,
                             timeout_seconds=schedule.timeout_seconds,
                             idempotency_key=f"schedule-run-{run.id}", kind=schedule.kind,
                             trigger="schedule", model=model, permission_mode=mode)


def _start_one(session: Session, run: ScheduleRun) -> bool:
    schedule = session.get(Schedule, run.schedule_id)
    owner = session.get(User, schedule.created_by) if schedule.created_by else None
    if not _overlap(session, schedule, run, owner):
        return False
    if not _set(session, run, ("pending", "waiting"), "starting"):
        return False  # another loop is starting it
    try:
        if owner is None:
            raise ServiceError("schedules.no_owner")
        task = _submit(session, schedule, run, owner)
    except Unavailable:
        session.rollback()
        _set(session, run, ("starting",), "pending")  # Redis is down: the next pass tries again
        return False
    except ServiceError as exc:
        session.rollback()
        _failed(session, schedule, run, exc.key, _plain(exc.params), retry=False)
        return False
    _set(session, run, ("starting",), "queued", task_id=task.id)
    return True


def _plain(params: dict) -> dict:
    return {k: v for k, v in params.items() if isinstance(v, (str, int, float))}


def start_ready(*, session: Session, now: datetime) -> int:
    """Start the pending and waiting runs whose time has come; how many became tasks."""
    session.expire_all()
    ready = session.exec(select(ScheduleRun).where(
        ScheduleRun.status.in_(("pending", "waiting")),
        (ScheduleRun.not_before.is_(None)) | (ScheduleRun.not_before <= now))
        .order_by(ScheduleRun.due_at, ScheduleRun.id).limit(BATCH)).all()
    return sum(1 for run in ready if _start_one(session, run))


# -- settle --------------------------------------------------------------------------

def _failed(session: Session, schedule: Schedule, run: ScheduleRun, reason: str,
            params: dict, *, retry: bool, now: datetime | None = None) -> None:
    """Record the failure; queue the next attempt, or (the last one) notify the owner."""
    from_ = ("starting",) if not retry else ("queued", "running")
    if not _set(session, run, from_, "failed", reason=reason, params=params):
        return
    now = now or utcnow()
    if retry and run.attempt <= schedule.max_retries:
        delay = schedule.retry_delay_seconds * 2 ** (run.attempt - 1)
        session.add(ScheduleRun(schedule_id=schedule.id, due_at=run.due_at,
                                attempt=run.attempt + 1, trigger="retry",
                                not_before=now + timedelta(seconds=delay),
                                params={"retry_of": run.id, "delay": delay}))
        session.commit()
        return
    won = session.execute(update(ScheduleRun).where(ScheduleRun.id == run.id,
                                                    ScheduleRun.notified.is_(False))
                          .values(notified=True)).rowcount == 1
    session.commit()
    if won:
        automation_notify.failed(session=session, user_id=schedule.created_by,
                                 project_id=schedule.project_id, source="schedule",
                                 object_id=schedule.id, reason=reason,
                                 params={**params, "attempts": run.attempt,
                                         "name": schedule.name},
                                 link=routes.project_schedules(schedule.project_id),
                                 task_id=run.task_id, occurrence=run.id)


def _settle_one(session: Session, run: ScheduleRun, now: datetime) -> bool:
    task = session.get(Task, run.task_id) if run.task_id else None
    if task is None:
        return _set(session, run, ACTIVE_RUN[1:], "cancelled", reason="schedules.task_gone")
    session.refresh(task)
    if task.status in ACTIVE_STATUSES:
        return run.status == "queued" and _set(session, run, ("queued",), "running")
    if task.status == TaskStatus.succeeded:
        return _set(session, run, ACTIVE_RUN[1:], "succeeded")
    if task.status == TaskStatus.cancelled:
        return _set(session, run, ACTIVE_RUN[1:], "cancelled", reason="schedules.task_cancelled")
    if task.status == TaskStatus.interrupted:  # a person stopped it: over, not retried
        return _set(session, run, ACTIVE_RUN[1:], "cancelled",
                    reason="schedules.task_interrupted")
    if task.status in (TaskStatus.failed, TaskStatus.timed_out):
        schedule = session.get(Schedule, run.schedule_id)
        _failed(session, schedule, run, "schedules.task_failed",
                {"status": task.status.value, "exit_code": task.exit_code
                 if task.exit_code is not None else ""}, retry=True, now=now)
        return True
    return False


def settle(*, session: Session, now: datetime) -> int:
    """Follow active runs' tasks to their ends; free runs a dead loop left starting."""
    session.expire_all()
    # The real clock: this is about a process that died, not about due times.
    stuck = utcnow() - timedelta(seconds=STARTING_STUCK_SECONDS)
    session.execute(update(ScheduleRun).where(ScheduleRun.status == "starting",
                                              ScheduleRun.updated_at < stuck)
                    .values(status="pending"))
    session.commit()
    active = session.exec(select(ScheduleRun).where(
        ScheduleRun.status.in_(ACTIVE_RUN[1:])).order_by(ScheduleRun.id).limit(BATCH * 5)).all()
    return sum(1 for run in active if _settle_one(session, run, now))
