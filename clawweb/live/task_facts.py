"""The task header's elapsed time and the phone summary row: only what is true and known.

A queued task has no running time yet, so it shows how long it has waited
("queued 0:12"); one that never started (cancelled in the queue) shows "—".
The summary row lists only the facts that have a value, so it never reads
"P · · $0.0000".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from clawweb.live import task_view

NEVER = "—"


def _queued_ts(detail: dict) -> float:
    try:
        return datetime.fromisoformat(str(detail.get("queued_at") or "")).timestamp()
    except ValueError:
        return 0.0


def elapsed_text(detail: dict, tr: Callable[..., str]) -> str:
    """The running clock; for a queued task its wait; "—" for one that never ran.

    Args:
        detail: The task header (``services.tasks.views.task_detail``).
        tr: The reader's catalog lookup (``AppState.tr``).
    """
    running = task_view.elapsed(detail)
    if running:
        return running
    queued = _queued_ts(detail)
    if detail.get("status") == "queued" and queued:
        return tr("ui_tasks.elapsed_queued",
                  time=task_view.elapsed({"started_ts": min(queued, time.time())}))
    return NEVER


def _cost_known(cost: str) -> bool:
    try:
        return float(cost.lstrip("$")) > 0
    except ValueError:
        return False


def summary(detail: dict, elapsed: str, cost: str, tr: Callable[..., str]) -> list[str]:
    """The phone summary row's facts after the project name, empty ones left out.

    Args:
        detail: The task header.
        elapsed: ``elapsed_text`` of it.
        cost: The turn's cost label ("$0.0123"); shown for an agent turn when nonzero.
        tr: The reader's catalog lookup.
    """
    facts = [elapsed] if elapsed and elapsed != NEVER else []
    if detail.get("kind") == "claude":
        if _cost_known(cost):
            facts.append(cost)
    elif str(detail.get("exit_code") or "") != "":
        facts.append(tr("ui_tasks.summary_exit", code=str(detail["exit_code"])))
    return facts
