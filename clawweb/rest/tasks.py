"""Tasks: submit (shell or Claude), list with filters, read, cancel, re-run, follow up.

The same services as the task pages: ``tasks`` and ``agent_tasks`` check the
caller's project role; the token's scope and project restriction come first
(``deps``). Tasks made here carry ``trigger="api"``.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query

from clawweb.db import session_scope
from clawweb.rest import threads
from clawweb.rest.deps import Caller, require_scope
from clawweb.rest.errors import ERROR_RESPONSES, ApiError
from clawweb.rest.pagination import (DEFAULT_LIMIT, CursorParam, LimitParam, Page,
                                     decode_cursor, encode_cursor)
from clawweb.rest.schemas import (FollowUpIn, ProjectId, ProjectQuery, ShellTaskIn, Status,
                                  TaskId, TaskIn, TaskOut, task_out, task_out_of_row,
                                  task_outs)
from clawweb.services.agents import tasks as agent_tasks
from clawweb.services.tasks import (attachments as task_attachments, reads as task_reads,
                                    service as tasks)
from clawweb.services.errors import InvalidInput

router = APIRouter(tags=["tasks"], responses=ERROR_RESPONSES)

TRIGGER = "api"
IdempotencyKey = Annotated[str | None, Header(
    max_length=200, description="Repeat a request with the same key: one task, not two.")]


def stored_key(user_id: int, key: str | None) -> str:
    """The task's idempotency key: the client's, in the user's own namespace."""
    if not key:
        return f"api-{uuid.uuid4().hex}"
    return "api-" + hashlib.sha256(f"{user_id}\0{key}".encode()).hexdigest()[:40]


def _before_id(cursor: str | None) -> int | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    if len(key) != 1 or not isinstance(key[0], int):
        raise ApiError(422, "api.cursor_invalid")
    return key[0]


def _list(caller: Caller, project_id: int | None, status: list[str] | None,
          before_id: int | None, limit: int) -> list[TaskOut]:
    with session_scope() as s:
        # Column mappings, not ORM rows: the page only serializes them (see task_reads).
        rows = task_reads.list_task_rows(session=s, user=caller.user,
                                         project_id=caller.project_filter(project_id),
                                         status=status, limit=limit, before_id=before_id)
    return task_outs(rows)


@router.get("/tasks", operation_id="listTasks", summary="Tasks, newest first")
async def list_tasks(caller: Caller = Depends(require_scope("read")),
                     project_id: ProjectQuery = None,
                     status: Annotated[list[Status] | None, Query()] = None,
                     cursor: CursorParam = None,
                     limit: LimitParam = DEFAULT_LIMIT) -> Page[TaskOut]:
    rows = await threads.run(_list, caller, project_id, status, _before_id(cursor), limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor([rows[-1].id]) if more else None)


def _submit(caller: Caller, project_id: int, body: TaskIn, key: str) -> TaskOut:
    with session_scope() as s:
        if isinstance(body, ShellTaskIn):
            task = tasks.submit_task(session=s, user=caller.user, project_id=project_id,
                                     command=body.command, priority=body.priority,
                                     timeout_seconds=body.timeout_seconds,
                                     idempotency_key=key, kind="shell", trigger=TRIGGER,
                                     ip=caller.ip)
        else:
            task = agent_tasks.submit_prompt(session=s, user=caller.user,
                                             project_id=project_id, prompt=body.prompt,
                                             priority=body.priority, idempotency_key=key,
                                             ip=caller.ip, trigger=TRIGGER, model=body.model,
                                             permission_mode=body.permission_mode)
        if task.project_id != project_id:
            # A key replayed from another project must not reveal that task here.
            raise InvalidInput("tasks.error.idempotency_key")
        return task_out(task)


@router.post("/projects/{project_id}/tasks", status_code=201, operation_id="submitTask",
             summary="Submit a shell command or a Claude prompt (editor or better)")
async def submit_task(project_id: ProjectId, body: Annotated[TaskIn, Body()],
                      caller: Caller = Depends(require_scope("tasks")),
                      idempotency_key: IdempotencyKey = None) -> TaskOut:
    key = stored_key(caller.user.id, idempotency_key)
    return await threads.run(_submit, caller, project_id, body, key)


def _get(caller: Caller, task_id: int) -> TaskOut:
    with session_scope() as s:
        row = task_reads.get_task_row(session=s, user=caller.user, task_id=task_id)
        files = task_attachments.for_task(s, row["id"])
    return task_out_of_row(row, files)


@router.get("/tasks/{task_id}", operation_id="getTask", summary="One task")
async def get_task(task_id: TaskId, caller: Caller = Depends(require_scope("read"))) -> TaskOut:
    return await threads.run(_get, caller, task_id)


def _cancel(caller: Caller, task_id: int) -> TaskOut:
    with session_scope() as s:
        return task_out(tasks.cancel_task(session=s, user=caller.user, task_id=task_id,
                                          ip=caller.ip))


@router.post("/tasks/{task_id}/cancel", operation_id="cancelTask",
             summary="Cancel: at once when queued, within seconds when running")
async def cancel_task(task_id: TaskId,
                      caller: Caller = Depends(require_scope("tasks"))) -> TaskOut:
    return await threads.run(_cancel, caller, task_id)


def _rerun(caller: Caller, task_id: int, key: str) -> TaskOut:
    with session_scope() as s:
        return task_out(tasks.rerun_task(session=s, user=caller.user, task_id=task_id,
                                         idempotency_key=key, ip=caller.ip, trigger=TRIGGER))


@router.post("/tasks/{task_id}/rerun", status_code=201, operation_id="rerunTask",
             summary="A new task with the same command and settings")
async def rerun_task(task_id: TaskId, caller: Caller = Depends(require_scope("tasks")),
                     idempotency_key: IdempotencyKey = None) -> TaskOut:
    key = stored_key(caller.user.id, idempotency_key)
    return await threads.run(_rerun, caller, task_id, key)


def _follow_up(caller: Caller, task_id: int, prompt: str, key: str) -> TaskOut:
    with session_scope() as s:
        return task_out(agent_tasks.follow_up(session=s, user=caller.user, task_id=task_id,
                                              prompt=prompt, idempotency_key=key,
                                              ip=caller.ip, trigger=TRIGGER))


@router.post("/tasks/{task_id}/follow-up", status_code=201, operation_id="followUpTask",
             summary="Continue a finished Claude task: same branch, same conversation")
async def follow_up(task_id: TaskId, body: FollowUpIn,
                    caller: Caller = Depends(require_scope("tasks")),
                    idempotency_key: IdempotencyKey = None) -> TaskOut:
    key = stored_key(caller.user.id, idempotency_key)
    return await threads.run(_follow_up, caller, task_id, body.prompt, key)
