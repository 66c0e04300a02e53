"""A task's events as a person at a terminal (or a script reading a pipe) wants them.

Output goes to stdout (stderr for the task's stderr), the agent's text too; the
rest (status changes, tool calls, approval requests, truncation) are short
notes on stderr, so ``clawweb run p -- make > log`` captures just the output.
"""

from __future__ import annotations

import json

from clawweb.cli.render import Printer
from clawweb.i18n import stored

_TOOL_INPUT_CHARS = 120


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= _TOOL_INPUT_CHARS else text[:_TOOL_INPUT_CHARS] + "…"


def _status(printer: Printer, task_id: int, data: dict) -> None:
    status = data.get("status", "")
    if status in ("succeeded", "failed", "cancelled", "timed_out", "interrupted"):
        code = data.get("exit_code")
        extra = f" (exit {code})" if code is not None else ""
        # The worker stores reasons as catalog keys; a terminal reads English.
        reason = f": {stored.render(data['reason'])}" if data.get("reason") else ""
        printer.note(f"[clawweb] task {task_id} {status}{extra}{reason}",
                     "ok" if status == "succeeded" else "bad")
    else:
        printer.note(f"[clawweb] task {task_id} {status}")


def _agent(printer: Printer, kind: str, data: dict) -> None:
    if kind == "text":
        printer.output(data.get("text", "").rstrip("\n") + "\n")
    elif kind == "tool_use":
        printer.note(f"[tool] {data.get('name', '')} {_short(data.get('input', ''))}")
    elif kind == "tool_result" and data.get("is_error"):
        printer.note("[tool] failed")
    elif kind == "approval":
        n = data.get("approval_id")
        printer.note(f"[approval {n}] {data.get('tool', '')} {_short(data.get('input', ''))} — "
                     f"answer with: clawweb approve {n} | clawweb deny {n}", "ask")
    elif kind == "approval_answer":
        printer.note(f"[approval {data.get('approval_id')}] {data.get('decision', '')}")
    elif kind == "result":
        cost = data.get("cost_usd")
        printer.note("[claude] finished" + (f", ${cost:.4f}" if isinstance(cost, (int, float))
                                             else ""))


def show_event(printer: Printer, task_id: int, event: dict) -> None:
    """Print one event envelope (``{"seq", "ts", "type", "data"}``)."""
    kind, data = event.get("type", ""), event.get("data") or {}
    if kind == "output":
        printer.output(data.get("text", ""), stderr=data.get("stream") == "stderr")
    elif kind == "status":
        _status(printer, task_id, data)
    elif kind == "truncated":
        printer.note(f"[clawweb] output truncated: {data.get('dropped_bytes', 0)} bytes "
                     "dropped", "bad")
    elif kind == "system":
        printer.note(f"[clawweb] {stored.render(data)}")
    elif kind.startswith("agent."):
        _agent(printer, kind.removeprefix("agent."), data)


def exit_code(task: dict) -> int:
    """The shell exit code a finished task stands for.

    succeeded → 0; failed → the command's own code (1 when it had none);
    timed_out → 124 (as ``timeout``); cancelled → 130 (as after Ctrl-C).
    """
    status = task.get("status")
    if status == "succeeded":
        return 0
    if status == "timed_out":
        return 124
    if status == "cancelled":
        return 130
    code = task.get("exit_code")
    return code if isinstance(code, int) and 0 < code < 256 else 1
