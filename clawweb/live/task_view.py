"""The task page's small view values, computed from a header and a conversation.

Each function returns what the page's state vars should hold; the live loop
(:mod:`clawweb.state.task_live`) assigns them under the state lock.
"""

from __future__ import annotations

import time

from clawweb.live.conversation import Conversation
from clawweb.services import turn_usage


def elapsed(detail: dict) -> str:
    """Running time as ``m:ss`` (``h:mm:ss`` from an hour on), "" before the start."""
    start = detail.get("started_ts") or 0.0
    if not start:
        return ""
    end = detail.get("finished_ts") or time.time()
    secs = max(0, int(end - start))
    return f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}" if secs >= 3600 \
        else f"{secs // 60}:{secs % 60:02d}"


def conv_stats(stats: dict, detail: dict, chain: list[dict] | None = None) -> dict:
    """Model and turns, then tokens and cost of this turn and (with follow-ups) the conversation.

    A finished turn shows its row (the metered cost), never the CLI's own
    report, which counts the whole resumed session (see ``turn_usage``).
    ``chain`` is the thread's rows with their usage (``feed.fetch_extra``).
    """
    this = turn_usage.turn(live=stats, row=detail, finished=bool(detail.get("finished")))
    out = {"conv_model": str(stats.get("model") or detail.get("model") or ""),
           "conv_turns": int(stats.get("turns") or detail.get("turns") or 0),
           "conv_total_tokens": "", "conv_total_cost": ""}
    out["conv_tokens"], out["conv_cost"] = turn_usage.labels(this)
    if chain and len(chain) > 1:
        total = turn_usage.conversation(turns=chain, current_id=detail.get("id"), this_turn=this)
        out["conv_total_tokens"], out["conv_total_cost"] = turn_usage.labels(total)
    return out


def conv_view(conv: Conversation, detail: dict, chain: list[dict] | None = None) -> dict:
    """The conversation's items, paging flag, approval wait and totals.

    The newest item is its own var (``conv_tail``): while an agent streams
    text only that item grows, so only it needs to go to the browser.
    """
    return {"conv_items": [dict(i) for i in conv.items[:-1]],
            "conv_tail": [dict(i) for i in conv.items[-1:]],
            "conv_has_earlier": conv.has_earlier,
            "waiting_approval": any(i["status"] == "waiting" for i in conv.items)
            and detail.get("status") == "awaiting_approval",
            **conv_stats(conv.stats, detail, chain)}


def extra_view(extra: dict) -> dict:
    """Pending approvals and the thread around the task (from ``feed.fetch_extra``)."""
    return {"approvals": extra["approvals"], "thread_before": extra["before"],
            "thread_after": extra["after"], "_chain_usage": extra.get("usage") or []}
