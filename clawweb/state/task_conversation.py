"""The Claude side of the task page: the folded conversation, approvals, thread.

The live loop in :mod:`clawweb.state.task_live` owns the :class:`Conversation`
and calls in here to fold, page and show it. The event handlers stay on
``TaskLiveState`` (Reflex names a handler by its class); the bodies of the
Claude-only ones live here as plain functions taking that state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.i18n import DEFAULT_LANGUAGE
from clawweb.services.tasks import output as task_output
from clawweb.live.conversation import PAGE_ITEMS, Conversation
from clawweb.state.approvals import pending_rows
from clawweb.state.tasks import new_key

log = logging.getLogger(__name__)

CONV_FLUSH_SECONDS = 0.3  # the conversation list is resent whole: fewer, larger updates
AGENT_EVENTS = ("agent.approval", "agent.approval_answer")


def _thread_row(task, current: int) -> dict:
    return {"id": task.id, "prompt": (task.command or "")[:2000], "status": task.status.value,
            "current": task.id == current}


def _claude_extra(user, task_id: int) -> dict:
    """Pending approvals the user may answer, and the conversation thread around the task."""
    from clawweb.services.agents import tasks as agent_tasks

    with session_scope() as s:
        chain = agent_tasks.thread(session=s, user=user, task_id=task_id)
        rows = [_thread_row(t, task_id) for t in chain]
    at = next((i for i, r in enumerate(rows) if r["current"]), len(rows))
    return {"approvals": pending_rows(user, task_id), "before": rows[:at],
            "after": rows[at + 1:]}


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


def wants_extra(state: dict, events: list, caught_up: bool) -> bool:
    """Whether the loop should refresh approvals/thread after this batch of events."""
    return state["conv"] is not None and (
        not caught_up or bool(state.get("fresh"))
        or any(e.type in AGENT_EVENTS for e in events))


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


async def page_earlier(task_id: int, state: dict, *, batch: int) -> None:
    """Replace the loop's conversation with one holding a page more items."""
    old = state["conv"]
    state["conv"] = await refold(task_id, old.limit + PAGE_ITEMS, old.cursor, batch=batch,
                                 lang=old.lang)
    state["conv_v"] = -1  # the next apply resends the list


def show_stats(live, stats: dict, detail: dict) -> None:
    """Model, turns, tokens and cost: live totals from the events, else the task row's."""
    def pick(key):
        return stats.get(key) or detail.get(key) or 0
    live.conv_model = str(stats.get("model") or detail.get("model") or "")
    live.conv_turns = int(pick("turns"))
    live.conv_tokens = f"{int(pick('input_tokens')):,} / {int(pick('output_tokens')):,}"
    live.conv_cost = f"${float(pick('cost_usd')):.4f}"


def _show_conv(live, conv: Conversation, detail: dict) -> None:
    live.conv_items = [dict(i) for i in conv.items]
    live.conv_has_earlier = conv.has_earlier
    live.waiting_approval = any(i["status"] == "waiting" for i in conv.items) \
        and detail.get("status") == "awaiting_approval"
    show_stats(live, conv.stats, detail)


def _show_extra(live, extra: dict | None) -> None:
    if extra is not None:
        live.approvals = extra["approvals"]
        live.thread_before, live.thread_after = extra["before"], extra["after"]


def apply_conv(live, state: dict) -> None:
    """Inside the lock: approvals/thread at once, the item list at most ~3 times a second."""
    conv, now, extra = state["conv"], time.monotonic(), state.pop("extra", None)
    _show_extra(live, extra)
    state["extra"] = None
    if conv is None or conv.version == state["conv_v"]:
        return
    if now - state["conv_at"] < CONV_FLUSH_SECONDS and state["conv_v"] >= 0 \
            and extra is None:
        return  # streaming text: at most ~3 list updates a second (cards: at once)
    state["conv_v"], state["conv_at"] = conv.version, now
    _show_conv(live, conv, state["detail"])


def interrupt(live) -> Any:
    """Body of ``TaskLiveState.interrupt_task`` (the guard has run)."""
    from clawweb.services.agents import tasks as agent_tasks

    user = live.require_user()
    if not live._task_id:
        return None
    with session_scope() as s:
        agent_tasks.interrupt(session=s, user=user, task_id=live._task_id, ip=live.client_ip)
    return rx.toast.info(live.tr("ui_conv.interrupt_sent"))


def follow_up(live, form: dict) -> Any:
    """Body of ``TaskLiveState.follow_up`` (the guard has run)."""
    from clawweb.services.agents import tasks as agent_tasks

    user = live.require_user()
    if not live._task_id:
        return None
    key = str(form.get("idempotency_key", ""))[:64]
    with session_scope() as s:
        new = agent_tasks.follow_up(session=s, user=user, task_id=live._task_id,
                                    prompt=str(form.get("prompt", "")),
                                    idempotency_key=key, ip=live.client_ip)
        new_id = new.id
    live.followup_key = new_key()
    return [rx.toast.success(live.tr("ui_conv.follow_up_sent", id=new_id)),
            rx.redirect(routes.task(new_id))]
