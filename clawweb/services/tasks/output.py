"""Reading a task's events: durable history (DB), live tail (Redis), and both merged.

Every event has a ``seq`` that is the same in the database (``TaskEvent``) and
in the task's Redis stream (entry id ``<seq>-1``), so a reader that has seen
up to ``seq`` can continue from either store. :func:`read_after` is what a page
uses: it returns only events that directly follow ``after_seq``, from the
database when it has them and from Redis when they are newer, so a page opened
mid-run or reconnecting gets no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Iterable

import redis as redis_lib
from sqlalchemy import func
from sqlmodel import Session, select

from clawweb import db, redis_conn, streams
from clawweb.models import ProjectRole, Task, TaskEvent, User
from clawweb.services import access
from clawweb.services.errors import NotFound

log = logging.getLogger(__name__)


def _rows_to_events(rows: Iterable[TaskEvent]) -> list[streams.Event]:
    return [streams.Event(seq=r.seq, type=r.type, data=r.data or {}, ts=r.ts) for r in rows]


def db_events(session: Session, task_id: int, after_seq: int = 0,
              limit: int = 500) -> list[streams.Event]:
    """Stored events with ``seq > after_seq``, oldest first (no authorization)."""
    rows = session.exec(select(TaskEvent).where(TaskEvent.task_id == task_id,
                                                TaskEvent.seq > after_seq)
                        .order_by(TaskEvent.seq).limit(limit)).all()
    return _rows_to_events(rows)


def history(*, session: Session, user: User, task_id: int, after_seq: int = 0,
            limit: int = 500) -> list[streams.Event]:
    """A task's stored events after ``after_seq`` (viewer or better).

    Raises:
        NotFound: no such task. PermissionDenied: the user may not see it.
    """
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound()
    access.require_role(session=session, user=user, project_id=task.project_id,
                        at_least=ProjectRole.viewer)
    return db_events(session, task_id, after_seq, min(max(limit, 1), 5000))


def last_seq(session: Session, task_id: int, redis=None) -> int:
    """The highest seq in either store (the next event gets this + 1)."""
    stored = session.exec(select(func.max(TaskEvent.seq))
                          .where(TaskEvent.task_id == task_id)).one() or 0
    try:
        entries = (redis or redis_conn.get_redis()).xrevrange(
            streams.task_events_key(task_id), count=1)
    except redis_lib.RedisError:
        entries = []
    live = streams.decode_entries(entries)[0].seq if entries else 0
    return max(stored, live)


def stage_events(session: Session, task_id: int, events: list[tuple[str, dict]], *,
                 after_seq: int) -> list[streams.Event]:
    """Add events numbered after ``after_seq`` to the session (the caller commits)."""
    out = [streams.Event(seq=after_seq + i, type=kind, data=data)
           for i, (kind, data) in enumerate(events, start=1)]
    session.add_all([TaskEvent(task_id=task_id, seq=e.seq, ts=e.ts, type=e.type, data=e.data)
                     for e in out])
    return out


def publish_stored(task_id: int, events: list[streams.Event], redis=None) -> None:
    """Put committed events on the live stream; a failure leaves them to the history."""
    try:
        streams.publish(redis or redis_conn.get_redis(), task_id, events)
    except redis_lib.RedisError as exc:
        # A worker that already wrote later seqs makes Redis refuse these: the
        # page reads the gap from the database.
        log.warning("task %s: events stored but not published (%s)", task_id,
                    type(exc).__name__)


async def live(task_id: int, after_seq: int, block_ms: int = 1000,
               count: int = 200) -> list[streams.Event]:
    """Events newer than ``after_seq`` from the Redis stream (blocks up to ``block_ms``)."""
    r = redis_conn.get_async_redis()
    key = streams.task_events_key(task_id)
    res = await r.xread({key: streams.stream_id_for_seq(after_seq)}, count=count,
                        block=block_ms or None)
    return streams.decode_entries(res[0][1]) if res else []


def _contiguous(events: list[streams.Event], after_seq: int) -> list[streams.Event]:
    out = []
    expected = after_seq + 1
    for ev in events:
        if ev.seq != expected:
            break
        out.append(ev)
        expected += 1
    return out


def _db_after(task_id: int, after_seq: int, limit: int) -> list[streams.Event]:
    with Session(db.get_engine()) as session:
        return db_events(session, task_id, after_seq, limit)


async def read_after(task_id: int, after_seq: int, *, block_ms: int = 1000,
                     limit: int = 500) -> list[streams.Event]:
    """The events right after ``after_seq``: no gap, no duplicate.

    The database first (it holds everything once flushed and outlives Redis),
    then Redis for what the worker has published but not yet stored. Events
    from Redis are returned only while their seqs follow on without a hole; a
    hole means the database has not caught up yet, and a later call fills it.
    Authorize first (``tasks.get_task``): this function does not.

    Returns:
        Events with seq ``after_seq+1, after_seq+2, ...``; empty after
        ``block_ms`` without news.
    """
    stored = await asyncio.to_thread(_db_after, task_id, after_seq, limit)
    if stored and stored[0].seq == after_seq + 1:
        return _contiguous(stored, after_seq)
    if stored:
        # A hole in the database (a lost worker's unflushed events): Redis may
        # still have them; if not, they are gone for good and we move on.
        try:
            bridge = _contiguous(await live(task_id, after_seq, block_ms=0,
                                            count=stored[0].seq - after_seq - 1), after_seq)
        except redis_lib.RedisError:
            bridge = []
        return bridge or _contiguous(stored, stored[0].seq - 1)
    try:
        fresh = await live(task_id, after_seq, block_ms=block_ms, count=limit)
    except redis_lib.RedisError:
        await asyncio.sleep(block_ms / 1000)
        return []
    got = _contiguous(fresh, after_seq)
    if fresh and not got:
        # Redis jumped ahead (its copy of these seqs is gone or not yet there):
        # the database is about to have them; don't spin.
        await asyncio.sleep(min(block_ms, 200) / 1000)
    return got


async def latest_change_id() -> str:
    """The id to follow task-list changes from (now)."""
    entries = await redis_conn.get_async_redis().xrevrange(streams.task_changes_key(), count=1)
    return entries[0][0].decode() if entries else "0-0"


async def task_changes(after_id: str, block_ms: int = 1000) -> tuple[str, list[dict[str, Any]]]:
    """Task status changes after ``after_id`` ("" or "$" = from now).

    Returns:
        (the id to pass next time, [{"task_id", "project_id", "status"}, ...]).
        The caller filters by what the user may see.
    """
    if not after_id or after_id == "$":
        after_id = await latest_change_id()
    res = await redis_conn.get_async_redis().xread(
        {streams.task_changes_key(): after_id}, count=500, block=block_ms or None)
    if not res:
        return after_id, []
    out = []
    for entry_id, fields in res[0][1]:
        after_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        out.append({"task_id": int(fields[b"task_id"]), "project_id": int(fields[b"project_id"]),
                    "status": fields[b"status"].decode()})
    return after_id, out
