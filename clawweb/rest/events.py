"""A task's events: stored history after a seq, and the live stream as Server-Sent Events.

Each SSE message is one event: ``id`` = its seq, ``event`` = its type, ``data``
= the JSON envelope (``{"seq", "ts", "type", "data"}``). A client that lost the
connection sends the last id it saw as ``Last-Event-ID`` (or ``?after=``) and
gets exactly the events after it: ``task_output.read_after`` returns only seqs
that follow on, from the database or Redis, so nothing is skipped or repeated.
The stream ends after the task's terminal ``status`` event (or at once, when
the task has ended and the client has seen everything). Every few seconds it
re-checks the token and the user's right to the task; losing either ends it
with an ``error`` event.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from clawweb import streams
from clawweb.db import session_scope
from clawweb.i18n import t
from clawweb.models import TERMINAL_STATUSES
from clawweb.rest import threads
from clawweb.rest.deps import Caller, recheck, require_scope
from clawweb.rest.errors import ERROR_RESPONSES, ApiError, language
from clawweb.rest.schemas import MAX_SEQ, EventOut, EventPage, TaskId
from clawweb.services.tasks import output as task_output
from clawweb.services.tasks import service as tasks
from clawweb.services.errors import ServiceError

router = APIRouter(tags=["events"], responses=ERROR_RESPONSES)

RECHECK_SECONDS = 2.0
BLOCK_MS = 1000
PING_SECONDS = 10
_TERMINAL = {s.value for s in TERMINAL_STATUSES}
AfterQuery = Annotated[int, Query(ge=0, le=MAX_SEQ, description="return events after this seq")]


def _history(caller: Caller, task_id: int, after: int, limit: int) -> EventPage:
    with session_scope() as s:
        task = tasks.get_task(session=s, user=caller.user, task_id=task_id)
        events = task_output.history(session=s, user=caller.user, task_id=task_id,
                                     after_seq=after, limit=limit)
        next_after = events[-1].seq if events else after
        finished = (task.status in TERMINAL_STATUSES
                    and not task_output.db_events(s, task_id, next_after, limit=1))
        return EventPage(events=[EventOut(**e.as_dict()) for e in events],
                         next_after=next_after, task_status=task.status.value,
                         finished=finished)


@router.get("/tasks/{task_id}/events", operation_id="listTaskEvents",
            summary="Stored events after a seq, oldest first")
async def list_events(task_id: TaskId, caller: Caller = Depends(require_scope("read")),
                      after: AfterQuery = 0,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> EventPage:
    return await threads.run(_history, caller, task_id, after, limit)


def _resume_point(last_event_id: str | None, after: int) -> int:
    if last_event_id is None or not last_event_id.strip():
        return after
    value = last_event_id.strip()
    if not value.isdigit() or int(value) > MAX_SEQ:
        raise ApiError(422, "api.last_event_id_invalid")
    return max(int(value), after)


def _visible(caller: Caller, task_id: int) -> None:
    with session_scope() as s:
        tasks.get_task(session=s, user=caller.user, task_id=task_id)


def _still_following(caller: Caller, task_id: int, after: int) -> tuple[Caller, bool] | None:
    """(the caller now, whether the stream is done), or None once access is lost."""
    current = recheck(caller)
    if current is None:
        return None
    try:
        with session_scope() as s:
            task = tasks.get_task(session=s, user=current.user, task_id=task_id)
            done = (task.status in TERMINAL_STATUSES
                    and task_output.last_seq(s, task_id) <= after)
    except ServiceError:
        return None
    return current, done


def _message(event: streams.Event) -> ServerSentEvent:
    return ServerSentEvent(id=str(event.seq), event=event.type,
                           data=json.dumps(event.as_dict(), ensure_ascii=False))


def _ends(event: streams.Event) -> bool:
    return event.type == "status" and event.data.get("status") in _TERMINAL


async def _follow(caller: Caller, task_id: int, after: int,
                  lang: str) -> AsyncIterator[ServerSentEvent]:
    checked_at = float("-inf")
    while True:
        if time.monotonic() - checked_at >= RECHECK_SECONDS:
            state = await threads.run(_still_following, caller, task_id, after)
            checked_at = time.monotonic()
            if state is None:
                body = {"error": {"code": "api.stream_ended",
                                  "message": t("api.stream_ended", lang)}}
                yield ServerSentEvent(event="error", data=json.dumps(body, ensure_ascii=False))
                return
            caller, done = state
            if done:
                return
        for event in await task_output.read_after(task_id, after, block_ms=BLOCK_MS):
            yield _message(event)
            after = event.seq
            if _ends(event):
                return


# Each message of the stream, as OpenAPI 3.2 describes an SSE item; `data` is an
# EventOut as JSON, or an ErrorBody for the final `error` message.
_MESSAGE = {"type": "object", "required": ["data"],
            "properties": {"id": {"type": "string"}, "event": {"type": "string"},
                           "data": {"type": "string", "contentMediaType": "application/json"},
                           "retry": {"type": "integer", "minimum": 0}}}
_STREAM_DOC = {200: {"description": "One SSE message per event: `id` = seq, `event` = type, "
                                    "`data` = the event as JSON. Ends after the terminal "
                                    "status event.",
                     "content": {"text/event-stream": {"schema": _MESSAGE}}}}


@router.get("/tasks/{task_id}/events/stream", operation_id="streamTaskEvents",
            summary="Live events as Server-Sent Events, resuming after Last-Event-ID",
            response_class=EventSourceResponse, responses=_STREAM_DOC)
async def stream_events(request: Request, task_id: TaskId,
                        caller: Caller = Depends(require_scope("read")),
                        after: AfterQuery = 0,
                        last_event_id: Annotated[str | None, Header(
                            alias="Last-Event-ID", max_length=32)] = None):
    start = _resume_point(last_event_id, after)
    await threads.run(_visible, caller, task_id)  # refused as JSON, before streaming
    return EventSourceResponse(_follow(caller, task_id, start, language(request)),
                               ping=PING_SECONDS)
