"""Schedules over the REST API: list, create, read, change, delete, pause, resume,
run now, and the run history.

The same services as the schedules page (``clawweb.services.schedules.store``):
viewers read, editors change; the token needs ``read`` for GETs and ``tasks``
for everything that changes a schedule (a schedule starts tasks).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from clawweb.db import session_scope
from clawweb.models import Schedule
from clawweb.rest import deps, threads
from clawweb.rest.deps import Caller, require_scope
from clawweb.rest.errors import ERROR_RESPONSES, ApiError
from clawweb.rest.pagination import (DEFAULT_LIMIT, CursorParam, LimitParam, Page,
                                     decode_cursor, encode_cursor, page_of)
from clawweb.rest.schemas import PermissionMode
from clawweb.services.schedules import store
from clawweb.services.tasks.service import MAX_TIMEOUT_SECONDS

router = APIRouter(tags=["schedules"], responses=ERROR_RESPONSES)
READ = require_scope("read")
CHANGE = require_scope("tasks")
MAX_ID = 2_147_483_647
ProjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
ScheduleId = Annotated[int, Path(ge=1, le=MAX_ID)]
Kind = Literal["shell", "claude"]
PriorityName = Literal["high", "normal", "low"]
Missed = Literal["skip", "once", "each"]
Overlap = Literal["skip", "queue", "cancel"]


@deps.project_resolver("schedule_id")
def _schedule_project(session: Session, schedule_id: int) -> int | None:
    row = session.get(Schedule, schedule_id)
    return row.project_id if row else None


class ScheduleFields(BaseModel):
    """A schedule's template, timing and policies (see the schedules page for their meaning)."""

    name: str = Field("", max_length=100)
    kind: Kind = "shell"
    command: str = Field(..., min_length=1, max_length=100 * 1024,
                         description="the shell command, or the prompt of a Claude task")
    priority: PriorityName = "normal"
    timeout_seconds: int | None = Field(None, ge=1, le=MAX_TIMEOUT_SECONDS,
                                        description="null: the project's")
    model: str = Field("", max_length=100,
                       description="a Claude schedule's model, one the project offers; empty: "
                                   "the project's at each run; always empty for shell")
    permission_mode: PermissionMode = Field(
        "", description="a Claude schedule's permission mode, at most the project's; empty: "
                        "the project's at each run")
    cron: str = Field("", max_length=120, description="five fields or @daily; or use interval")
    timezone: str = Field("UTC", max_length=64, description="IANA zone the cron runs in")
    interval_seconds: int = Field(0, ge=0, le=366 * 86400, description="0: use cron")
    missed_policy: Missed = "once"
    missed_cap: int = Field(5, ge=1, le=100)
    overlap_policy: Overlap = "skip"
    max_retries: int = Field(2, ge=0, le=10)
    retry_delay_seconds: int = Field(60, ge=1, le=86400, description="doubles per attempt")


class ScheduleIn(ScheduleFields):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "nightly tests", "kind": "shell", "command": "make test",
         "cron": "0 3 * * *", "timezone": "Europe/Berlin"}]})


class SchedulePatch(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"overlap_policy": "queue"}]})

    name: str | None = Field(None, max_length=100)
    kind: Kind | None = None
    command: str | None = Field(None, min_length=1, max_length=100 * 1024)
    priority: PriorityName | None = None
    timeout_seconds: int | None = Field(None, ge=0, le=MAX_TIMEOUT_SECONDS,
                                        description="0: back to the project's")
    model: str | None = Field(None, max_length=100)
    permission_mode: PermissionMode | None = None
    cron: str | None = Field(None, max_length=120)
    timezone: str | None = Field(None, max_length=64)
    interval_seconds: int | None = Field(None, ge=0, le=366 * 86400)
    missed_policy: Missed | None = None
    missed_cap: int | None = Field(None, ge=1, le=100)
    overlap_policy: Overlap | None = None
    max_retries: int | None = Field(None, ge=0, le=10)
    retry_delay_seconds: int | None = Field(None, ge=1, le=86400)


class ScheduleOut(ScheduleFields):
    id: int
    project_id: int
    paused: bool
    runs_as: str
    next_runs: list[str] = Field(description="the next due times, ISO 8601 UTC")
    last_fired_at: str
    created_at: str


class RunOut(BaseModel):
    id: int
    schedule_id: int
    due_at: str
    attempt: int
    trigger: Literal["schedule", "missed", "run_now", "retry"]
    status: str
    reason: str = Field(description="a message key, or empty")
    params: dict[str, Any]
    task_id: int | None
    task_status: str
    exit_code: int | None
    branch: str
    not_before: str
    finished_at: str


def _out(session: Session, schedule: Schedule) -> ScheduleOut:
    return ScheduleOut(**store.view(session, schedule))


def _list(caller: Caller, project_id: int) -> list[ScheduleOut]:
    caller.check_project(project_id)
    with session_scope() as s:
        return [_out(s, row) for row in store.list_for_project(
            session=s, user=caller.user, project_id=project_id)]


@router.get("/projects/{project_id}/schedules", operation_id="listSchedules",
            summary="A project's schedules")
async def list_schedules(project_id: ProjectId, cursor: CursorParam = None,
                         limit: LimitParam = DEFAULT_LIMIT,
                         caller: Caller = Depends(READ)) -> Page[ScheduleOut]:
    # Sorted here, not by the database: a cursor compares as Python does.
    items = sorted(await threads.run(_list, caller, project_id), key=lambda x: (x.name, x.id))
    return page_of(items, key=lambda x: [x.name, x.id], cursor=cursor, limit=limit)


def _create(caller: Caller, project_id: int, body: ScheduleIn) -> ScheduleOut:
    caller.check_project(project_id)
    with session_scope() as s:
        row = store.create(session=s, user=caller.user, project_id=project_id,
                           values=body.model_dump(), ip=caller.ip)
        return _out(s, row)


@router.post("/projects/{project_id}/schedules", status_code=201,
             operation_id="createSchedule", summary="Create a schedule")
async def create_schedule(project_id: ProjectId, body: ScheduleIn,
                          caller: Caller = Depends(CHANGE)) -> ScheduleOut:
    return await threads.run(_create, caller, project_id, body)


def _get(caller: Caller, schedule_id: int) -> ScheduleOut:
    with session_scope() as s:
        row = store.get_schedule(session=s, user=caller.user, schedule_id=schedule_id)
        caller.check_project(row.project_id)
        return _out(s, row)


@router.get("/schedules/{schedule_id}", operation_id="getSchedule",
            summary="A schedule, with its next run times")
async def get_schedule(schedule_id: ScheduleId, caller: Caller = Depends(READ)) -> ScheduleOut:
    return await threads.run(_get, caller, schedule_id)


def _change(caller: Caller, schedule_id: int, action, **kwargs) -> Any:
    with session_scope() as s:
        row = store.get_schedule(session=s, user=caller.user, schedule_id=schedule_id)
        caller.check_project(row.project_id)
        result = action(session=s, user=caller.user, schedule_id=schedule_id, ip=caller.ip,
                        **kwargs)
        if isinstance(result, Schedule):
            return _out(s, result)
        return store.run_view(s, result) if result is not None else None


@router.patch("/schedules/{schedule_id}", operation_id="updateSchedule",
              summary="Change a schedule (it then runs as you)")
async def update_schedule(schedule_id: ScheduleId, body: SchedulePatch,
                          caller: Caller = Depends(CHANGE)) -> ScheduleOut:
    values = body.model_dump(exclude_unset=True)
    if "timeout_seconds" in values and not values["timeout_seconds"]:
        values["timeout_seconds"] = None
    if any(values.get(k) is None for k in values if k != "timeout_seconds"):
        raise ApiError(422, "api.request_invalid")
    return await threads.run(_change, caller, schedule_id, store.update, values=values)


@router.delete("/schedules/{schedule_id}", status_code=204, operation_id="deleteSchedule",
               summary="Delete a schedule and its history")
async def delete_schedule(schedule_id: ScheduleId,
                          caller: Caller = Depends(CHANGE)) -> Response:
    await threads.run(_change, caller, schedule_id, store.delete)
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/pause", operation_id="pauseSchedule",
             summary="Pause: nothing fires until resumed")
async def pause_schedule(schedule_id: ScheduleId,
                         caller: Caller = Depends(CHANGE)) -> ScheduleOut:
    return await threads.run(_change, caller, schedule_id, store.set_paused, paused=True)


@router.post("/schedules/{schedule_id}/resume", operation_id="resumeSchedule",
             summary="Resume: the next due time from now")
async def resume_schedule(schedule_id: ScheduleId,
                          caller: Caller = Depends(CHANGE)) -> ScheduleOut:
    return await threads.run(_change, caller, schedule_id, store.set_paused, paused=False)


@router.post("/schedules/{schedule_id}/run", status_code=202, operation_id="runSchedule",
             summary="Run now (under the overlap policy)")
async def run_schedule(schedule_id: ScheduleId, caller: Caller = Depends(CHANGE)) -> RunOut:
    return RunOut(**await threads.run(_change, caller, schedule_id, store.run_now))


def _runs(caller: Caller, schedule_id: int, before_id: int | None, limit: int) -> list[RunOut]:
    with session_scope() as s:
        row = store.get_schedule(session=s, user=caller.user, schedule_id=schedule_id)
        caller.check_project(row.project_id)
        return [RunOut(**store.run_view(s, r)) for r in store.runs(
            session=s, user=caller.user, schedule_id=schedule_id, limit=limit,
            before_id=before_id)]


def before_id(cursor: str | None) -> int | None:
    """The id a newest-first page continues below (``next_cursor`` is ``[id]``)."""
    key = decode_cursor(cursor)
    if key is None:
        return None
    if len(key) != 1 or not isinstance(key[0], int):
        raise ApiError(422, "api.cursor_invalid")
    return key[0]


@router.get("/schedules/{schedule_id}/runs", operation_id="listScheduleRuns",
            summary="Run history, newest first")
async def list_runs(schedule_id: ScheduleId, cursor: CursorParam = None,
                    limit: LimitParam = 50, caller: Caller = Depends(READ)) -> Page[RunOut]:
    rows = await threads.run(_runs, caller, schedule_id, before_id(cursor), limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor([rows[-1].id]) if more else None)
