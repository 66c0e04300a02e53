"""The task page's stream reader: what its live loop reads, off the state lock.

Plain functions and one small dataclass for the loop in
:mod:`clawweb.state.task_live`; none of them touches Reflex state, so the loop
can await them without holding the lock. History comes through the services
(``tasks.output.read_after``: the database, then Redis from the last seq);
once caught up the loop reads only the task's Redis stream, with a blocking
XREAD, and goes back to the database only for a hole in the stream (Redis lost
entries) and every ``STORED_FALLBACK_SECONDS``. Status changes arrive as
``status`` events, which refresh the header; a queued task's header (its
place in the queue) is also refreshed every few seconds, a running one's
rarely. Access is re-checked by the loop's
:class:`~clawweb.state.live_access.Caller` when it may have changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from clawweb.db import session_scope
from clawweb.i18n import DEFAULT_LANGUAGE
from clawweb.live.approval_rows import pending_rows
from clawweb.live.conversation import PAGE_ITEMS, Conversation
from clawweb.services import turn_usage
from clawweb.services.agents import tasks as agent_tasks
from clawweb.services.errors import ServiceError
from clawweb.services.tasks import output as task_output, service as task_service
from clawweb.services.tasks import views as task_views
from clawweb.streams import Event

log = logging.getLogger(__name__)

READ_LIMIT = 500
RECHECK_SECONDS = 4.0  # a queued task's header (its place in the queue moves)
RUNNING_RECHECK_SECONDS = 15.0  # a running task's: its changes come as events
# Caught up, a read waits this long for the next event (then the loop re-checks).
LIVE_BLOCK_MS = 500
# The newest item growing (streaming text) goes to the browser at most ~3 times a
# second; a new item, and a card, at once.
CONV_FLUSH_SECONDS = 0.3
STORED_FALLBACK_SECONDS = 5.0  # the database again, for events Redis never got
FINISHED_IDLE_SECONDS = 0.25
AGENT_EVENTS = ("agent.approval", "agent.approval_answer")


@dataclass
class LiveCursor:
    """What one page's loop knows between two flushes; owned by that loop alone.

    The terminal's own cursor is its :class:`~clawweb.live.term_window.TermWindow`.
    """

    detail: dict                      # the header read model (refreshed by ``recheck``)
    conv: Conversation | None = None  # a Claude task's folded conversation
    checked: float = 0.0              # when the header was last refreshed (monotonic)
    fresh: bool = False               # the header changed since the last flush
    flushed: float = 0.0              # when the browser last got an update (monotonic)
    conv_version: int = -1            # the conversation version the browser has (-1: none)
    conv_sent_at: float = 0.0         # when the item list was last sent (monotonic)
    conv_appended: int = 0            # ``Conversation.appended`` when it was last sent
    extra: dict | None = None         # approvals and thread fetched since the last flush
    stored_read: float = 0.0          # when events were last read from the database

    @classmethod
    def start(cls, detail: dict, lang: str) -> "LiveCursor":
        """A cursor for a page that has just shown ``detail``."""
        conv = Conversation(lang=lang) if detail.get("kind") == "claude" else None
        return cls(detail=detail, conv=conv, checked=time.monotonic())


def may_see(task_id: int):
    """The live-access check for one task: viewer or better on its project."""
    def check(session, user) -> None:
        task_service.get_task(session=session, user=user, task_id=task_id)
    return check


def load_detail(user, task_id: int) -> dict:
    """The header read model, with the Claude totals; raises ServiceError without access."""
    with session_scope() as s:
        task = task_service.get_task(session=s, user=user, task_id=task_id)
        detail = task_views.task_detail(s, task, user=user)
        detail.update(model=task.model, turns=task.turns, input_tokens=task.input_tokens,
                      output_tokens=task.output_tokens, cost_usd=task.cost_usd,
                      has_session=bool(task.agent_session_id))
        return detail


async def first_detail(caller, task_id: int) -> dict | None:
    """The header to start with, or None when the caller may not see the task.

    Args:
        caller: The loop's :class:`~clawweb.state.live_access.Caller`.
        task_id: The task the page shows.
    """
    if not await caller.allowed():
        return None
    try:
        return await asyncio.to_thread(load_detail, caller.user, task_id)
    except Exception:  # noqa: BLE001 - no right, no task: show nothing
        return None


def earlier(task_id: int, before_seq: int) -> tuple[list, bool]:
    """Up to ``READ_LIMIT`` stored events before ``before_seq``, and whether there are more.

    The caller's access was checked by the loop within the last half second.
    """
    with session_scope() as s:
        events = task_views.events_before(s, task_id, before_seq, max_events=READ_LIMIT)
    return events, len(events) >= READ_LIMIT


def block_ms(cursor: LiveCursor, caught_up: bool) -> int:
    """How long the next read may wait: 0 while replaying, else until the next event,
    but no later than when a held-back conversation update is due (its trailing edge:
    the last words of a burst must not wait for an event that may never come)."""
    if not caught_up:
        return 0
    conv = cursor.conv
    if conv is None or conv.version == cursor.conv_version:
        return LIVE_BLOCK_MS
    due = cursor.conv_sent_at + CONV_FLUSH_SECONDS - time.monotonic()
    return max(1, min(LIVE_BLOCK_MS, int(due * 1000) + 1))


def conv_held(cursor: LiveCursor, now: float) -> bool:
    """Whether the conversation's change waits for the pacing: only growth, sent lately."""
    conv = cursor.conv
    return conv is not None and conv.appended == cursor.conv_appended \
        and cursor.conv_version >= 0 and now - cursor.conv_sent_at < CONV_FLUSH_SECONDS


async def read(task_id: int, after: int, block_ms: int, cursor: LiveCursor) -> list[Event]:
    """The next events after ``after``; ``[]`` on a Redis/DB blip (the caller keeps its cursor).

    ``block_ms`` 0 means replaying: from the database. Caught up, from Redis
    alone (see the module docstring).
    """
    finished = cursor.detail.get("finished")
    try:
        if block_ms and time.monotonic() - cursor.stored_read < STORED_FALLBACK_SECONDS:
            if finished:
                # Finished and replayed: nothing new can come; idle cheaply for
                # "Load earlier output" and the access re-check.
                await asyncio.sleep(FINISHED_IDLE_SECONDS)
                return []
            fresh = await task_output.live(task_id, after, block_ms=block_ms, count=READ_LIMIT)
            if not fresh or fresh[0].seq == after + 1:
                return _contiguous(fresh, after)
            # A hole: Redis lost entries the database has (or is about to have).
        cursor.stored_read = time.monotonic()
        return await task_output.read_after(task_id, after, limit=READ_LIMIT,
                                            block_ms=0 if finished else block_ms)
    except Exception:  # noqa: BLE001 - Redis or DB blip: retry, the cursor is kept
        log.warning("task %s: reading output failed; retrying", task_id, exc_info=True)
        await asyncio.sleep(1)
        return []


def _contiguous(events: list[Event], after: int) -> list[Event]:
    """The events that follow ``after`` without a hole."""
    out = []
    for ev in events:
        if ev.seq != after + 1 + len(out):
            break
        out.append(ev)
    return out


async def recheck(user, task_id: int, cursor: LiveCursor, events: list[Event]) -> bool:
    """Refresh the header on status changes, and now and then (queued: every few seconds).

    ``user`` is the one the loop's access check resolved last (fresh from the
    database); the check itself runs more often, in the loop.

    Returns:
        False once the user has lost access to the task (the loop stops).
    """
    now = time.monotonic()
    every = RUNNING_RECHECK_SECONDS if cursor.detail.get("running") else RECHECK_SECONDS
    if cursor.detail.get("finished"):
        every = RUNNING_RECHECK_SECONDS
    if not any(e.type == "status" for e in events) and now - cursor.checked < every:
        return True
    cursor.checked = now
    try:
        cursor.detail = await asyncio.to_thread(load_detail, user, task_id)
    except ServiceError:
        return False
    except Exception:  # noqa: BLE001 - a DB blip is not a revocation
        log.warning("task %s: header refresh failed", task_id, exc_info=True)
    cursor.fresh = True
    return True


# -- Claude tasks ---------------------------------------------------------------

def wants_extra(cursor: LiveCursor, events: list[Event], caught_up: bool) -> bool:
    """Whether the loop should refresh approvals/thread after this batch of events."""
    return cursor.conv is not None and (
        not caught_up or cursor.fresh or any(e.type in AGENT_EVENTS for e in events))


def _thread_row(task, current: int) -> dict:
    return {"id": task.id, "prompt": (task.command or "")[:2000], "status": task.status.value,
            "current": task.id == current, **turn_usage.of_row(task)}


def _claude_extra(user, task_id: int) -> dict:
    """Pending approvals the user may answer, and the conversation thread around the task."""
    with session_scope() as s:
        chain = agent_tasks.thread(session=s, user=user, task_id=task_id)
        rows = [_thread_row(t, task_id) for t in chain]
    at = next((i for i, r in enumerate(rows) if r["current"]), len(rows))
    return {"approvals": pending_rows(user, task_id), "before": rows[:at],
            "after": rows[at + 1:], "usage": rows}


async def fetch_extra(user, task_id: int) -> dict | None:
    """Approvals and thread for the page, or None when the refresh failed.

    Args:
        user: The signed-in user the loop runs for.
        task_id: The task shown on the page.
    """
    try:
        return await asyncio.to_thread(_claude_extra, user, task_id)
    except Exception:  # noqa: BLE001 - access loss is caught by the loop's re-check
        log.warning("task %s: approvals/thread refresh failed", task_id, exc_info=True)
        return None


async def refold(task_id: int, limit: int, upto: int, *, batch: int,
                 lang: str = DEFAULT_LANGUAGE) -> Conversation:
    """A conversation with a larger window, folded again from the first event.

    Args:
        task_id: The task whose events are folded.
        limit: How many items the new conversation keeps.
        upto: The last seq the old conversation had seen (the new one stops there).
        batch: Events read per round trip.
        lang: The reader's language (for the worker's system notes).
    """
    conv = Conversation(limit=limit, lang=lang)
    while conv.cursor < upto:
        events = await task_output.read_after(task_id, conv.cursor, block_ms=0, limit=batch)
        events = [e for e in events if e.seq <= upto]
        if not events:
            break
        conv.add_all(events)
    return conv


async def page_earlier(task_id: int, cursor: LiveCursor, *, batch: int = READ_LIMIT) -> None:
    """Replace the loop's conversation with one holding a page more items."""
    old = cursor.conv
    cursor.conv = await refold(task_id, old.limit + PAGE_ITEMS, old.cursor, batch=batch,
                               lang=old.lang)
    cursor.conv_version = -1  # the next flush resends the list
