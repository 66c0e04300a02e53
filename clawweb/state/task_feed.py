"""The task page loop's I/O off the state lock: output, header, access, presence.

Plain functions for :mod:`clawweb.state.task_live`; none of them touches
state vars, so the loop can await them without holding the lock. Access is
re-checked by a :class:`~clawweb.state.live_access.Caller` every half second
(session, user, the task's project role); the header itself is refreshed on
status events and every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time

import reflex as rx

from clawweb.db import session_scope
from clawweb.services.tasks import output as task_output, views as task_views
from clawweb.services.tasks import service as task_service
from clawweb.services.errors import ServiceError

log = logging.getLogger(__name__)

READ_LIMIT = 500
RECHECK_SECONDS = 4.0


def may_see(task_id: int):
    """The live-access check for one task: viewer or better on its project."""
    def check(session, user) -> None:
        task_service.get_task(session=session, user=user, task_id=task_id)
    return check


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


def load_detail(user, task_id: int) -> dict:
    """The header read model, with the Claude totals; raises ServiceError without access."""
    with session_scope() as s:
        task = task_service.get_task(session=s, user=user, task_id=task_id)
        detail = task_views.task_detail(s, task)
        detail.update(model=task.model, turns=task.turns, input_tokens=task.input_tokens,
                      output_tokens=task.output_tokens, cost_usd=task.cost_usd,
                      has_session=bool(task.agent_session_id))
        return detail


def earlier(task_id: int, before_seq: int) -> tuple[list, bool]:
    """Up to ``READ_LIMIT`` stored events before ``before_seq``, and whether there are more.

    The caller's access was checked by the loop within the last half second.
    """
    with session_scope() as s:
        events = task_views.events_before(s, task_id, before_seq, max_events=READ_LIMIT)
    return events, len(events) >= READ_LIMIT


async def read(task_id: int, after: int, block_ms: int, detail: dict) -> list:
    """The next events after ``after``; ``[]`` on a Redis/DB blip (the caller keeps its cursor)."""
    if detail.get("finished") and block_ms:
        # Finished and replayed: nothing new can come; idle cheaply for
        # "Load earlier output" and the access re-check.
        await asyncio.sleep(0.25)
        block_ms = 0
    try:
        return await task_output.read_after(task_id, after, block_ms=block_ms,
                                            limit=READ_LIMIT)
    except Exception:  # noqa: BLE001 - Redis or DB blip: retry, the cursor is kept
        log.warning("task %s: reading output failed; retrying", task_id, exc_info=True)
        await asyncio.sleep(1)
        return []


async def recheck(user, task_id: int, state: dict, events: list) -> bool:
    """Refresh the header on status changes and every few seconds.

    ``user`` is the one the loop's access check resolved last (fresh from the
    database); the check itself runs more often, in the loop.

    Returns:
        False once the user has lost access to the task (the loop stops).
    """
    now = time.monotonic()
    if not any(e.type == "status" for e in events) and now - state["checked"] < RECHECK_SECONDS:
        return True
    state["checked"] = now
    try:
        state["detail"] = await asyncio.to_thread(load_detail, user, task_id)
    except ServiceError:
        return False
    except Exception:  # noqa: BLE001 - a DB blip is not a revocation
        log.warning("task %s: header refresh failed", task_id, exc_info=True)
    state["fresh"] = True
    return True


def client_connected(state: rx.State) -> bool:
    """Whether this state's browser tab still has a socket (True when unknown)."""
    try:
        from reflex.utils import prerequisites

        app = prerequisites.get_and_validate_app().app
        return state.router.session.client_token in app.event_namespace.token_to_sid
    except Exception:  # noqa: BLE001 - no app (tests) or an internal change: assume yes
        return True
