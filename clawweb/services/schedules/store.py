"""The Schedule rows of a project, for its editors: create, change, pause, resume,
run now, delete; and what a page or the API shows of them.

A schedule's tasks run as the user who last saved it, with that user's rights
as of each run. Changing the timing (or resuming) recomputes the next run
from now, so nothing that fell due while it was paused or wrong fires.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete as sql_delete
from sqlmodel import Session, select

from clawweb.models import (Priority, ProjectRole, Schedule, ScheduleRun, Task, User, iso_utc,
                            utcnow)
from clawweb.services import audit
from clawweb.services.agents import choices, credentials, settings as agent_settings
from clawweb.services.crypto import SecretUnreadable
from clawweb.services.errors import InvalidInput, NotFound
from clawweb.services.access import require_role
from clawweb.services.schedules import timing
from clawweb.services.tasks.service import KINDS, MAX_COMMAND_BYTES, MAX_TIMEOUT_SECONDS
from clawweb.settings import get_settings

MISSED = ("skip", "once", "each")
OVERLAP = ("skip", "queue", "cancel")
MAX_PER_PROJECT = 50
MAX_RETRIES = 10
MAX_CAP = 100
FIELDS = ("name", "kind", "command", "priority", "timeout_seconds", "model", "permission_mode",
          "cron", "timezone", "interval_seconds", "missed_policy", "missed_cap", "overlap_policy",
          "max_retries", "retry_delay_seconds")


def _int(value: Any, key: str, lo: int, hi: int, **params) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(key, min=lo, max=hi, **params) from None
    if not lo <= number <= hi:
        raise InvalidInput(key, min=lo, max=hi, **params)
    return number


def _choice(value: Any, options: tuple[str, ...], key: str) -> str:
    if value not in options:
        raise InvalidInput(key)
    return value


def _template(merged: dict[str, Any]) -> dict[str, Any]:
    command = str(merged["command"] or "").strip()
    if not command:
        raise InvalidInput("tasks.error.command_empty")
    if len(command.encode("utf-8", "surrogatepass")) > MAX_COMMAND_BYTES:
        raise InvalidInput("tasks.error.command_too_long", limit_kb=MAX_COMMAND_BYTES // 1024)
    timeout = merged["timeout_seconds"]
    return {"name": str(merged["name"] or "").strip()[:100] or command.splitlines()[0][:100],
            "kind": _choice(merged["kind"], KINDS, "tasks.error.kind"), "command": command,
            "priority": _choice(merged["priority"], tuple(Priority.__members__),
                                "tasks.error.priority"),
            "timeout_seconds": None if timeout in (None, "", 0) else _int(
                timeout, "schedules.bad_timeout", 1, MAX_TIMEOUT_SECONDS)}


def _claude_choices(session: Session, project_id: int, kind: str,
                    merged: dict[str, Any]) -> dict[str, str]:
    """A Claude template's model and mode, as chosen ("" = the project's at each run),
    if the project offers them now; a shell template has neither.

    Raises:
        InvalidInput: ``agent_tasks.model_not_allowed`` / ``agent_tasks.mode_not_allowed``.
    """
    if kind != "claude":
        return {"model": "", "permission_mode": ""}
    model = str(merged["model"] or "").strip()
    mode = str(merged["permission_mode"] or "").strip()
    choices.resolve(agent_settings.for_project(session=session, project_id=project_id),
                    model=model, permission_mode=mode)
    return {"model": model, "permission_mode": mode}


def validate(values: dict[str, Any], current: Schedule, session: Session) -> dict[str, Any]:
    """Every field of ``current`` with ``values`` applied, checked together.

    Raises:
        InvalidInput: the first bad field (``schedules.*``, ``tasks.error.*`` or, for a
            Claude template's model and mode, ``agent_tasks.*`` keys).
    """
    merged = {f: getattr(current, f) for f in FIELDS}
    merged.update({k: v for k, v in values.items() if k in FIELDS})
    out = _template(merged)
    out.update(_claude_choices(session, current.project_id, out["kind"], merged))
    when = timing.check(timing.Timing(merged["cron"] or "", merged["timezone"] or "UTC",
                                      _int(merged["interval_seconds"] or 0,
                                           "schedules.bad_interval", 0, timing.MAX_INTERVAL)),
                        get_settings().schedule_min_interval_seconds, utcnow())
    out.update(cron=when.cron, timezone=when.timezone, interval_seconds=when.interval_seconds)
    out["missed_policy"] = _choice(merged["missed_policy"], MISSED, "schedules.bad_missed")
    out["overlap_policy"] = _choice(merged["overlap_policy"], OVERLAP, "schedules.bad_overlap")
    out["missed_cap"] = _int(merged["missed_cap"], "schedules.bad_cap", 1, MAX_CAP)
    out["max_retries"] = _int(merged["max_retries"], "schedules.bad_retries", 0, MAX_RETRIES)
    out["retry_delay_seconds"] = _int(merged["retry_delay_seconds"], "schedules.bad_delay",
                                      1, 86400)
    return out


def check_credential(session: Session, user: User, project_id: int) -> None:
    """Refuse a Claude template at once when it would only fail for want of a credential."""
    try:
        found = credentials.resolve(session=session, project_id=project_id, user_id=user.id)
    except SecretUnreadable as exc:
        raise InvalidInput("agent_tasks.credential_unreadable") from exc
    if found is None:
        raise InvalidInput("agent_tasks.no_credential")


def _editor(session: Session, user: User | None, project_id: int) -> None:
    require_role(session=session, user=user, project_id=project_id, at_least=ProjectRole.editor)


def get_schedule(*, session: Session, user: User | None, schedule_id: int,
                 at_least: ProjectRole = ProjectRole.viewer) -> Schedule:
    """The schedule, if the caller has ``at_least`` on its project (NotFound for strangers)."""
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise NotFound()
    require_role(session=session, user=user, project_id=schedule.project_id, at_least=at_least)
    session.refresh(schedule)
    return schedule


def _timing(schedule: Schedule) -> timing.Timing:
    return timing.Timing(schedule.cron, schedule.timezone, schedule.interval_seconds)


def _save(session: Session, user: User, schedule: Schedule, cleaned: dict[str, Any],
          action: str, ip: str, *, claim: bool = True) -> Schedule:
    """Store and audit; ``claim``: the saver becomes who the schedule runs as (an edit
    does; a pause or resume leaves it running as whoever saved it)."""
    before = snapshot(schedule) if schedule.id else None
    for name, value in cleaned.items():
        setattr(schedule, name, value)
    if claim and schedule.kind == "claude":
        check_credential(session, user, schedule.project_id)
    now = utcnow()
    if claim:
        schedule.created_by = user.id
    schedule.updated_at = now
    schedule.next_run_at = None if schedule.paused else timing.next_after(_timing(schedule), now)
    session.add(schedule)
    session.flush()
    audit.record(session=session, actor=user, action=action, object_type="schedule",
                 object_id=schedule.id, before=before, after=snapshot(schedule), ip=ip,
                 detail=f"project {schedule.project_id}")
    session.commit()
    return schedule


def create(*, session: Session, user: User | None, project_id: int, values: dict[str, Any],
           ip: str = "") -> Schedule:
    """Editor: a new schedule; its first run is the first due time from now."""
    _editor(session, user, project_id)
    count = len(session.exec(select(Schedule.id).where(Schedule.project_id == project_id)).all())
    if count >= MAX_PER_PROJECT:
        raise InvalidInput("schedules.too_many", max=MAX_PER_PROJECT)
    schedule = Schedule(project_id=project_id)
    return _save(session, user, schedule, validate(values, schedule, session), "schedule.create",
                 ip)


def update(*, session: Session, user: User | None, schedule_id: int, values: dict[str, Any],
           ip: str = "") -> Schedule:
    """Editor: change it; from now on it runs as the caller."""
    schedule = get_schedule(session=session, user=user, schedule_id=schedule_id,
                            at_least=ProjectRole.editor)
    return _save(session, user, schedule, validate(values, schedule, session), "schedule.update",
                 ip)


def set_paused(*, session: Session, user: User | None, schedule_id: int, paused: bool,
               ip: str = "") -> Schedule:
    """Editor: pause (nothing fires) or resume (the next due time from now)."""
    schedule = get_schedule(session=session, user=user, schedule_id=schedule_id,
                            at_least=ProjectRole.editor)
    if schedule.paused == paused:
        return schedule
    schedule.paused = paused
    return _save(session, user, schedule, {}, "schedule.pause" if paused else "schedule.resume",
                 ip, claim=False)


def run_now(*, session: Session, user: User | None, schedule_id: int, ip: str = "") -> ScheduleRun:
    """Editor: one run now (paused or not), under the schedule's overlap policy."""
    schedule = get_schedule(session=session, user=user, schedule_id=schedule_id,
                            at_least=ProjectRole.editor)
    run = ScheduleRun(schedule_id=schedule.id, due_at=utcnow(), trigger="run_now")
    session.add(run)
    session.flush()
    audit.record(session=session, actor=user, action="schedule.run_now", object_type="schedule",
                 object_id=schedule.id, after={"run": run.id}, ip=ip)
    session.commit()
    return run


def delete(*, session: Session, user: User | None, schedule_id: int, ip: str = "") -> None:
    """Editor: remove it and its history (tasks it started stay)."""
    schedule = get_schedule(session=session, user=user, schedule_id=schedule_id,
                            at_least=ProjectRole.editor)
    audit.record(session=session, actor=user, action="schedule.delete", object_type="schedule",
                 object_id=schedule.id, before=snapshot(schedule), ip=ip)
    # One statement, before the schedule's own delete: the ORM's row-by-row deletes met
    # rows already gone at flush (an SAWarning on every delete).
    session.execute(sql_delete(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id))
    session.delete(schedule)
    session.commit()


def list_for_project(*, session: Session, user: User | None, project_id: int) -> list[Schedule]:
    """Viewer: the project's schedules, by name."""
    require_role(session=session, user=user, project_id=project_id, at_least=ProjectRole.viewer)
    session.expire_all()
    return list(session.exec(select(Schedule).where(Schedule.project_id == project_id)
                             .order_by(Schedule.name, Schedule.id)))


def runs(*, session: Session, user: User | None, schedule_id: int, limit: int = 50,
         before_id: int | None = None) -> list[ScheduleRun]:
    """Viewer: the run history, newest first; ``before_id`` pages back."""
    schedule = get_schedule(session=session, user=user, schedule_id=schedule_id)
    q = select(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id)
    if before_id is not None:
        q = q.where(ScheduleRun.id < before_id)
    return list(session.exec(q.order_by(ScheduleRun.id.desc()).limit(min(max(limit, 1), 200))))


def snapshot(schedule: Schedule) -> dict[str, Any]:
    return {**{f: getattr(schedule, f) for f in FIELDS}, "paused": schedule.paused}


def view(session: Session, schedule: Schedule, upcoming: int = 5) -> dict[str, Any]:
    """What a page or the API shows: the template, policies and the next run times."""
    runs_as = session.get(User, schedule.created_by) if schedule.created_by else None
    nxt = [] if schedule.next_run_at is None else [schedule.next_run_at] + timing.upcoming(
        _timing(schedule), schedule.next_run_at, max(0, upcoming - 1))
    return {"id": schedule.id, "project_id": schedule.project_id, **snapshot(schedule),
            "runs_as": runs_as.username if runs_as else "",
            "next_runs": [iso_utc(t) for t in nxt],
            "last_fired_at": iso_utc(schedule.last_fired_at),
            "created_at": iso_utc(schedule.created_at)}


def run_view(session: Session, run: ScheduleRun) -> dict[str, Any]:
    task = session.get(Task, run.task_id) if run.task_id else None
    return {"id": run.id, "schedule_id": run.schedule_id, "due_at": iso_utc(run.due_at),
            "attempt": run.attempt, "trigger": run.trigger, "status": run.status,
            "reason": run.reason, "params": dict(run.params or {}), "task_id": run.task_id,
            "task_status": task.status.value if task else "",
            "exit_code": task.exit_code if task else None,
            "branch": task.branch if task else "", "not_before": iso_utc(run.not_before),
            "finished_at": iso_utc(run.finished_at)}
