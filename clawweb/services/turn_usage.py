"""Tokens and cost of one turn and of the whole conversation, from the same source.

A follow-up resumes the CLI's session, whose own cost report counts every turn
so far, while its token counts are the turn's own: shown side by side they
disagreed. Here a turn is one task: while it runs, the live totals from its
events; once it ended, the task row (the egress proxy's metered cost, what the
task records). The conversation is the sum of its turns' rows, with the shown
turn's figures in place of its row.
"""

from __future__ import annotations

from typing import Any

FIELDS = ("input_tokens", "output_tokens", "cost_usd")


def of_row(row: Any) -> dict[str, float]:
    """A task's (or a dict's) recorded usage."""
    get = row.get if isinstance(row, dict) else (lambda k, d=0: getattr(row, k, d))
    return {k: float(get(k, 0) or 0) for k in FIELDS}


def turn(*, live: dict, row: dict, finished: bool) -> dict[str, float]:
    """This turn's usage: the row once the turn ended, else the live totals (or the row)."""
    recorded = of_row(row)
    if finished:
        return recorded
    current = of_row(live)
    return {k: current[k] or recorded[k] for k in FIELDS}


def conversation(*, turns: list[dict], current_id: int, this_turn: dict) -> dict[str, float]:
    """The whole conversation: every turn's row, ``this_turn`` for the one shown."""
    total = {k: 0.0 for k in FIELDS}
    for row in turns:
        values = this_turn if row.get("id") == current_id else of_row(row)
        for k in FIELDS:
            total[k] += values[k]
    return total


NONE = "—"


def labels(values: dict[str, float]) -> tuple[str, str]:
    """("1,234 / 56", "$0.0123"): tokens in / out and cost, as the page shows them.

    Before any usage (a queued turn, or one the model has not answered yet) each
    reads "—", never "0 / 0" or "$0.0000" (the phone row's rule, ``task_facts``).
    """
    tin, tout, cost = int(values["input_tokens"]), int(values["output_tokens"]), values["cost_usd"]
    return (f"{tin:,} / {tout:,}" if tin or tout else NONE,
            f"${cost:.4f}" if cost > 0 else NONE)
