"""The task page's small view values, computed from a header and a conversation.

Each function returns what the page's state vars should hold; the live loop
(:mod:`clawweb.state.task_live`) assigns them under the state lock.
"""

from __future__ import annotations

import time

from clawweb.live.conversation import Conversation


def elapsed(detail: dict) -> str:
    """Running time as ``m:ss`` (``h:mm:ss`` from an hour on), "" before the start."""
    start = detail.get("started_ts") or 0.0
    if not start:
        return ""
    end = detail.get("finished_ts") or time.time()
    secs = max(0, int(end - start))
    return f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}" if secs >= 3600 \
        else f"{secs // 60}:{secs % 60:02d}"


def conv_stats(stats: dict, detail: dict) -> dict:
    """Model, turns, tokens and cost: live totals from the events, else the task row's."""
    def pick(key):
        return stats.get(key) or detail.get(key) or 0
    return {"conv_model": str(stats.get("model") or detail.get("model") or ""),
            "conv_turns": int(pick("turns")),
            "conv_tokens": f"{int(pick('input_tokens')):,} / {int(pick('output_tokens')):,}",
            "conv_cost": f"${float(pick('cost_usd')):.4f}"}


def conv_view(conv: Conversation, detail: dict) -> dict:
    """The conversation's items, paging flag, approval wait and totals."""
    return {"conv_items": [dict(i) for i in conv.items],
            "conv_has_earlier": conv.has_earlier,
            "waiting_approval": any(i["status"] == "waiting" for i in conv.items)
            and detail.get("status") == "awaiting_approval",
            **conv_stats(conv.stats, detail)}


def extra_view(extra: dict) -> dict:
    """Pending approvals and the thread around the task (from ``feed.fetch_extra``)."""
    return {"approvals": extra["approvals"], "thread_before": extra["before"],
            "thread_after": extra["after"]}
