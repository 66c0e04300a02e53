"""What a Claude run used, as the task records it: tokens, turns, session, cost.

The cost is the egress proxy's metered total (:func:`metered`), written straight
onto the task row (:func:`record`) as soon as the run ends, so a follow-up finds
the session to resume even before the job has recorded the ending.
"""

from __future__ import annotations

from typing import Any

from clawweb.db import session_scope
from clawweb.models import Task


def metered(usage: dict[str, Any], spent_usd: float) -> dict[str, Any]:
    """``usage`` with the proxy's metered cost in place of the one the CLI reported.

    The CLI reports from inside the container (a hostile agent can make it say
    anything, and a ``curl`` to the bridge is not in it at all). The proxy prices
    every reply with the CLI's own price table, so honest runs agree; where they
    differ the proxy's number is what was spent. Not the larger of the two: a
    higher CLI number is no more trustworthy than a lower one.
    """
    return {**usage, "cost_usd": round(spent_usd, 6)}


def record(task_id: int, usage: dict[str, Any]) -> None:
    """Usage straight onto the task row, so a follow-up finds the session to resume."""
    with session_scope() as session:
        task = session.get(Task, task_id)
        if task is None:
            return
        task.input_tokens = usage["input_tokens"]
        task.output_tokens = usage["output_tokens"]
        task.cost_usd = usage["cost_usd"]
        task.turns = usage["turns"]
        task.model = usage["model"] or task.model
        task.agent_session_id = usage["agent_session_id"] or task.agent_session_id
        session.add(task)
